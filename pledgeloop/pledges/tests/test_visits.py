"""Visits: generated from the rule 90 days ahead, idempotently; missed after the grace period;
follow-up (跟踪问效) of pledges falling behind."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from pledgeloop.pledges import jobs, selectors, services
from pledgeloop.pledges.models import Pledge, Visit

from .conftest import make_member, make_pledge, visit_states

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def weekly_from(member, start: dt.date, **fields) -> Pledge:
    values = {
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=364),
        "rrule": "FREQ=WEEKLY",
        "approved_at": timezone.make_aware(dt.datetime.combine(start, dt.time(8))),
    }
    values.update(fields)
    return make_pledge(member, **values)


def test_visits_reach_90_days_ahead_and_running_twice_adds_none(member):
    pledge = weekly_from(member, MONDAY)
    first = jobs.generate_visits(today=MONDAY)
    before = visit_states(pledge)
    second = jobs.generate_visits(today=MONDAY)
    assert first == 13 and second == 0
    assert visit_states(pledge) == before
    assert before[0] == (MONDAY, "due")
    assert before[-1][0] == MONDAY + dt.timedelta(weeks=12)
    # The window rolls on: a week later one more visit comes into reach.
    assert jobs.generate_visits(today=MONDAY + dt.timedelta(days=7)) == 1


def test_visits_are_at_the_visit_time_in_shanghai(member):
    pledge = weekly_from(member, MONDAY, visit_time=dt.time(15, 30))
    jobs.generate_visits(today=MONDAY)
    visit = pledge.visits.first()
    local = timezone.localtime(visit.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (MONDAY, 15, 30)
    assert str(local.tzinfo) == "Asia/Shanghai"


def test_visits_before_the_approval_are_not_owed(member):
    approved = MONDAY + dt.timedelta(days=10)
    pledge = weekly_from(
        member, MONDAY, approved_at=timezone.make_aware(dt.datetime.combine(approved, dt.time(8)))
    )
    jobs.generate_visits(today=approved)
    assert pledge.visits.first().due_on == MONDAY + dt.timedelta(weeks=2)


def test_no_visits_after_the_end_or_for_pledges_that_are_not_active(member):
    short = weekly_from(member, MONDAY, ends_on=MONDAY + dt.timedelta(days=20), target_visits=3)
    weekly_from(member, MONDAY, state=Pledge.State.SUBMITTED, title="待审核")
    weekly_from(member, MONDAY, state=Pledge.State.RETURNED, title="已退回")
    jobs.generate_visits(today=MONDAY)
    assert [d for d, _s in visit_states(short)] == [
        MONDAY + dt.timedelta(weeks=n) for n in range(3)
    ]
    assert Visit.objects.count() == 3


def test_a_visit_becomes_missed_after_its_date_plus_the_grace_period(member):
    pledge = weekly_from(member, MONDAY)
    jobs.generate_visits(today=MONDAY)
    # Grace: 3 days. On Thursday the Monday visit may still be recorded; on Friday it is missed.
    assert jobs.mark_missed_visits(today=MONDAY + dt.timedelta(days=3)) == 0
    assert jobs.mark_missed_visits(today=MONDAY + dt.timedelta(days=4)) == 1
    assert jobs.mark_missed_visits(today=MONDAY + dt.timedelta(days=4)) == 0
    assert visit_states(pledge)[:2] == [(MONDAY, "missed"), (MONDAY + dt.timedelta(7), "due")]


@override_settings(VISIT_GRACE_DAYS=0)
def test_the_grace_period_is_a_setting(member):
    pledge = weekly_from(member, MONDAY)
    jobs.generate_visits(today=MONDAY)
    assert jobs.mark_missed_visits(today=MONDAY + dt.timedelta(days=1)) == 1
    assert visit_states(pledge)[0] == (MONDAY, "missed")


def test_a_fulfilled_visit_is_never_marked_missed(member):
    pledge = weekly_from(member, MONDAY)
    jobs.generate_visits(today=MONDAY)
    services.visit_mark_fulfilled(visit=pledge.visits.first())
    jobs.mark_missed_visits(today=MONDAY + dt.timedelta(days=30))
    assert visit_states(pledge)[0] == (MONDAY, "fulfilled")


def test_the_jobs_run_by_hand(member, capsys):
    weekly_from(member, MONDAY)
    call_command("generate_visits", "--today", MONDAY.isoformat())
    call_command("generate_visits", "--today", MONDAY.isoformat())
    call_command("mark_missed_visits", "--today", "2026-03-20")
    out = capsys.readouterr().out
    assert "generate_visits: 13" in out and "generate_visits: 0" in out
    assert "mark_missed_visits: 3" in out  # 2, 9 and 16 March


def test_fulfilment_is_visits_fulfilled_over_visits_due(member):
    pledge = weekly_from(member, MONDAY)
    jobs.generate_visits(today=MONDAY)
    visits = list(pledge.visits.all())
    for visit in visits[:3]:
        services.visit_mark_fulfilled(visit=visit)
    today = MONDAY + dt.timedelta(weeks=3)  # four visits due: weeks 0, 1, 2, 3
    [annotated] = selectors.with_visit_counts(Pledge.objects.filter(pk=pledge.pk), today)
    figures = selectors.Figures.of([annotated])
    assert (figures.fulfilled, figures.due) == (3, 4)
    assert figures.percent == 75 and figures.is_behind


# --- 跟踪问效: follow-up --------------------------------------------------------------------


def behind_and_on_track(world, member, today):
    start = today - dt.timedelta(weeks=4)
    behind = weekly_from(member, start, title="每周为独居老人测血压")
    keen = make_member(world, "13900000184", "刘强")
    on_track = weekly_from(keen, start, title="每周清理楼道杂物")
    jobs.generate_visits(today=today)
    for visit in on_track.visits.filter(due_on__lte=today):
        services.visit_mark_fulfilled(visit=visit)
    services.visit_mark_fulfilled(visit=behind.visits.first())
    jobs.mark_missed_visits(today=today)
    return behind, on_track


def test_follow_up_lists_pledges_and_members_falling_behind(world, member, client_for):
    today = timezone.localdate()
    behind, on_track = behind_and_on_track(world, member, today)
    url = reverse("pledges:follow_up", args=[world.community.pk])
    page = client_for(world.community_admin).get(url)
    assert page.status_code == 200
    per_pledge = page.text.split("stacked pledges-behind", 1)[1].split("</table>", 1)[0]
    assert behind.title in per_pledge and on_track.title not in per_pledge
    per_member = page.text.split("stacked members-behind", 1)[1].split("</table>", 1)[0]
    assert "张三" in per_member and "刘强" not in per_member
    assert "20%" in per_member  # 1 of 5 visits due
    missed = page.text.split('class="list stacked visits-missed"', 1)[1].split("</table>", 1)[0]
    assert behind.title in missed
    everyone = client_for(world.community_admin).get(url + "?all=1")
    assert on_track.title in everyone.text


def test_follow_up_is_for_the_communitys_admins_only(world, member, client_for):
    url = reverse("pledges:follow_up", args=[world.community.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.member).get(url).status_code == 404
    assert client_for(world.member).get(reverse("pledges:follow_up_home")).status_code == 403
    home = client_for(world.community_admin).get(reverse("pledges:follow_up_home"))
    assert home.url == url


def test_follow_up_page_has_a_bounded_number_of_queries(
    world, member, client_for, django_assert_max_num_queries
):
    today = timezone.localdate()
    behind_and_on_track(world, member, today)
    for n in range(10):
        weekly_from(make_member(world, f"1390000020{n}", f"队员{n}"), today - dt.timedelta(28))
    jobs.generate_visits(today=today)
    jobs.mark_missed_visits(today=today)
    client = client_for(world.community_admin)
    url = reverse("pledges:follow_up", args=[world.community.pk]) + "?all=1"
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
