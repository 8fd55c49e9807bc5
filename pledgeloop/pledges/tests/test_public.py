"""Public pages without sign-in: the wall, member pages, QR codes, the PDF sheet, the feed."""

import datetime as dt
import io
import re

import icalendar
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from pledgeloop.orgs.services import community_create
from pledgeloop.people.consents import consent_give, consents_withdraw
from pledgeloop.people.models import Consent
from pledgeloop.pledges import jobs, services
from pledgeloop.pledges.models import Pledge

from .conftest import category_of, make_member, make_pledge, service_record

pytestmark = pytest.mark.django_db


def wall_url(world) -> str:
    return reverse("pledges:wall", args=[world.community.slug])


def decode_qr(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


# --- the wall -----------------------------------------------------------------------------


def test_only_approved_public_pledges_reach_the_wall(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    make_pledge(member, state=Pledge.State.APPROVED, title="每月送学上门")
    make_pledge(member, state=Pledge.State.SUBMITTED, title="待审核的承诺")
    make_pledge(member, state=Pledge.State.RETURNED, title="被退回的承诺")
    make_pledge(member, state=Pledge.State.DRAFT, title="草稿承诺")
    make_pledge(member, state=Pledge.State.WITHDRAWN, title="撤回的承诺")
    make_pledge(member, state=Pledge.State.LAPSED, title="未兑现的承诺")
    make_pledge(member, public=False, title="不公开的承诺")
    page = client.get(wall_url(world))
    assert page.status_code == 200
    assert "每周为独居老人测血压" in page.text and "每月送学上门" in page.text
    for hidden in ["待审核", "被退回", "草稿", "撤回", "未兑现", "不公开"]:
        assert hidden not in page.text


def test_a_returned_pledge_leaves_the_wall(world, member, client):
    pledge = make_pledge(member, state=Pledge.State.SUBMITTED, title="每月为老年党员送学上门")
    services.pledge_return(pledge=pledge, by=world.community_admin, comment="请量化")
    assert "每月为老年党员送学上门" not in client.get(wall_url(world)).text
    pledge = services.pledge_submit(pledge=pledge, by=world.member)
    assert "每月为老年党员送学上门" not in client.get(wall_url(world)).text
    services.pledge_approve(pledge=pledge, by=world.community_admin)
    assert "每月为老年党员送学上门" in client.get(wall_url(world)).text


def test_the_wall_names_a_resident_beneficiary_only_with_their_public_consent(
    world, member, client
):
    """No name at all without the resident's consent to appear publicly; with it, the
    surname only (王**); withdrawn, no name again. Never the full name or the number."""
    make_pledge(
        member,
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_here,
        beneficiary_name="",
    )
    page = client.get(wall_url(world))
    assert "王**" not in page.text
    assert "王秀兰" not in page.text and "13812345678" not in page.text
    consent_give(
        street_id=world.street.pk,
        purpose=Consent.Purpose.PUBLIC,
        source="my",
        resident=world.resident_here,
    )
    page = client.get(wall_url(world))
    assert "王**" in page.text
    assert "王秀兰" not in page.text and "13812345678" not in page.text
    member_page = client.get(reverse("pledges:member_page", args=[member.code]))
    assert "王**" in member_page.text
    consents_withdraw(phone=world.resident_here.phone, purpose=Consent.Purpose.PUBLIC)
    assert "王**" not in client.get(wall_url(world)).text


def test_the_wall_shows_each_members_card_with_fulfilment_and_qr(world, member, client):
    pledge = make_pledge(member)
    jobs.generate_visits()
    for visit in pledge.visits.filter(due_on__lte=timezone.localdate())[:4]:
        services.visit_mark_fulfilled(visit=visit)
    page = client.get(wall_url(world))
    text = page.text
    assert "张三" in text and "退休党员" in text
    assert "80%" in text  # 4 of the 5 visits due so far
    assert "累计践诺率" in text  # since the pledges began, not the quarter's (the annual review's)
    assert 'viewBox="0 0' in text and 'class="qr"' in text
    assert reverse("pledges:member_page", args=[member.code]) in text
    # Other communities' members stay on their own walls.
    make_pledge(make_member(world, "13900000190", "刘强", world.neighbour))
    assert "刘强" not in client.get(wall_url(world)).text


def test_the_wall_and_a_member_page_lead_on(world, member, client):
    """The wall had no way to ask for help, and a member page no way back to the wall."""
    make_pledge(member)
    wall = client.get(wall_url(world)).text
    intake = reverse("orders:new_in_community", args=[world.street.slug, world.community.slug])
    assert f'href="{intake}" data-ask-for-help' in wall
    page = client.get(reverse("pledges:member_page", args=[member.code])).text
    assert f'href="{wall_url(world)}" data-back-to-wall' in page and "返回星港湾社区承诺墙" in page
    # In words a resident reads, not the files' formats (iCalendar, PNG).
    assert "把排班表加入手机日历" in page and "下载二维码图片" in page
    printed = client.get(reverse("pledges:wall_print", args=[world.community.slug])).text
    assert "data-ask-for-help" not in printed  # paper has its QR codes, not buttons


def test_the_print_layout_is_the_same_wall_for_a4(world, member, client):
    make_pledge(member)
    page = client.get(reverse("pledges:wall_print", args=[world.community.slug]))
    assert page.status_code == 200
    assert "print-layout" in page.text and "张三" in page.text


def test_an_unknown_community_is_not_found(client, world):
    assert client.get(reverse("pledges:wall", args=["nowhere"])).status_code == 404


def test_a_slug_used_by_two_streets_asks_which_one(world, member, client):
    community_create(street=world.other_street, name="星港湾", slug="xinggangwan")
    page = client.get(wall_url(world))
    assert "江海街道" in page.text and "和平街道" in page.text
    chosen = client.get(wall_url(world) + "?street=jianghai")
    assert "承诺墙" in chosen.text


def test_a_wall_of_60_members_takes_a_bounded_number_of_queries(
    world, client, django_assert_num_queries
):
    start = timezone.localdate() - dt.timedelta(days=60)
    for n in range(60):
        someone = make_member(world, f"1380000{n:04d}", f"队员{n}")
        make_pledge(someone, starts_on=start)
        make_pledge(
            someone,
            starts_on=start,
            title="每月为老年党员送学上门",
            rrule="FREQ=MONTHLY;BYDAY=1SA",
            target_visits=6,
            beneficiary_kind=Pledge.Beneficiary.RESIDENT,
            beneficiary_resident=world.resident_here,
        )
    jobs.generate_visits()
    # The streets' data versions (the key of the public pages' cache, orgs/pagecache.py), the
    # community, the members, their pledges with visit counts, the teams' card: five.
    with django_assert_num_queries(5):
        page = client.get(wall_url(world))
    assert page.text.count('class="member-card"') == 60
    with django_assert_num_queries(1):  # asked again: from the cache
        assert client.get(wall_url(world)).text.count('class="member-card"') == 60


# --- the member page -----------------------------------------------------------------------


def test_the_member_page_shows_pledges_schedule_figures_and_a_way_to_ask(world, member, client):
    pledge = make_pledge(member, visit_time=dt.time(15, 0))
    make_pledge(member, state=Pledge.State.SUBMITTED, title="待审核的承诺")
    jobs.generate_visits()
    page = client.get(reverse("pledges:member_page", args=[member.code]))
    assert page.status_code == 200
    text = page.text
    assert "张三" in text and pledge.title in text and "待审核的承诺" not in text
    assert "15:00" in text  # the next visits (排班表)
    assert f'href="/order/new/?member={member.code}"' in text
    assert reverse("pledges:member_schedule", args=[member.code]) in text
    assert "13900000103" not in text and "政治生日" not in text


def test_the_member_page_counts_the_hours_of_the_members_service_records(world, member, client):
    other = make_member(world, "13900000188", "钱二")
    started = timezone.now() - dt.timedelta(days=3)
    for hours, members in [("1.5", [member, other]), ("1", [member]), ("4", [other])]:
        service_record(world, members, hours, started)
    page = client.get(reverse("pledges:member_page", args=[member.code]))
    assert "<strong>2.5</strong>" in page.text


def test_contact_shows_only_when_the_member_opted_in(world, member, client):
    url = reverse("pledges:member_page", args=[member.code])
    assert "13900000103" not in client.get(url).text
    member.public_contact = True
    member.save()
    assert 'href="tel:13900000103"' in client.get(url).text


def test_an_inactive_or_unknown_member_page_is_not_found(world, member, client):
    assert client.get(reverse("pledges:member_page", args=["nobody"])).status_code == 404
    member.active = False
    member.save()
    assert client.get(reverse("pledges:member_page", args=[member.code])).status_code == 404


def test_the_member_sees_their_party_anniversary_on_their_own_page(
    world, member, client_for, client
):
    url = reverse("pledges:member_page", args=[member.code])
    own = client_for(world.member).get(url)
    assert "我的政治生日" in own.text
    assert "7月1日" in own.text  # joined the party on 1985-07-01
    client.logout()
    assert "政治生日" not in client.get(url).text


# --- QR codes, the PDF sheet and the calendar feed ------------------------------------------


def test_the_member_qr_png_decodes_to_the_member_page(member, client):
    response = client.get(reverse("pledges:member_qr_png", args=[member.code]))
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    expected = "http://testserver" + reverse("pledges:member_page", args=[member.code])
    assert decode_qr(response.content) == expected


def test_the_svg_on_the_page_is_the_same_code(member, client):
    import segno

    url = "http://testserver" + reverse("pledges:member_page", args=[member.code])
    page = client.get(reverse("pledges:member_page", args=[member.code]))
    path = segno.make(url, error="m").svg_inline(scale=1, omitsize=True).split(' d="', 1)[1]
    assert path.split('"', 1)[0] in page.text


def test_the_qr_card_sheet_is_a_pdf_with_chinese_text_and_every_member(world, member, client_for):
    make_pledge(member, title="每周为独居老人测血压")
    make_member(world, "13900000191", "欧阳娜")
    response = client_for(world.community_admin).get(
        reverse("pledges:wall_qr_sheet", args=[world.community.slug])
    )
    assert response["Content-Type"] == "application/pdf"
    assert "jianghai-xinggangwan-qr-cards.pdf" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1  # four cards to a page
    text = "".join(page.extract_text() for page in reader.pages)
    assert "星港湾社区" in text and "党员二维码" in text
    assert "张三" in text and "欧阳娜" in text
    assert "每周为独居老人测血压" in text
    fonts = str(reader.pages[0]["/Resources"]["/Font"].get_object())
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4
    assert "CJK" in "".join(
        str(f.get_object()["/BaseFont"])
        for f in reader.pages[0]["/Resources"]["/Font"].get_object().values()
    ), fonts


def test_the_qr_card_sheet_is_for_the_communitys_admins_only(world, member, client_for, client):
    url = reverse("pledges:wall_qr_sheet", args=[world.community.slug])
    assert client.get(url).status_code == 404
    assert client_for(world.member).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404


def test_the_schedule_feed_is_valid_icalendar_with_stable_uids(world, member, client):
    pledge = make_pledge(member, visit_time=dt.time(15, 0), duration_minutes=90)
    make_pledge(member, public=False, title="不公开的承诺")
    jobs.generate_visits()
    url = reverse("pledges:member_schedule", args=[member.code])
    response = client.get(url)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Shanghai"
    events = calendar.walk("VEVENT")
    # One recurring event for the pledge (test_schedule.py checks its dates).
    assert len(events) == 1 and events[0]["RRULE"]["FREQ"] == ["WEEKLY"]
    first = events[0]
    start = first.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Shanghai" and (start.hour, start.minute) == (15, 0)
    assert first.decoded("DTEND") - start == dt.timedelta(minutes=90)
    assert str(first["SUMMARY"]) == pledge.title
    assert "DTSTAMP" in first
    assert all("不公开" not in str(e["SUMMARY"]) for e in events)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    again = icalendar.Calendar.from_ical(client.get(url).content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == uids
    # Regenerating the visits keeps the identities calendars know them by.
    pledge.visits.all().delete()
    jobs.generate_visits()
    regenerated = icalendar.Calendar.from_ical(client.get(url).content)
    assert [str(e["UID"]) for e in regenerated.walk("VEVENT")] == uids


# --- a long wall on a phone: search and groups (issue 14, part 7) ---------------------------


def long_wall(world):
    people = {}
    for phone, name, code in [
        ("13900000301", "李明", "health"),
        ("13900000302", "刘洋", "repairs"),
        ("13900000303", "王芳", "health"),
    ]:
        someone = make_member(world, phone, name)
        make_pledge(someone, category=category_of(world.street, code), title=f"{name}的承诺")
        people[name] = someone
    make_pledge(people["王芳"], category=category_of(world.street, "repairs"), title="王芳修水龙头")
    return people


def names_on(text: str) -> set[str]:
    return {n for n in ["李明", "刘洋", "王芳"] if f"{n}</a></h2>" in text}


def test_the_wall_finds_members_by_name_pinyin_or_initials(world, client):
    long_wall(world)
    for query, found in [
        ("王芳", {"王芳"}),
        ("wangfang", {"王芳"}),
        ("lm", {"李明"}),
        ("l", {"李明", "刘洋"}),
        ("liu", {"刘洋"}),
    ]:
        page = client.get(wall_url(world), {"q": query})
        assert page.status_code == 200
        assert names_on(page.text) == found, query
        assert f'value="{query}"' in page.text  # the box keeps what was typed
    nobody = client.get(wall_url(world), {"q": "zzz"}).text
    assert names_on(nobody) == set() and "没有找到" in nobody


def groups_on(text: str) -> dict[str, str]:
    """The category groups a wall page shows: heading (the category's name) → its HTML."""
    groups = text.split('class="wall-group"')[1:]
    return {g.split("<h2")[1].split(">")[1].split("<")[0].strip(): g for g in groups}


def test_the_phone_wall_shows_one_pledge_category_to_a_page(world, client):
    """A short page on a phone (issue 14: the whole wall was 16,000 px and too heavy): one
    category at a time, real links to the others with their counts, no script needed."""
    long_wall(world)
    health, repairs = category_of(world.street, "health"), category_of(world.street, "repairs")
    text = client.get(wall_url(world)).text
    # The first category of the street's order, and only it.
    assert list(groups_on(text)) == [health.name]
    assert names_on(text) == {"李明", "王芳"} and "王芳修水龙头" not in text
    assert f'href="?category={health.code}" aria-current="page"' in text
    assert f'href="?category={repairs.code}"' in text and "2 人" in text
    # The other category, by its link: that category's pledges only on each card.
    text = client.get(wall_url(world), {"category": repairs.code}).text
    assert list(groups_on(text)) == [repairs.name]
    assert names_on(text) == {"刘洋", "王芳"}
    assert "王芳修水龙头" in text and "王芳的承诺" not in text
    assert f'href="?category={repairs.code}" aria-current="page"' in text
    # At the foot, a big link on to the next category (the last leads back to the first).
    assert f'href="?category={health.code}">下一类：{health.name}' in text
    # An unknown category shows the first; a search looks through every category.
    assert list(groups_on(client.get(wall_url(world), {"category": "nope"}).text)) == [health.name]
    found = client.get(wall_url(world), {"q": "wangfang"}).text
    assert list(groups_on(found)) == [health.name, repairs.name]
    assert "王芳修水龙头" in found and "王芳的承诺" in found


def test_every_pledge_of_the_wall_is_one_category_link_away(world, client):
    """Nothing is hidden: the category pages together hold every pledge of the printed wall,
    and the street of a shared slug is kept in the links."""
    long_wall(world)
    start = client.get(wall_url(world)).text
    links = re.findall(r'<a href="\?(category=[\w-]+)"', start.split("category-links")[1])
    on_pages = set()
    for link in links:
        page = client.get(f"{wall_url(world)}?{link}").text
        on_pages |= set(re.findall(r'<span class="pledge-title">(.*?)</span>', page))
    printed = client.get(reverse("pledges:wall_print", args=[world.community.slug])).text
    assert on_pages == set(re.findall(r'<span class="pledge-title">(.*?)</span>', printed))
    assert len(on_pages) == 4
    assert 'href="?category=health&amp;street=jianghai"' in (
        client.get(wall_url(world), {"street": "jianghai"}).text
    )


def test_the_a4_wall_keeps_one_card_per_member(world, client):
    long_wall(world)
    # The A4 print keeps one card per member, with all their pledges, in name order.
    printed = client.get(reverse("pledges:wall_print", args=[world.community.slug])).text
    assert printed.count('class="member-card"') == 3 and 'class="wall-group"' not in printed
