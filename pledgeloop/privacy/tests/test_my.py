"""The person's rights at /my/: sign in by SMS code, see, download, correct, ask for deletion."""

import datetime as dt
import io
import json
from decimal import Decimal

import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.tests.loop import bring_to, new_order
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Consent, Resident
from pledgeloop.privacy.models import DeletionRequest, OneTimeCode
from pledgeloop.reviews.models import Review
from pledgeloop.reviews.services import review_submit
from pledgeloop.stats import indicators, rollups
from pledgeloop.stats.periods import Period
from pledgeloop.stats.scope import Scope

from .conftest import last_code, sign_in_by_code

PHONE = "13812345678"  # world.resident_here's number, which new_order uses


def reviewed_order(world) -> Order:
    """Done, and reviewed by the resident with a comment (the review link's service)."""
    order = bring_to(world, Order.State.DONE)
    review_submit(record=order.service_records.get(), rating=5, comment="王阿姨很满意", solved=True)
    return Order.objects.get(pk=order.pk)


def test_my_asks_for_a_code_first(world, client):
    response = client.get(reverse("privacy:my"))
    assert response.status_code == 302 and response["Location"] == reverse("privacy:sign_in")


def test_a_code_is_texted_and_kept_only_hashed(world, client, texts):
    new_order(world)
    client.post("/my/sign-in/", {"phone": PHONE})
    code = last_code(texts)
    row = OneTimeCode.objects.get(phone=PHONE)
    assert code not in row.code_hash and row.sent
    assert row.expires_at - row.created_at == dt.timedelta(minutes=settings.ONE_TIME_CODE_MINUTES)
    assert "logged, NOT sent" in texts()[-1]


def test_a_number_we_hold_nothing_for_gets_no_text_and_the_same_answer(world, client, texts):
    response = client.post("/my/sign-in/", {"phone": "13600000000"}, follow=True)
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert texts() == []
    assert client.post("/my/sign-in/", {"code": "123456"}).status_code == 200
    assert client.get(reverse("privacy:my")).status_code == 302


def test_a_wrong_code_counts_and_the_code_dies_after_the_limit(world, client, texts):
    new_order(world)
    client.post("/my/sign-in/", {"phone": PHONE})
    code = last_code(texts)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.ONE_TIME_CODE_MAX_TRIES):
        assert client.post("/my/sign-in/", {"code": wrong}).status_code == 200
    response = client.post("/my/sign-in/", {"code": code})
    assert response.status_code == 200  # the right code, too late
    assert client.get(reverse("privacy:my")).status_code == 302


def test_a_code_expires(world, client, texts):
    new_order(world)
    client.post("/my/sign-in/", {"phone": PHONE})
    code = last_code(texts)
    later = timezone.now() + dt.timedelta(minutes=settings.ONE_TIME_CODE_MINUTES + 1)
    with time_machine.travel(later):
        assert client.post("/my/sign-in/", {"code": code}).status_code == 200
    assert client.get(reverse("privacy:my")).status_code == 302


def test_codes_are_limited_per_number_and_per_address(world, client, texts):
    new_order(world)
    for _ in range(settings.ONE_TIME_CODES_PER_PHONE_PER_HOUR):
        client.post("/my/sign-in/", {"phone": PHONE})
    sent = len(texts())
    response = client.post("/my/sign-in/", {"phone": PHONE})
    assert len(texts()) == sent and "一小时" in response.content.decode()
    # Another address may not ask for many numbers either.
    other = client.__class__(REMOTE_ADDR="10.9.9.9")
    for n in range(settings.ONE_TIME_CODES_PER_IP_PER_HOUR):
        other.post("/my/sign-in/", {"phone": f"1360000{n:04d}"})
    response = other.post("/my/sign-in/", {"phone": "13611112222"})
    assert not OneTimeCode.objects.filter(phone="13611112222").exists()
    assert "一小时" in response.content.decode()


def test_the_person_sees_everything_held_about_them(world, client, texts):
    order = reviewed_order(world)
    sign_in_by_code(client, texts, PHONE)
    response = client.get(reverse("privacy:my"))
    html = response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    for text in ("王秀兰", "阳光花园3幢201室", order.description, "王阿姨", PHONE):
        assert text in html
    assert 'id="order_history"' in html and 'id="consents"' in html


