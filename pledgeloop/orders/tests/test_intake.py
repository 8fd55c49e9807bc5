"""Resident intake at /order/new/…: no account, phone first, nothing stored unless all is well."""

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.conftest import make_user
from pledgeloop.lib.icons import ICONS
from pledgeloop.lib.qr import qr_png, qr_svg
from pledgeloop.orders.forms import When, time_window
from pledgeloop.orders.models import IntakeAttempt, Order, OrderEvent
from pledgeloop.orders.qr import intake_url_for_community, intake_url_for_site
from pledgeloop.orders.throttle import intake_admit, intake_attempts_prune
from pledgeloop.orgs.models import Category, Site
from pledgeloop.people.models import Member, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_sites(world) -> dict[str, Site]:
    """阳光花园 with buildings 1, 2 and 10 in 星港湾, and the community's service centre."""
    community = world.community

    def site(kind, name, lat, lng, parent=None):
        return Site.objects.create(
            street=world.street,
            community=community,
            kind=kind,
            name=name,
            parent=parent,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
        )

    centre = site(Site.Kind.CENTRE, "星港湾社区党群服务中心", "31.956200", "120.941800")
    compound = site(Site.Kind.COMPOUND, "阳光花园", "31.957000", "120.942000")
    b1 = site(Site.Kind.BUILDING, "1幢", "31.957200", "120.942100", compound)
    b2 = site(Site.Kind.BUILDING, "2幢", "31.957400", "120.942300", compound)
    b10 = site(Site.Kind.BUILDING, "10幢", "31.956800", "120.941700", compound)
    return {"centre": centre, "compound": compound, "b1": b1, "b2": b2, "b10": b10}


@pytest.fixture
def sites(world):
    return make_sites(world)


def intake_url(world) -> str:
    return reverse("orders:new_in_community", args=[world.street.slug, world.community.slug])


