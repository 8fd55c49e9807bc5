"""Schedules that show what is coming (issue 14, part 2): approved pledges appear from their
start, on the member page and in the schedule.ics feed, where each pledge is one recurring
event (RRULE) with its skipped visits excluded and its moved visits overridden."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone

from pledgeloop.pledges import jobs
from pledgeloop.pledges.models import Pledge

from .conftest import make_pledge

ZONE = ZoneInfo("Asia/Shanghai")


def next_weekday(day: dt.date, weekday: int, weeks: int = 0) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 + 7 * weeks)


def feed(client, member) -> icalendar.Calendar:
    response = client.get(reverse("pledges:member_schedule", args=[member.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def moments(calendar, since: dt.date, days: int, title: str) -> list[dt.datetime]:
    start = dt.datetime.combine(since, dt.time.min, tzinfo=ZONE)
    found = recurring_ical_events.of(calendar).between(start, start + dt.timedelta(days=days))
    return sorted(
        event.decoded("DTSTART").astimezone(ZONE).replace(tzinfo=None)
        for event in found
        if str(event["SUMMARY"]) == title
    )


def approved_later(member, **fields) -> Pledge:
    today = timezone.localdate()
    starts_on = next_weekday(today, 0, weeks=3)  # a Monday three weeks ahead
    values = {
        "state": Pledge.State.APPROVED,
        "title": "每周六陪老人下棋",
        "rrule": "FREQ=WEEKLY;BYDAY=SA",
        "starts_on": starts_on,
        "ends_on": starts_on + dt.timedelta(days=400),
        "visit_time": dt.time(9, 30),
        "target_visits": 40,
    }
    values.update(fields)
    return make_pledge(member, **values)


def test_the_member_page_shows_an_approved_pledge_from_its_start(world, member, client):
    pledge = approved_later(member)
    jobs.generate_visits()
    assert not pledge.visits.exists()  # not started: no visits yet
    page = client.get(reverse("pledges:member_page", args=[member.code])).text
    first = next_weekday(pledge.starts_on, 5)
    start = f"{pledge.starts_on.month}月{pledge.starts_on.day}日"
    assert f"{start}起，每周六 09:30" in page
    assert "暂无排班" not in page
    # The schedule lists the coming Saturdays, the first of them first.
    assert f"{first.month}月{first.day}日" in page.split('class="schedule"')[1]


def test_the_feed_carries_a_pledge_not_yet_started_as_a_recurring_event(world, member, client):
    pledge = approved_later(member)
    jobs.generate_visits()
    calendar = feed(client, member)
    [event] = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == pledge.title]
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["SA"]
    year = moments(calendar, pledge.starts_on, 365, pledge.title)
    wanted = pledge.occurrences(until=pledge.starts_on + dt.timedelta(days=364))
    assert year == wanted and len(year) == 52


def test_over_a_year_the_feed_gives_each_pledges_own_dates(world, member, client):
    today = timezone.localdate()
    rules = {
        "每周一次": "FREQ=WEEKLY",
        "每两周一次": "FREQ=WEEKLY;INTERVAL=2",
        "每月第一个周六": "FREQ=MONTHLY;BYDAY=1SA",
        "每月最后一个周日": "FREQ=MONTHLY;BYDAY=-1SU",
        "每季度一次": "FREQ=MONTHLY;INTERVAL=3",
    }
    pledges = []
    for title, rule in rules.items():
        pledges.append(
            make_pledge(
                member,
                title=title,
                rrule=rule,
                starts_on=today - dt.timedelta(days=40),
                ends_on=today + dt.timedelta(days=500),
                target_visits=3,
                visit_time=dt.time(14, 15),
            )
        )
    jobs.generate_visits()
    calendar = feed(client, member)
    assert len(calendar.walk("VEVENT")) == len(rules)  # one recurring event per pledge
    for pledge in pledges:
        approved = timezone.localtime(pledge.approved_at).date()
        since = max(pledge.starts_on, approved)
        got = moments(calendar, since, 365, pledge.title)
        wanted = pledge.occurrences(since=since, until=since + dt.timedelta(days=364))
        assert got == wanted, pledge.title
        # Well past the 90 days of generated visits, the calendar still knows the dates.
        assert got[-1].date() > today + dt.timedelta(days=200)


def test_skipped_and_moved_visits_show_as_they_are(world, member, client):
    today = timezone.localdate()
    pledge = make_pledge(
        member,
        title="每周为独居老人测血压",
        rrule="FREQ=WEEKLY",
        starts_on=today - dt.timedelta(days=14),
        visit_time=dt.time(9, 0),
    )
    jobs.generate_visits()
    visits = list(pledge.visits.filter(due_on__gt=today).order_by("scheduled_at"))
    skipped, moved = visits[1], visits[3]
    skipped.delete()
    new_time = moved.scheduled_at + dt.timedelta(hours=6, minutes=30)
    pledge.visits.filter(pk=moved.pk).update(scheduled_at=new_time)
    calendar = feed(client, member)
    since = pledge.starts_on
    got = moments(calendar, since, 365, pledge.title)
    rule = pledge.occurrences(since=since, until=since + dt.timedelta(days=364))
    skipped_at = timezone.localtime(skipped.scheduled_at).replace(tzinfo=None)
    moved_from = timezone.localtime(moved.scheduled_at).replace(tzinfo=None)
    moved_to = timezone.localtime(new_time).replace(tzinfo=None)
    assert skipped_at not in got and moved_from not in got and moved_to in got
    assert sorted(set(rule) - {skipped_at, moved_from} | {moved_to}) == got
    # The override names the moment it replaces.
    [override] = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert override.decoded("RECURRENCE-ID").astimezone(ZONE).replace(tzinfo=None) == moved_from


def test_a_withdrawn_or_private_pledge_is_not_in_the_feed(world, member, client):
    approved_later(member, title="撤回的承诺", state=Pledge.State.WITHDRAWN)
    approved_later(member, title="不公开的承诺", public=False)
    kept = approved_later(member)
    titles = [str(e["SUMMARY"]) for e in feed(client, member).walk("VEVENT")]
    assert titles == [kept.title]