def test_what_a_person_typed_is_shown_as_text_and_an_empty_field_as_a_dash(world, client, texts):
    new_order(world, description="<script>alert(1)</script> 水管 & 阀门", contact_name="")
    sign_in_by_code(client, texts, PHONE)
    html = client.get(reverse("privacy:my")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 水管 &amp; 阀门" in html
    # the order's empty "how to address you", and its "done at" not yet
    assert "<dt>称呼</dt><dd>—</dd>" in html and "<dt>完成时间</dt><dd>—</dd>" in html


def test_the_page_shows_dates_as_people_read_them_and_the_download_keeps_iso(world, client, texts):
    order = new_order(world)
    sign_in_by_code(client, texts, PHONE)
    client.post(reverse("privacy:delete"), {"confirm": "1"})
    html = client.get(reverse("privacy:my")).content.decode()
    filed = timezone.localtime(order.created_at)
    due = timezone.localtime(DeletionRequest.objects.get().due_by)
    assert f"<dd>{filed.year}年{filed.month}月{filed.day}日 {filed:%H:%M}</dd>" in html
    assert f"将在{due.year}年{due.month}月{due.day}日 {due:%H:%M}前办结" in html
    assert filed.isoformat(timespec="minutes") not in html
    data = json.loads(client.get(reverse("privacy:export_json")).content)
    assert data["orders"][0]["filed_at"] == filed.isoformat(timespec="minutes")


def test_the_excel_copy_holds_dates_and_times_that_excel_reads_as_such(world, client, texts):
    """Excel is the copy for people: a time is a real date-time cell (local, to the minute,
    shown as 2026-09-05 14:30), a day a real date cell, not ISO text with its offset."""
    order = new_order(world)
    sign_in_by_code(client, texts, PHONE)
    book = load_workbook(io.BytesIO(client.get(reverse("privacy:export_xlsx")).content))
    data = json.loads(client.get(reverse("privacy:export_json")).content)
    orders = book.worksheets[[s["key"] for s in _sections(data)].index("orders")]
    header = [c.value for c in orders[1]]
    cell = orders.cell(row=2, column=header.index("提交时间") + 1)
    filed = timezone.localtime(order.created_at).replace(second=0, microsecond=0, tzinfo=None)
    assert cell.is_date and cell.value == filed
    assert cell.number_format == "yyyy-mm-dd hh:mm"
    consents = book.worksheets[[s["key"] for s in _sections(data)].index("consents")]
    header = [c.value for c in consents[1]]
    given = consents.cell(row=2, column=header.index("同意时间") + 1)
    assert given.is_date and given.number_format == "yyyy-mm-dd hh:mm"


def _sections(data: dict) -> list[dict]:
    """The downloads' sections in order (the JSON's keys after phone and generated_at)."""
    return [{"key": k} for k in data if k not in ("phone", "generated_at")]


def test_tables_that_hold_few_people_are_read_only_when_they_hold_this_number(world, client, texts):
    """Event registrations, volunteer profiles and deletion requests: one statement asks
    whether any holds the number, and only those that do are read."""
    new_order(world)
    sign_in_by_code(client, texts, PHONE)
    rare = ("teams_registration", "teams_volunteer", "privacy_deletionrequest")

    def reads() -> tuple[dict[str, int], str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("privacy:my")).content.decode()
        found = {t: sum(f'FROM "{t}"' in q["sql"] for q in queries.captured_queries) for t in rare}
        return found, html

    found, html = reads()
    assert found == dict.fromkeys(rare, 1)  # the one statement of three EXISTS
    assert 'id="deletion_requests"' not in html

    client.post(reverse("privacy:delete"), {"confirm": "1"})
    found, html = reads()
    assert found["privacy_deletionrequest"] == 2 and found["teams_registration"] == 1
    assert 'id="deletion_requests"' in html and "您的申请正在办理" in html


def test_each_order_leads_to_its_tracking_page_and_the_downloads_keep_the_number(
    world, client, texts
):
    """/my/ listed a person's orders with no way to follow one (session 17's walk)."""
    order = new_order(world)
    sign_in_by_code(client, texts, PHONE)
    html = client.get(reverse("privacy:my")).content.decode()
    track = reverse("orders:track", args=[order.tracking_token])
    assert f'<dd><a href="{track}">{order.pk} · 查看进度</a></dd>' in html
    assert client.get(track).status_code == 200
    data = json.loads(client.get(reverse("privacy:export_json")).content)
    assert data["orders"][0]["number"] == order.pk
    assert order.tracking_token not in json.dumps(data)


def test_the_page_leads_to_a_new_request_in_the_residents_own_community(world, client, texts):
    """/my/, a resident's home once signed in, had no way to ask for help again: the order
    form was only behind the QR code on the wall."""
    new_order(world)
    sign_in_by_code(client, texts, PHONE)
    html = client.get(reverse("privacy:my")).content.decode()
    form = reverse("orders:new_in_community", args=[world.street.slug, world.community.slug])
    assert f'href="{form}" data-new-request>向{world.community.name}提新需求</a>' in html
    assert html.count("data-new-request") == 1  # 李四's record, in 腾飞, is another number
    assert client.get(form).status_code == 200


def test_the_downloads_parse_with_real_readers(world, client, texts):
    order = reviewed_order(world)
    sign_in_by_code(client, texts, PHONE)
    response = client.get(reverse("privacy:export_json"))
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["phone"] == PHONE
    assert [r["number"] for r in data["orders"]] == [order.pk]
    assert data["residents"][0]["name"] == "王秀兰"
    assert {r["to_state"] for r in data["order_history"]} >= {"已完成"}
    assert data["consents"][0]["notice_version"]
    assert data["reviews"][0]["comment"] == "王阿姨很满意"
    response = client.get(reverse("privacy:export_xlsx"))
    book = load_workbook(io.BytesIO(response.content))
    orders = book["求助记录"] if "求助记录" in book.sheetnames else book.worksheets[1]
    values = [[c.value for c in row] for row in orders.iter_rows()]
    assert order.pk in values[1] and order.description in values[1]
    assert len(book.worksheets) == len([k for k in data if k not in ("phone", "generated_at")])


def test_the_person_corrects_name_and_address(world, client, texts):
    new_order(world)
    sign_in_by_code(client, texts, PHONE)
    client.post(reverse("privacy:correct"), {"name": "王秀英", "address": "阳光花园3幢202室"})
    resident = Resident.objects.get(pk=world.resident_here.pk)
    assert (resident.name, resident.address) == ("王秀英", "阳光花园3幢202室")
    client.post(reverse("privacy:correct"), {"name": "", "address": "x"})
    assert Resident.objects.get(pk=resident.pk).name == "王秀英"  # refused, nothing changed


def test_a_number_known_only_by_its_orders_has_the_name_on_them_corrected(world, client, texts):
    """Someone who only ever asked by QR code has no resident record: the name they gave is
    the 称呼 on their orders, and that is what a correction corrects. A correction that
    changes nothing says so rather than "corrected"."""
    stranger = "13955556666"
    order = new_order(world, phone=stranger, contact_name="")
    other = new_order(world)  # another number's order keeps its name
    sign_in_by_code(client, texts, stranger)
    page = client.post(reverse("privacy:correct"), {"name": "李桂英", "address": ""}, follow=True)
    assert "您的信息已更正" in page.content.decode()
    assert Order.objects.get(pk=order.pk).contact_name == "李桂英"
    assert Order.objects.get(pk=other.pk).contact_name == "王阿姨"
    assert not Resident.objects.filter(phone=stranger).exists()
    page = client.post(reverse("privacy:correct"), {"name": "李桂英", "address": ""}, follow=True)
    text = page.content.decode()
    assert "没有需要更正的地方" in text and "您的信息已更正" not in text


def test_a_number_known_only_by_its_orders_sees_its_name_and_building(world, client, texts):
    """Someone who asked by QR code found "correct my details" with an empty name although
    their orders call them 李奶奶, and their orders' building missing, the address reading
    "302室" alone, on the page and in the downloads (session 26's walk)."""
    compound = Site.objects.create(
        street=world.street, community=world.community, kind=Site.Kind.COMPOUND, name="学田花园",
        latitude=Decimal("31.9570"), longitude=Decimal("120.9420"),
    )  # fmt: skip
    building = Site.objects.create(
        street=world.street, community=world.community, kind=Site.Kind.BUILDING, name="3幢",
        parent=compound, latitude=Decimal("31.9571"), longitude=Decimal("120.9421"),
    )  # fmt: skip
    stranger = "13955556666"
    new_order(world, phone=stranger, contact_name="李奶奶", site=building, address="302室")
    sign_in_by_code(client, texts, stranger)
    page = client.get(reverse("privacy:my"))
    assert page.context["correct_form"]["name"].value() == "李奶奶"
    orders = next(s for s in page.context["sections"] if s.key == "orders")
    assert orders.rows[0]["building"] == "学田花园 3幢"
    assert "学田花园 3幢" in page.content.decode()
    data = json.loads(client.get(reverse("privacy:export_json")).content)
    assert "学田花园 3幢" in json.dumps(data, ensure_ascii=False)


def test_the_number_waiting_for_its_code_stays_in_its_field(world, client, texts):
    """After the code was sent the field was empty, and "send a new code" answered that the
    field is required."""
    new_order(world)
    client.post("/my/sign-in/", {"phone": PHONE})
    html = client.get("/my/sign-in/").content.decode()
    assert f'value="{PHONE}"' in html
    resend = client.post("/my/sign-in/", {"phone": PHONE})
    assert resend.status_code == 302
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 2


def test_an_unticked_deletion_is_answered_beside_its_box(world, client, texts):
    """The refusal was at the page's top, six screens above the form on a phone."""
    new_order(world)
    sign_in_by_code(client, texts, PHONE)
    response = client.post(reverse("privacy:delete"), {})
    assert response["Location"] == reverse("privacy:my") + "?unticked=1#delete"
    html = client.get(response["Location"]).content.decode()
    section = html.split('id="delete"', 1)[1]
    assert 'role="alert" id="delete-unticked">请勾选以确认。' in section
    assert 'aria-invalid="true"' in section
    assert "下载数据文件（供其他软件读取）" in html and "（JSON）" not in html
    assert not DeletionRequest.objects.exists()


def test_the_pages_are_private_and_need_a_code_each_time_after_a_while(world, client, texts):
    new_order(world)
    sign_in_by_code(client, texts, PHONE)
    assert "no-store" in client.get(reverse("privacy:my"))["Cache-Control"]
    later = timezone.now() + dt.timedelta(minutes=settings.MY_SESSION_MINUTES + 1)
    with time_machine.travel(later):
        assert client.get(reverse("privacy:my")).status_code == 302


def _figures(world):
    rollups.rollups_refresh()
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=30), today + dt.timedelta(days=1))
    return [
        indicators.headline(Scope(street_id=world.street.pk), period),
        indicators.headline(
            Scope(street_id=world.street.pk, community_id=world.community.pk), period
        ),
        indicators.participants(Scope(street_id=world.street.pk), period),
    ]