def order_data(world, **changes) -> dict:
    category = Category.objects.get(street=world.street, code="repairs")
    data = {
        "category": category.pk,
        "description": "厨房水龙头漏水",
        "site": "",
        "address": "阳光花园3幢201室",
        "latitude": "",
        "longitude": "",
        "when": "asap",
        "phone": "13812345678",
        "contact_name": "王阿姨",
        "consent": "1",
        "website": "",
        "member": "",
        "via": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- the pages -------------------------------------------------------------------------


def test_form_shows_categories_as_large_tiles_with_icons(world, client):
    response = client.get(intake_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    # Each tile draws its category's emoji as an inline SVG icon (emoji fonts are often missing).
    for name, icon in [("助老扶幼", "old"), ("便民维修", "tool"), ("健康义诊", "stethoscope")]:
        assert name in html and ICONS[icon] in html
    assert html.count('class="tile"') == 6
    assert "星港湾" in html
    assert 'name="consent"' in html and " checked" not in html.split('name="consent"')[1][:40]
    assert "隐私" in html  # the short notice and a link to the full one
    assert reverse("orders:privacy") in html


def test_plain_new_lists_every_community_grouped_by_street(world, client):
    response = client.get(reverse("orders:new"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ["江海街道", "和平街道", "星港湾", "腾飞", "桃园"]:
        assert name in html
    assert html.index("和平街道") < html.index("桃园") < html.index("江海街道")  # pinyin order
    assert intake_url(world) in html


def test_unknown_community_or_site_is_a_plain_chinese_404(world, client):
    for url in [
        reverse("orders:new_in_community", args=[world.street.slug, "nowhere"]),
        reverse("orders:new_at_site", args=[99999]),
    ]:
        response = client.get(url)
        assert response.status_code == 404
        assert "没有找到这个社区" in response.content.decode()


def test_member_code_opens_the_members_community_with_the_member_asked_for(world, client):
    member = Member.objects.get(user=world.member)
    response = client.get(f"{reverse('orders:new')}?member={member.code}")
    assert response.status_code == 302
    assert response["Location"].startswith(intake_url(world))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "张*" in html and "张三" not in html
    assert f'name="member" value="{member.code}"' in html

    response = client.post(
        f"{intake_url(world)}?member={member.code}", order_data(world, member=member.code)
    )
    assert response.status_code == 302
    assert Order.objects.get().requested_member == member


def test_member_of_another_street_is_not_asked_for(world, client):
    user = make_user("13900000999", "钱七", Role.MEMBER, world.other_street, world.faraway)
    other = Member.objects.create(
        user=user,
        street=world.other_street,
        community=world.faraway,
        kind=Member.Kind.VOLUNTEER,
    )
    client.post(intake_url(world), order_data(world, member=other.code))
    assert Order.objects.get().requested_member is None


# --- a good order ----------------------------------------------------------------------


def test_resident_files_an_order_and_gets_a_tracking_link(world, client):
    response = client.post(intake_url(world), order_data(world))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:sent", args=[order.tracking_token])
    assert order.state == Order.State.SUBMITTED
    assert order.community == world.community and order.street == world.street
    assert order.phone == "13812345678" and order.contact_name == "王阿姨"
    assert order.channel == Order.Channel.WEB
    assert order.consent_at is not None
    assert order.resident == world.resident_here  # known number in this community
    assert order.window_start is None and order.window_end is None
    assert order.respond_by is not None and order.finish_by is not None
    assert OrderEvent.objects.get(order=order).action == "submit"
    attempt = IntakeAttempt.objects.get()
    assert attempt.phone == "13812345678" and attempt.ip == "127.0.0.1"

    sent = client.get(response["Location"])
    html = sent.content.decode()
    track = reverse("orders:track", args=[order.tracking_token])
    assert f"http://testserver{track}" in html
    assert "<svg" in html and 'class="qr"' in html
    # The number to quote and the text that brings the link, to the masked number.
    assert f'<dd id="order-number">{order.pk}</dd>' in html
    assert "短信发到 138****5678" in html and "13812345678" not in html


def test_site_qr_code_fills_in_the_building_and_marks_the_channel(world, client, sites):
    url = reverse("orders:new_at_site", args=[sites["b2"].pk]) + "?via=qr"
    page = client.get(url).content.decode()
    assert f'value="{sites["b2"].pk}" data-lat' in page
    assert " selected>" in page.split(f'value="{sites["b2"].pk}" data-lat')[1][:80]
    assert "阳光花园 2幢" in page
    # 2幢 before 10幢: natural order
    assert page.index("阳光花园 2幢") < page.index("阳光花园 10幢")
    assert 'id="site-map"' in page

    response = client.post(
        url, order_data(world, site=sites["b2"].pk, address="", via="qr", when="tomorrow_am")
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.site == sites["b2"]
    assert order.channel == Order.Channel.QR
    assert order.latitude == sites["b2"].latitude  # the building's point
    start = timezone.localtime(order.window_start)
    assert (start.hour, timezone.localtime(order.window_end).hour) == (8, 12)
    assert start.date() == timezone.localdate() + timedelta(days=1)


def test_a_service_centre_qr_opens_the_community_form_without_a_building(world, client, sites):
    url = reverse("orders:new_at_site", args=[sites["centre"].pk])
    page = client.get(url).content.decode()
    assert "星港湾" in page
    assert " selected" not in page.split('id="id_site"')[1].split("</select>")[0]


def test_a_typed_address_alone_is_enough(world, client, sites):
    response = client.post(intake_url(world), order_data(world, site=""))
    assert response.status_code == 302
    assert Order.objects.get().site is None


def test_a_point_tapped_on_the_plan_is_kept(world, client, sites):
    data = order_data(world, address="", latitude="31.957300", longitude="120.942200")
    data["site"] = sites["b1"].pk
    assert client.post(intake_url(world), data).status_code == 302
    order = Order.objects.get()
    assert order.latitude == Decimal("31.957300") and order.site == sites["b1"]


def test_a_point_far_outside_the_community_is_refused(world, client, sites):
    data = order_data(world, latitude="39.900000", longitude="116.400000")
    response = client.post(intake_url(world), data)
    assert "不在这个社区" in response.content.decode()
    assert not Order.objects.exists()


def test_a_custom_window_is_kept(world, client):
    day = timezone.localdate() + timedelta(days=3)
    data = order_data(world, when="custom", when_date=day.isoformat(), when_from=9, when_until=11)
    assert client.post(intake_url(world), data).status_code == 302
    order = Order.objects.get()
    assert timezone.localtime(order.window_start) == datetime(
        day.year, day.month, day.day, 9, tzinfo=SHANGHAI
    )
    assert timezone.localtime(order.window_end).hour == 11


@pytest.mark.parametrize(
    ("day_offset", "start", "end", "message"),
    [
        (-1, 9, 11, "请选择从今天起"),
        (1, 11, 9, "结束时间"),
        (1, None, None, "请选择日期和时段"),
    ],
)
def test_a_bad_custom_window_is_refused(world, client, day_offset, start, end, message):
    day = timezone.localdate() + timedelta(days=day_offset)
    data = order_data(world, when="custom", when_date=day.isoformat())
    data.update({"when_from": start or "", "when_until": end or ""})
    response = client.post(intake_url(world), data)
    assert message in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("now", "when", "start", "end"),
    [
        # Wednesday 10:00
        (datetime(2026, 9, 2, 10, 0), When.TODAY, (2, 10), (2, 21)),
        (datetime(2026, 9, 2, 10, 0), When.TOMORROW_PM, (3, 14), (3, 18)),
        (datetime(2026, 9, 2, 10, 0), When.WEEKEND, (5, 8), (6, 18)),
        # Saturday 15:00: this weekend, from now
        (datetime(2026, 9, 5, 15, 0), When.WEEKEND, (5, 15), (6, 18)),
        # Sunday 17:30: the next weekend
        (datetime(2026, 9, 6, 17, 30), When.WEEKEND, (12, 8), (13, 18)),
        # Late evening: "today" still leaves an hour
        (datetime(2026, 9, 2, 22, 30), When.TODAY, (2, 22), (2, 23)),
    ],
)
def test_time_window_choices(now, when, start, end):
    got = time_window(when, now=now.replace(tzinfo=SHANGHAI))
    got = [timezone.localtime(t) for t in got]
    assert (got[0].day, got[0].hour) == start
    assert (got[1].day, got[1].hour) == end


# --- refused, and nothing stored -------------------------------------------------------


def assert_nothing_stored():
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()
    # A refusal counts toward its address's hourly limit only (a row without a number).
    assert not IntakeAttempt.objects.exclude(phone="").exists()


def test_missing_consent_is_refused_clearly_and_stores_nothing(world, client):
    data = order_data(world)
    del data["consent"]
    response = client.post(intake_url(world), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请勾选同意隐私说明" in html
    assert "厨房水龙头漏水" in html and "13812345678" in html  # kept what was typed
    assert_nothing_stored()


@pytest.mark.parametrize("phone", ["1381234567", "23812345678", "138-1234-567x", ""])
def test_a_bad_phone_number_is_refused_clearly_and_stores_nothing(world, client, phone):
    response = client.post(intake_url(world), order_data(world, phone=phone))
    html = response.content.decode()
    assert "11 位" in html or "请填写手机号" in html
    assert "厨房水龙头漏水" in html
    assert_nothing_stored()


def test_a_phone_number_with_spaces_and_country_code_is_accepted(world, client):
    client.post(intake_url(world), order_data(world, phone="+86 138 1234 5678"))
    assert Order.objects.get().phone == "13812345678"


def test_no_category_no_description_no_place_are_each_explained(world, client):
    data = order_data(world, category="", description=" ", address="")
    html = client.post(intake_url(world), data).content.decode()
    assert "请选择需要哪一类帮助" in html
    assert "请用几句话说说需要什么帮助" in html
    assert "请填写地址或选择您住的楼" in html
    assert_nothing_stored()


def test_the_banner_at_the_top_names_each_mistake_and_links_to_it(world, client):
    """The banner said only "look at the items marked in red below", and on a phone in elder
    mode those were some 5,000 px further down a 6,200 px page (session 26's walk): it names
    each field to correct, with its message, and links to it, in the page's order."""
    data = order_data(world, phone="1381234567", description="")
    del data["consent"]
    html = client.post(intake_url(world), data).content.decode()
    banner = re.search(r'<div class="error" role="alert" id="form-errors">(.*?)</div>', html, re.S)
    links = re.findall(
        r'<li><a href="#([\w-]+)">([^<]+)</a>\s*<span>([^<]+)</span></li>', banner[1]
    )
    assert [(anchor, what) for anchor, what, _message in links] == [
        ("id_description", "需要什么帮助？"),
        ("id_phone", "您的手机号"),
        ("id_consent", "隐私说明"),
    ], banner[1]
    assert "11 位" in links[1][2] and "请勾选同意隐私说明" in links[2][2]
    for anchor, _what, _message in links:
        assert f'id="{anchor}"' in html  # each link has somewhere to go


def test_a_mistake_in_a_step_links_to_the_step(world, client):
    """The category tiles and the time chips have no one field to go to: their step does."""
    data = order_data(world, category="", when="")
    html = client.post(intake_url(world), data).content.decode()
    anchors = re.findall(r'<li><a href="#([\w-]+)">', html)
    assert anchors == ["step-category", "step-when"]
    assert 'id="step-category"' in html and 'id="step-when"' in html


def test_a_category_of_another_street_is_refused(world, client):
    foreign = Category.objects.filter(street=world.other_street).first()
    client.post(intake_url(world), order_data(world, category=foreign.pk))
    assert_nothing_stored()


def test_a_building_of_another_community_is_refused(world, client, sites):
    url = reverse("orders:new_in_community", args=[world.street.slug, world.neighbour.slug])
    response = client.post(url, order_data(world, site=sites["b1"].pk))
    assert response.status_code == 200
    assert_nothing_stored()


def test_the_honeypot_refuses_quietly_and_stores_nothing(world, client):
    response = client.post(intake_url(world), order_data(world, website="http://spam.example"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "抱歉，暂时无法提交" in html
    assert "厨房水龙头漏水" in html
    assert_nothing_stored()


def test_the_limit_per_ip_address_refuses_with_a_clear_message(world, client, settings):
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 2
    for n in range(2):
        phone = f"1381234567{n}"
        assert client.post(intake_url(world), order_data(world, phone=phone)).status_code == 302
    response = client.post(intake_url(world), order_data(world, phone="13812345679"))
    html = response.content.decode()
    assert response.status_code == 429
    assert "这个网络在一小时内" in html
    assert "厨房水龙头漏水" in html
    assert Order.objects.count() == 2 and IntakeAttempt.objects.count() == 2
    # Another address is not affected.
    other = client.post(
        intake_url(world), order_data(world, phone="13812345679"), REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_the_limit_per_phone_number_refuses_with_a_clear_message(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    another = order_data(world, description="楼道灯不亮")  # a new request, not the same again
    response = client.post(intake_url(world), another, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    assert "这个手机号今天已经提交了1次" in response.content.decode()
    assert Order.objects.count() == 1


def test_over_the_limit_a_photo_is_not_even_looked_at(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    data = order_data(world)
    data["photo"] = SimpleUploadedFile("a.jpg", b"not a photo at all", content_type="image/jpeg")
    response = client.post(intake_url(world), data, REMOTE_ADDR="10.0.0.7")
    html = response.content.decode()
    assert response.status_code == 429
    assert "这个手机号今天已经提交了1次" in html
    assert "不是能用的照片" not in html
    assert Order.objects.count() == 1


def test_admitting_counts_one_attempt_and_refusing_counts_none(world, settings):
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 2
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    assert intake_admit(ip="10.0.0.1", phone="13812345678") is None
    assert "这个手机号今天已经提交了1次" in intake_admit(ip="10.0.0.2", phone="13812345678")
    assert intake_admit(ip="10.0.0.1", phone="13812345670") is None
    assert "这个网络在一小时内" in intake_admit(ip="10.0.0.1", phone="13812345671")
    assert IntakeAttempt.objects.count() == 2
    # Without an address only the number is limited.
    assert intake_admit(ip=None, phone="13812345672") is None


def test_attempts_older_than_the_window_do_not_count(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    IntakeAttempt.objects.create(
        ip="127.0.0.1", phone="13812345678", at=timezone.now() - timedelta(days=1, minutes=1)
    )
    assert client.post(intake_url(world), order_data(world)).status_code == 302


def test_refused_submissions_use_up_no_numbers_allowance(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    data = order_data(world)
    del data["consent"]
    for _ in range(3):
        client.post(intake_url(world), data)
    assert not IntakeAttempt.objects.filter(phone="13812345678").exists()
    assert client.post(intake_url(world), order_data(world)).status_code == 302


def test_the_address_behind_trusted_proxies_is_used(world, client, settings):
    settings.PROXY_HOPS = 1
    client.post(
        intake_url(world),
        order_data(world),
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
        REMOTE_ADDR="127.0.0.1",
    )
    assert IntakeAttempt.objects.get().ip == "203.0.113.5"


def test_old_attempts_are_pruned(world):
    IntakeAttempt.objects.create(phone="13812345678", at=timezone.now() - timedelta(days=3))
    IntakeAttempt.objects.create(phone="13812345678")
    assert intake_attempts_prune() == 1
    assert IntakeAttempt.objects.count() == 1


def test_the_intake_retention_is_the_setting_and_the_command_prunes(world, settings):
    settings.INTAKE_ATTEMPT_RETENTION_DAYS = 5
    IntakeAttempt.objects.create(phone="13812345678", at=timezone.now() - timedelta(days=4))
    IntakeAttempt.objects.create(phone="13812345678", at=timezone.now() - timedelta(days=6))
    out = io.StringIO()
    call_command("intake_attempts_prune", stdout=out)
    assert out.getvalue().startswith("1 intake attempt(s)")
    assert IntakeAttempt.objects.count() == 1
    call_command("intake_attempts_prune", stdout=out)  # idempotent
    assert IntakeAttempt.objects.count() == 1


def test_the_form_needs_a_csrf_token(world, settings):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(intake_url(world), order_data(world)).status_code == 403
    assert not Order.objects.exists()


def test_the_notice_beside_the_tick_says_who_sees_the_whole_number(world, client):
    """It named only the member who serves, but the community's staff see the number too,
    each look at the whole of it recorded, as the full notice says (session 26's walk)."""
    html = client.get(intake_url(world)).content.decode()
    notice = re.search(r'<p class="notice-text"[^>]*>(.*?)<a ', html, re.S)[1]
    assert "社区工作人员" in notice and "为您服务的党员" in notice, notice
    assert "留记录" in notice, notice
    full = client.get(reverse("orders:privacy")).content.decode()
    assert "社区工作人员" in full and "记录" in full


def test_the_privacy_notice_page(world, client):
    response = client.get(reverse("orders:privacy"))
    assert response.status_code == 200
    assert "隐私说明" in response.content.decode()


def test_elder_mode_is_remembered_in_a_cookie(world, client):
    url = intake_url(world)
    response = client.post(reverse("orders:elder"), {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies["elder"].value == "1"
    assert 'class="resident elder"' in client.get(url).content.decode()
    response = client.post(reverse("orders:elder"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("orders:new")
    assert 'class="resident"' in client.get(url).content.decode()


def test_qr_codes_open_the_intake_page_of_a_site_and_of_a_community(
    world, client, sites, rf, settings
):
    settings.ALLOWED_HOSTS = ["jianghai.example.org", "testserver"]
    request = rf.get("/", HTTP_HOST="jianghai.example.org")
    site_url = intake_url_for_site(request, sites["b1"])
    community_url = intake_url_for_community(request, world.community)
    assert site_url == f"http://jianghai.example.org/order/site/{sites['b1'].pk}/?via=qr"
    assert community_url == f"http://jianghai.example.org{intake_url(world)}?via=qr"
    for url in (site_url, community_url):
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))
        assert [d.text for d in decoded] == [url]
        svg = qr_svg(url)
        assert svg.startswith("<svg ") and 'viewBox="0 0 ' in svg and "width=" in svg
    page = client.get(site_url.replace("http://jianghai.example.org", ""))
    assert page.status_code == 200
