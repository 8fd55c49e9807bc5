"""Party anniversaries (政治生日): a reminder 7 days before and on the day, sent once."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from pledgeloop.notify.models import Notification
from pledgeloop.pledges import jobs
from pledgeloop.pledges.anniversaries import anniversary_in, next_anniversary, party_years

from .conftest import make_member

pytestmark = pytest.mark.django_db

# 张三 of the shared world joined the party on 1985-07-01.
ANNIVERSARY = dt.date(2026, 7, 1)


def reminders(user) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(user=user, kind="anniversary")
        .order_by("created_at", "id")
        .values_list("title", "dedupe_key")
    )


def test_a_reminder_comes_seven_days_before_and_on_the_day(world, member):
    assert jobs.remind_anniversaries(today=ANNIVERSARY - dt.timedelta(days=8)) == 0
    assert jobs.remind_anniversaries(today=ANNIVERSARY - dt.timedelta(days=7)) == 1
    assert jobs.remind_anniversaries(today=ANNIVERSARY - dt.timedelta(days=6)) == 0
    assert jobs.remind_anniversaries(today=ANNIVERSARY) == 1
    assert jobs.remind_anniversaries(today=ANNIVERSARY + dt.timedelta(days=1)) == 0
    assert reminders(world.member) == [
        ("距您的政治生日还有7天：入党41周年", f"anniversary:{member.pk}:2026-07-01:7d"),
        ("今天是您的政治生日：入党41周年", f"anniversary:{member.pk}:2026-07-01:0d"),
    ]
    note = Notification.objects.filter(user=world.member).first()
    assert note.url == reverse("pledges:mine") and "承诺" in note.body
    assert note.street_id == world.street.pk


def test_running_the_job_twice_on_a_day_reminds_once(world, member):
    for _ in range(2):
        jobs.remind_anniversaries(today=ANNIVERSARY)
        call_command("remind_anniversaries", "--today", ANNIVERSARY.isoformat())
    assert len(reminders(world.member)) == 1


def test_a_day_the_job_missed_is_caught_up_within_the_week(world, member):
    assert jobs.remind_anniversaries(today=ANNIVERSARY - dt.timedelta(days=5)) == 1
    [(title, _key)] = reminders(world.member)
    assert "还有5天" in title


def test_volunteers_and_inactive_members_get_no_reminder(world, member):
    make_member(world, "13900000170", "志愿者", kind="volunteer", party_join_date=None)
    member.active = False
    member.save()
    assert jobs.remind_anniversaries(today=ANNIVERSARY) == 0


def test_a_29_february_anniversary_falls_on_the_28th_in_other_years(world):
    leap = make_member(world, "13900000171", "闰年", party_join_date=dt.date(2004, 2, 29))
    assert anniversary_in(2026, leap.party_join_date) == dt.date(2026, 2, 28)
    assert jobs.remind_anniversaries(today=dt.date(2026, 2, 28)) == 1
    assert jobs.remind_anniversaries(today=dt.date(2028, 2, 29)) == 1


def test_years_in_the_party_count_whole_years():
    joined = dt.date(1985, 7, 1)
    assert party_years(joined, dt.date(2026, 6, 30)) == 40
    assert party_years(joined, dt.date(2026, 7, 1)) == 41
    assert next_anniversary(joined, dt.date(2026, 7, 2)) == dt.date(2027, 7, 1)


def test_my_pledges_page_shows_the_anniversary(world, member, client_for):
    page = client_for(world.member).get(reverse("pledges:mine"))
    assert "我的政治生日" in page.text and "7月1日" in page.text