def test_a_resident_exports_then_deletes_and_the_indicators_stay_equal(
    world, client, client_for, texts
):
    done = reviewed_order(world)
    cancelled = bring_to(world, Order.State.CANCELLED)
    before = _figures(world)
    sign_in_by_code(client, texts, PHONE)
    assert json.loads(client.get(reverse("privacy:export_json")).content)["orders"]
    client.post(reverse("privacy:delete"), {})  # unconfirmed: nothing
    assert not DeletionRequest.objects.exists()
    client.post(reverse("privacy:delete"), {"confirm": "1"})
    request = DeletionRequest.objects.get()
    assert request.community == world.community
    assert request.due_by - request.requested_at == dt.timedelta(
        days=settings.DELETION_REQUEST_DAYS
    )
    client.post(reverse("privacy:delete"), {"confirm": "1"})  # again: still one
    assert DeletionRequest.objects.count() == 1

    # The neighbouring community's admin neither sees nor completes it.
    outsider = client_for(world.outsider)
    assert "138****5678" not in outsider.get(reverse("console:deletion_requests")).content.decode()
    url = reverse("console:deletion_request_complete", args=[request.pk])
    assert outsider.post(url).status_code == 404
    admin = client_for(world.community_admin)
    page = admin.get(reverse("console:deletion_requests")).content.decode()
    assert "138****5678" in page
    admin.post(url)

    for order in (done, cancelled):
        order = Order.objects.get(pk=order.pk)
        assert (order.phone, order.contact_name, order.address, order.description) == (
            "",
            "",
            "",
            "",
        )
        assert order.anonymised_at is not None and not order.photo
    resident = Resident.objects.get(pk=world.resident_here.pk)
    assert resident.phone == "" and "王" not in resident.name and resident.address == ""
    assert not Consent.objects.filter(phone=PHONE).exists()
    assert Review.objects.filter(order=done).exclude(comment="").count() == 0
    assert not OrderEvent.objects.filter(order=done, by_label="王阿姨").exists()
    assert DeletionRequest.objects.get().completed_at is not None
    assert _figures(world) == before


def test_members_see_export_and_correct_their_own_data(world, client_for):
    client = client_for(world.member)
    html = client.get(reverse("privacy:my")).content.decode()
    assert "张三" in html and "1985年7月1日" in html
    data = json.loads(client.get(reverse("privacy:export_json")).content)
    assert data["member"][0]["phone"] == world.member.phone
    client.post(reverse("privacy:correct"), {"name": "张叁"})
    world.member.refresh_from_db()
    assert world.member.name == "张叁"
    client.post(reverse("privacy:delete"), {"confirm": "1"})
    assert DeletionRequest.objects.get().community == world.community


def test_a_members_deletion_keeps_their_hours(world, client_for):
    bring_to(world, Order.State.DONE)
    before = _figures(world)
    client_for(world.member).post(reverse("privacy:delete"), {"confirm": "1"})
    request = DeletionRequest.objects.get()
    client_for(world.community_admin).post(
        reverse("console:deletion_request_complete", args=[request.pk])
    )
    world.member.refresh_from_db()
    assert world.member.name.startswith("#") and not world.member.is_active
    assert not world.member.phone.startswith("1")
    assert _figures(world) == before
    assert Decimal(before[0]["service_hours"]) > 0
