"""The member's schedule (排班表) shows the event shifts they signed up for beside their pledge
visits: on the member page, in time order, with clashes marked, and in the iCalendar feed
(walk 27). The schedule is the pledges app's, below teams: teams adds its shifts through
pledges' schedule sources, registered in TeamsConfig.ready()."""

import ast
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import member_of, new_member
from pledgeloop.orgs.models import Category
from pledgeloop.pledges import jobs
from pledgeloop.pledges.models import Visit
from pledgeloop.pledges.tests.conftest import make_pledge
from pledgeloop.teams import events
from pledgeloop.teams.models import Event

from .helpers import position_in, school_order_taken

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
PLEDGES = Path(__file__).resolve().parents[2] / "pledges"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def fair_on(world, day: dt.date, *, title="红色便民集市", place=None, shifts=((9, 0, 11, 30),)):
    """A fair on `day` from 08:00 to 17:00 with a repair booth and shifts there (hours)."""
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title=title,
        starts_at=at(day, 8),
        ends_at=at(day, 17),
        place=place,
    )
    booth = events.booth_add(
        event=event,
        name="家电维修",
        category=Category.objects.get(street=world.street, code="repairs"),
    )
    session = event.sessions.get()
    made = [
        events.shift_add(
            session=session, booth=booth, starts_at=at(day, h0, m0), ends_at=at(day, h1, m1)
        )
        for h0, m0, h1, m1 in shifts
    ]
    return event, made


def weekly_visits(member, hour: int = 10):
    """A weekly pledge at `hour` for an hour; its coming visits, the first one first."""
    pledge = make_pledge(member, title="每周为独居老人测血压", visit_time=dt.time(hour, 0))
    jobs.generate_visits()
    today = timezone.localdate()
    return pledge, list(
        pledge.visits.filter(state=Visit.State.DUE, due_on__gt=today).order_by("scheduled_at")
    )


def page(client, member) -> str:
    response = client.get(reverse("pledges:member_page", args=[member.code]))
    assert response.status_code == 200
    return response.text


def schedule_items(text: str) -> list[str]:
    """The schedule's lines, in page order, as text."""
    schedule = text.split('class="schedule"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li\b.*?</li>", schedule, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def feed(client, member) -> icalendar.Calendar:
    response = client.get(reverse("pledges:member_schedule", args=[member.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def shift_events(calendar) -> list:
    return [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("teams-shift-")]


def event_url(event) -> str:
    return reverse("teams:event", args=[event.street.slug, event.slug])


# --- the page ----------------------------------------------------------------------------------


def test_the_member_page_lists_signed_up_shifts_among_the_visits_in_time_order(world, client):
    member = member_of(world)
    _pledge, visits = weekly_visits(member, hour=10)
    first, second = visits[0], visits[1]
    day = timezone.localdate(first.scheduled_at) + dt.timedelta(days=2)  # between two visits
    event, [shift] = fair_on(
        world, day, place=position_in(world, "星港湾党群服务中心"), shifts=((13, 0, 15, 30),)
    )
    events.shift_signup(shift=shift, member=member)
    text = page(client, member)
    items = schedule_items(text)
    [line] = [i for i in items if "红色便民集市" in i]
    assert "家电维修" in line and "星港湾党群服务中心" in line
    assert "13:00" in line and "15:30" in line
    assert f'href="{event_url(event)}"' in text
    # In time order: after the first visit, before the second.
    where = items.index(line)
    assert "测血压" in items[where - 1] and "测血压" in items[where + 1]
    assert f"{first.due_on.month}月{first.due_on.day}日" in items[where - 1]
    assert f"{second.due_on.month}月{second.due_on.day}日" in items[where + 1]
    assert "时间冲突" not in text


def test_an_overlap_of_a_shift_and_a_visit_is_marked_as_a_clash_on_both(world, client):
    member = member_of(world)
    _pledge, visits = weekly_visits(member, hour=10)  # 10:00–11:00
    day = timezone.localdate(visits[0].scheduled_at)
    # 09:00–10:30 overlaps the visit; 11:00–12:00 only touches its end: no clash.
    _event, shifts = fair_on(world, day, shifts=((9, 0, 10, 30), (11, 0, 12, 0)))
    for shift in shifts:
        events.shift_signup(shift=shift, member=member)
    items = schedule_items(page(client, member))
    where = next(n for n, item in enumerate(items) if "09:00" in item)
    clashing, visit, touching = items[where : where + 3]
    assert "09:00" in clashing and "红色便民集市" in clashing
    assert "测血压" in visit and "11:00" in touching
    assert "时间冲突" in clashing and "每周为独居老人测血压" in clashing
    assert "时间冲突" in visit and "红色便民集市" in visit
    assert "时间冲突" not in touching


def test_a_shift_beyond_the_next_twelve_visits_still_shows_its_clash(world, client):
    member = member_of(world)
    make_pledge(member, title="每天陪护独居老人", rrule="FREQ=DAILY", visit_time=dt.time(10, 0))
    jobs.generate_visits()
    day = timezone.localdate() + dt.timedelta(days=20)  # the 12 visits shown reach 11 days
    _event, [shift] = fair_on(world, day, shifts=((9, 30, 11, 0),))
    events.shift_signup(shift=shift, member=member)
    items = schedule_items(page(client, member))
    date = f"{day.month}月{day.day}日"
    [visit] = [i for i in items if date in i and "陪护" in i.split("时间冲突")[0]]
    [fair] = [i for i in items if date in i and "红色便民集市" in i.split("时间冲突")[0]]
    assert "时间冲突" in visit and "红色便民集市" in visit
    assert "时间冲突" in fair and "每天陪护独居老人" in fair
    assert items.index(fair) < items.index(visit)  # 09:30 before 10:00
    assert items[-1] == visit  # and nothing after the last shift


def test_two_shifts_of_two_events_at_once_clash(world, client):
    member = member_of(world)
    day = timezone.localdate() + dt.timedelta(days=5)
    _e1, [one] = fair_on(world, day, title="红色便民集市", shifts=((9, 0, 12, 0),))
    _e2, [two] = fair_on(world, day, title="健康义诊日", shifts=((11, 0, 13, 0),))
    events.shift_signup(shift=one, member=member)
    events.shift_signup(shift=two, member=member)
    items = schedule_items(page(client, member))
    assert len(items) == 2
    assert "时间冲突" in items[0] and "健康义诊日" in items[0]
    assert "时间冲突" in items[1] and "红色便民集市" in items[1]


def test_only_the_members_own_coming_shifts_show(world, client):
    member = member_of(world)
    other = new_member(world, "13600009999", "李四")
    now = timezone.now()
    today = timezone.localdate()
    past = timezone.localdate(now - dt.timedelta(days=3))
    _e, [over] = fair_on(world, past, title="上周的集市")
    over.signups.create(street=world.street, member=member)  # signed up before it happened
    _e, [theirs] = fair_on(world, today + dt.timedelta(days=4), title="别人的集市")
    events.shift_signup(shift=theirs, member=other)
    _e, [mine] = fair_on(world, today + dt.timedelta(days=6), title="我的集市")
    events.shift_signup(shift=mine, member=member)
    text = page(client, member)
    assert "我的集市" in text
    assert "上周的集市" not in text and "别人的集市" not in text


# --- cancelled sign-ups and events -----------------------------------------------------------


def on_order_session(world, day: dt.date):
    """A school's on-order session on `day`, accepted for a team by a leader, and its shift."""
    order, _heads = school_order_taken(world)
    event = events.on_order_event_create(
        order=order,
        title="垃圾分类进校园",
        starts_at=at(day, 14),
        ends_at=at(day, 16),
    )
    return event, event.sessions.get().shifts.get()


def test_a_cancelled_signup_or_a_cancelled_event_leaves_the_schedule(world, client):
    member = member_of(world)
    day = timezone.localdate() + dt.timedelta(days=3)
    _e, [kept, dropped] = fair_on(world, day, shifts=((8, 0, 10, 0), (10, 0, 12, 0)))
    for shift in (kept, dropped):
        events.shift_signup(shift=shift, member=member)
    events.signup_cancel(signup=dropped.signups.get(member=member))
    session_event, school_shift = on_order_session(world, day)
    events.shift_signup(shift=school_shift, member=member)
    assert "垃圾分类进校园" in page(client, member)
    assert len(shift_events(feed(client, member))) == 2
    # The school calls it off: the order is cancelled, and its session with it.
    order_services.order_cancel(order=session_event.order, reason="学校临时停课")
    text = page(client, member)
    [line] = [i for i in schedule_items(text) if "红色便民集市" in i]
    assert "08:00" in line and "10:00–12:00" not in text
    assert "垃圾分类进校园" not in text
    [shown] = shift_events(feed(client, member))
    assert shown.decoded("DTSTART") == at(day, 8)


# --- the feed --------------------------------------------------------------------------------


def test_the_feed_gives_each_shift_as_a_valid_event_with_a_stable_uid(world, client):
    member = member_of(world)
    pledge, _visits = weekly_visits(member)
    day = timezone.localdate() + dt.timedelta(days=4)
    event, [shift] = fair_on(
        world, day, place=position_in(world, "星港湾党群服务中心"), shifts=((13, 0, 15, 30),)
    )
    events.shift_signup(shift=shift, member=member)
    calendar = feed(client, member)
    [vevent] = shift_events(calendar)
    assert str(vevent["UID"]) == f"teams-shift-{shift.pk}-member-{member.pk}@testserver"
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start == at(day, 13) and end == at(day, 15, 30)
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent["DTEND"].params["TZID"] == "Asia/Shanghai"
    assert "红色便民集市" in str(vevent["SUMMARY"]) and "家电维修" in str(vevent["SUMMARY"])
    assert "星港湾党群服务中心" in str(vevent["LOCATION"])
    assert str(vevent["URL"]) == f"http://testserver{event_url(event)}"
    assert "Asia/Shanghai" in [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    # The pledge is still there, and the UID stays the same when the feed is read again.
    assert any(str(e["SUMMARY"]) == pledge.title for e in calendar.walk("VEVENT"))
    assert [str(e["UID"]) for e in shift_events(feed(client, member))] == [str(vevent["UID"])]


def test_a_shift_without_a_place_is_located_in_its_community(world, client):
    member = member_of(world)
    _e, [shift] = fair_on(world, timezone.localdate() + dt.timedelta(days=2))
    events.shift_signup(shift=shift, member=member)
    [vevent] = shift_events(feed(client, member))
    assert str(vevent["LOCATION"]) == "星港湾社区"


# --- cost and layers -------------------------------------------------------------------------


def test_the_member_page_does_not_ask_more_for_more_shifts(
    world, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = member_of(world)
    weekly_visits(member)
    today = timezone.localdate()
    place = position_in(world, "星港湾党群服务中心")
    _e, [shift] = fair_on(world, today + dt.timedelta(days=1), place=place)
    events.shift_signup(shift=shift, member=member)
    with CaptureQueriesContext(connection) as one:
        page(client, member)
    for n in range(2, 14):
        _e, [shift] = fair_on(world, today + dt.timedelta(days=n), title=f"集市{n}", place=place)
        events.shift_signup(shift=shift, member=member)
    with django_assert_max_num_queries(len(one)):
        text = page(client, member)
    assert text.count('class="shift') == 13


def test_pledges_never_imports_teams_and_teams_registers_its_source():
    from pledgeloop.pledges.schedule_sources import schedule_sources

    for path in PLEDGES.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n.startswith("pledgeloop.teams") for n in names), path
    assert "teams.shifts" in schedule_sources.names()


# --- on a phone --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_shows_the_shift_and_the_clash_on_the_member_page(
    world, live_server, browser, screenshot_dir
):
    from pledgeloop.conftest import PHONE

    member = member_of(world)
    _pledge, visits = weekly_visits(member, hour=10)
    day = timezone.localdate(visits[0].scheduled_at)
    event, _shifts = fair_on(
        world,
        day,
        place=position_in(world, "星港湾党群服务中心"),
        shifts=((9, 0, 10, 30), (13, 0, 15, 30)),
    )
    for shift in _shifts:
        events.shift_signup(shift=shift, member=member)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/m/{member.code}/")
    clashes = page.locator(".schedule li.clash")
    assert clashes.count() == 2
    assert "时间冲突" in clashes.first.inner_text()
    assert page.locator(".schedule li.shift").count() == 2
    link = page.locator(".schedule li.shift a").first
    assert link.get_attribute("href") == event_url(event) and link.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"member page is {width}px wide"
    page.locator(".schedule").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "pledges-member-schedule-phone.png"), full_page=True)
    context.close()
