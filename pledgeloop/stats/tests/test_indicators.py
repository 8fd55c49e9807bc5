"""Each indicator against values computed by hand from the fixture in conftest.py."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.service.models import ServiceRecord
from pledgeloop.stats import definitions, indicators, periods, rollups, selectors
from pledgeloop.stats.models import DirtyDay, MemberMonth, MemberYear, RollupState
from pledgeloop.stats.scope import Scope
from pledgeloop.teams import events as team_events
from pledgeloop.teams.models import Event, EventSession, Shift, SignUp, Volunteer

from .conftest import at

MARCH = periods.month(2026, 3)
APRIL = periods.month(2026, 4)
EMPTY = periods.month(2024, 1)

# Both implementations must give the hand-computed values.
IMPLEMENTATIONS = ["plain", "rollup"]


def figures_for(kind, scope, period):
    if kind == "plain":
        return definitions.headline(scope, period)
    rollups.ensure_fresh()
    return indicators.headline(scope, period)


@pytest.fixture
def street(figures):
    return Scope(street_id=figures.world.street.pk)


@pytest.fixture
def here(figures):
    return Scope(street_id=figures.world.street.pk, community_id=figures.world.community.pk)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_participation_counts_active_members_who_served(kind, street, here):
    # Street: 张三, 钱二, 李四, 吴七 served (吴七 has left since) of the 6 members of March
    # (郑八 joined in May).
    assert figures_for(kind, street, MARCH)["participation_rate"] == pytest.approx(4 / 6)
    # 星港湾: 张三, 钱二 of 张三, 钱二, 孙六.
    assert figures_for(kind, here, MARCH)["participation_rate"] == pytest.approx(2 / 3)
    # A year earlier only 张三 served, of 7 members then (冯九 was still one, 郑八 not yet).
    year_earlier = MARCH.year_earlier()
    assert figures_for(kind, street, year_earlier)["participation_rate"] == pytest.approx(1 / 7)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_participation_of_a_year_divides_by_the_members_of_that_year(kind, street):
    """It divided by today's roster: members who joined later counted against an earlier
    year, and members who served then and left since counted nowhere."""
    # 2025: 张三 and 冯九 (left in July) served, of 张三 钱二 孙六 吴七 李四 周五 冯九.
    assert figures_for(kind, street, periods.year(2025))["participation_rate"] == pytest.approx(
        2 / 7
    )
    # 2026: 张三 钱二 吴七 李四 郑八 served, of the seven on the roster in 2026 (not 冯九).
    assert figures_for(kind, street, periods.year(2026))["participation_rate"] == pytest.approx(
        5 / 7
    )
    # A period not of whole months takes the plain definition: the same rule.
    early = periods.Period(dt.date(2025, 2, 1), dt.date(2025, 2, 15))
    assert figures_for(kind, street, early)["participation_rate"] == pytest.approx(1 / 7)
    # Once 冯九 leaves, later periods no longer count them: 2026 Q1 has 6 members.
    q1 = periods.quarter(2026, 1)
    assert figures_for(kind, street, q1)["participation_rate"] == pytest.approx(4 / 6)


def test_the_community_table_counts_the_members_of_the_period(figures):
    rollups.ensure_fresh()
    rows = {
        row[0]: row
        for row in selectors.community_table(
            Scope(street_id=figures.world.street.pk), periods.year(2025)
        ).rows
    }
    assert rows["腾飞"][1:4] == [4, 1, 25.0]  # 吴七 李四 周五 冯九; 冯九 served
    assert rows["星港湾"][1:4] == [3, 1, 33.3]  # not 郑八, who joined in 2026


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_service_hours_count_each_participant(kind, street, here):
    assert figures_for(kind, street, MARCH)["service_hours"] == Decimal("11.5")
    assert figures_for(kind, here, MARCH)["service_hours"] == Decimal("5.5")
    assert figures_for(kind, street, MARCH)["service_records"] == 3


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_problems_solved_are_orders_done_in_the_period(kind, street, here):
    assert figures_for(kind, street, MARCH)["problems_solved"] == 3  # O1, O2 (23:50), O4
    assert figures_for(kind, here, MARCH)["problems_solved"] == 2  # O1, O4
    assert figures_for(kind, street, APRIL)["problems_solved"] == 1  # O6


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_satisfaction_is_reviews_rated_four_or_five(kind, street):
    assert figures_for(kind, street, MARCH)["satisfaction_rate"] == pytest.approx(1 / 2)
    assert figures_for(kind, street, APRIL)["satisfaction_rate"] == pytest.approx(1.0)
    assert figures_for(kind, street, MARCH.year_earlier())["satisfaction_rate"] == 0.0


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_response_rate_follows_the_first_dispatch(kind, street, here):
    # First offered in March: O1 (in time), O3 (accepted late), O5 (not accepted).
    assert figures_for(kind, street, MARCH)["response_rate"] == pytest.approx(1 / 3)
    assert figures_for(kind, here, MARCH)["response_rate"] == pytest.approx(1 / 2)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_resolution_rate_is_the_triaged_cohort_done(kind, street, here):
    # Triaged in March: O1, O2, O3, O5; done: O1, O2.
    assert figures_for(kind, street, MARCH)["resolution_rate"] == pytest.approx(2 / 4)
    assert figures_for(kind, here, MARCH)["resolution_rate"] == pytest.approx(1 / 2)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_on_order_services_need_a_dispatched_order(kind, street):
    # R1 fulfils O1 (dispatched); R3 fulfils O2, which was claimed without a dispatch.
    assert figures_for(kind, street, MARCH)["on_order_services"] == 1


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_a_category_filter_narrows_every_figure(kind, figures):
    scope = Scope(street_id=figures.world.street.pk, category_id=figures.a.pk)
    result = figures_for(kind, scope, MARCH)
    assert result["service_records"] == 2
    assert result["service_hours"] == Decimal("10")
    assert result["participation_rate"] == pytest.approx(4 / 6)
    assert result["problems_solved"] == 2
    assert result["satisfaction_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_an_empty_period_gives_zeros_and_no_rates(kind, street):
    result = figures_for(kind, street, EMPTY)
    assert result["problems_solved"] == 0
    assert result["service_hours"] == 0
    assert result["on_order_services"] == 0
    for rate in ("satisfaction_rate", "response_rate", "resolution_rate"):
        assert result[rate] is None
    assert result["participation_rate"] == 0.0


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_a_community_without_members_has_no_participation_rate(kind, figures):
    scope = Scope(street_id=figures.world.other_street.pk, community_id=figures.world.faraway.pk)
    # Only the one member of 桃园 exists: 1 of 1 served; an empty new community gives None.
    assert figures_for(kind, scope, MARCH)["participation_rate"] == pytest.approx(1.0)
    assert figures_for(kind, Scope(street_id=10**6), MARCH)["participation_rate"] is None


# --- pledge fulfilment: visits due in the period, up to today, fulfilled ÷ due -------------

F, M, D = Visit.State.FULFILLED, Visit.State.MISSED, Visit.State.DUE


def _pledge(world, member, category) -> Pledge:
    return Pledge.objects.create(
        street=member.street,
        community=member.community,
        member=member,
        category=category,
        title="每周探望独居老人",
        beneficiary_kind=Pledge.Beneficiary.GROUP,
        beneficiary_name="独居老人",
        rrule="FREQ=WEEKLY",
        starts_on=dt.date(2026, 2, 1),
        ends_on=dt.date(2026, 6, 30),
        target_visits=10,
        state=Pledge.State.ACTIVE,
    )


def _visits(pledge: Pledge, *days_and_states) -> None:
    for day, state in days_and_states:
        Visit.objects.create(
            street=pledge.street,
            pledge=pledge,
            member=pledge.member,
            scheduled_at=at(day.year, day.month, day.day, 9),
            due_on=day,
            state=state,
            fulfilled_at=at(day.year, day.month, day.day, 11) if state == F else None,
        )


@pytest.fixture
def pledge_visits(figures):
    """张三 (星港湾, category A) and 李四 (腾飞, category B) in March 2026, with visits around
    it and one in the other street:

      张三  02-23 F | 03-02 F, 03-09 F, 03-16 M, 03-23 F, 03-30 D | 04-06 D
      李四  03-05 F, 03-19 M
      远方  03-10 M (the other street)
    """
    w = figures.world
    zhang = _pledge(w, figures.members["zhang"], figures.a)
    _visits(
        zhang,
        (dt.date(2026, 2, 23), F),
        (dt.date(2026, 3, 2), F),
        (dt.date(2026, 3, 9), F),
        (dt.date(2026, 3, 16), M),
        (dt.date(2026, 3, 23), F),
        (dt.date(2026, 3, 30), D),
        (dt.date(2026, 4, 6), D),
    )
    _visits(
        _pledge(w, figures.members["li"], figures.b),
        (dt.date(2026, 3, 5), F),
        (dt.date(2026, 3, 19), M),
    )
    far = Member.objects.get(user__name="远方")
    _visits(
        _pledge(w, far, Category.objects.filter(street=far.street).first()),
        (dt.date(2026, 3, 10), M),
    )
    return figures


def fulfilment(kind, scope, period, today: dt.date):
    moment = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    with time_machine.travel(moment, tick=False):
        return figures_for(kind, scope, period)["pledge_fulfilment"]


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_pledge_fulfilment_is_visits_fulfilled_over_visits_due(kind, pledge_visits, street, here):
    w = pledge_visits.world
    after = dt.date(2026, 4, 10)
    # March, street: 张三 5 visits (3 fulfilled; the one still due counts as not fulfilled),
    # 李四 2 (1 fulfilled); February, April and the other street are left out.
    assert fulfilment(kind, street, MARCH, after) == pytest.approx(4 / 7)
    assert fulfilment(kind, here, MARCH, after) == pytest.approx(3 / 5)
    by_category = Scope(street_id=w.street.pk, category_id=pledge_visits.b.pk)
    assert fulfilment(kind, by_category, MARCH, after) == pytest.approx(1 / 2)
    assert fulfilment(kind, Scope(), MARCH, after) == pytest.approx(4 / 8)
    # On 16 March only the visits due by then count: 03-02 F, 03-05 F, 03-09 F, 03-16 M.
    assert fulfilment(kind, street, MARCH, dt.date(2026, 3, 16)) == pytest.approx(3 / 4)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_pledge_fulfilment_without_visits_due_is_no_data(kind, pledge_visits, street):
    assert fulfilment(kind, street, EMPTY, dt.date(2026, 4, 10)) is None
    # A period that has not begun yet.
    assert fulfilment(kind, street, APRIL, dt.date(2026, 3, 20)) is None


def volunteer_attended(world, community, starts, hours, phone="13700000001"):
    """A non-member volunteer marked present (teams.events) for a shift of `hours` at an event
    of `community` (None: street-wide) whose session starts at `starts`."""
    volunteer, _new = Volunteer.objects.get_or_create(
        street=world.street,
        phone=phone,
        defaults={"name": "志愿者" + phone[-2:], "consent_at": starts, "consent_source": "paper"},
    )
    event = Event.objects.create(
        street=world.street,
        community=community,
        kind=Event.Kind.ACTIVITY,
        title="活动",
        slug=f"event-{Event.objects.count() + 1}",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=float(hours)),
    )
    session = EventSession.objects.create(
        street=world.street,
        event=event,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        secret="s",
    )
    shift = Shift.objects.create(
        street=world.street,
        session=session,
        role="引导",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )
    SignUp.objects.create(street=world.street, shift=shift, volunteer=volunteer)
    return team_events.attendance_mark_volunteer(session=session, volunteer=volunteer)


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_volunteers_hours_count_as_service_hours_but_not_as_members(kind, figures, street, here):
    """A non-member volunteer's event hours raise the street's and the event's community's
    service hours, and nothing a party member is measured by."""
    w = figures.world
    before = figures_for(kind, street, MARCH)
    there = Scope(street_id=w.street.pk, community_id=w.neighbour.pk)
    before_there = figures_for(kind, there, MARCH)
    rollups.ensure_fresh()
    member_months = sorted(MemberMonth.objects.values_list("member_id", "month", "hours"))
    member_years = sorted(MemberYear.objects.values_list("member_id", "year", "months"))
    volunteer_attended(w, w.community, at(2026, 3, 8, 9), 2)  # 星港湾's event
    volunteer_attended(w, None, at(2026, 3, 9, 9), 3)  # street-wide: the street's only

    after = figures_for(kind, street, MARCH)
    assert after["service_hours"] == before["service_hours"] + 5 == Decimal("16.5")
    assert figures_for(kind, here, MARCH)["service_hours"] == Decimal("7.5")  # 5.5 + 2
    assert figures_for(kind, there, MARCH)["service_hours"] == before_there["service_hours"]
    # Events have no category: a category's hours stay the members' records'.
    category = Scope(street_id=w.street.pk, category_id=figures.a.pk)
    assert figures_for(kind, category, MARCH)["service_hours"] == Decimal("10")
    # Not a party member's figure: participation, services, on-order services unchanged.
    for name in ("participation_rate", "service_records", "on_order_services"):
        assert after[name] == before[name], name
    assert definitions.participants(street, MARCH) == 4
    assert definitions.active_members(street, MARCH) == 6
    rollups.ensure_fresh()
    assert sorted(MemberMonth.objects.values_list("member_id", "month", "hours")) == member_months
    assert sorted(MemberYear.objects.values_list("member_id", "year", "months")) == member_years
    ranking = selectors.member_table(street, MARCH)
    assert sum(Decimal(str(row[3])) for row in ranking.rows) == before["service_hours"]


def test_rollups_match_the_plain_definitions_for_every_scope_and_period(figures):
    w = figures.world
    # Volunteers' event hours: a community's event, a street-wide one, one in April.
    volunteer_attended(w, w.community, at(2026, 3, 8, 9), 2)
    volunteer_attended(w, None, at(2026, 3, 31, 23, 30), 1.5, phone="13700000002")
    volunteer_attended(w, w.neighbour, at(2026, 4, 1, 0, 15), 1)
    rollups.ensure_fresh()
    scopes = [
        Scope(street_id=w.street.pk),
        Scope(street_id=w.street.pk, community_id=w.community.pk),
        Scope(street_id=w.street.pk, community_id=w.neighbour.pk),
        Scope(street_id=w.street.pk, category_id=figures.b.pk),
        Scope(),  # the whole city
    ]
    span = [
        MARCH,
        APRIL,
        periods.quarter(2026, 1),
        periods.year(2026),
        periods.year(2025),
        periods.Period(dt.date(2026, 3, 5), dt.date(2026, 3, 21)),
        # Whole months across years: partial first and last years, full years between.
        periods.last_12_months(dt.date(2026, 3, 17)),
        periods.Period(dt.date(2025, 3, 1), dt.date(2026, 4, 1)),
        periods.Period(dt.date(2025, 4, 1), dt.date(2026, 3, 1)),
        periods.Period(dt.date(2024, 12, 1), dt.date(2027, 2, 1)),
        # Days outside whole months before, after, or both (a period running to today),
        # around the records at 23:30 on 31 March and 00:10 on 1 April.
        periods.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        periods.Period(dt.date(2026, 3, 1), dt.date(2026, 4, 2)),
        periods.Period(dt.date(2026, 2, 20), dt.date(2026, 4, 2)),
        periods.Period(dt.date(2025, 3, 10), dt.date(2026, 3, 6)),
        periods.Period(dt.date(2026, 3, 31), dt.date(2026, 4, 2)),
    ]
    for scope in scopes:
        for period in span:
            assert indicators.headline(scope, period) == definitions.headline(scope, period), (
                scope,
                period,
            )


def test_a_running_period_is_compared_with_the_same_days_a_year_earlier(street):
    """A month (or quarter, or year) still running counts its days up to today and is set
    against the same days a year earlier, not that whole period: on 1 December a month one
    day old showed -100 % on every count, a quarter two months in a third fewer orders."""
    rollups.ensure_fresh()

    def rows(today):
        return {row["name"]: row for row in indicators.headline_with_change(street, MARCH, today)}

    # 8 March 2026: R1 (张三, 钱二, 2 h each) against 1-8 March 2025, when nobody served
    # (R5 was on the 10th): nothing to compare with, not "up from the whole of March 2025".
    eighth = rows(dt.date(2026, 3, 8))
    assert (eighth["service_records"]["value"], eighth["service_records"]["before"]) == (1, 0)
    assert eighth["service_records"]["change"] is None
    assert (eighth["service_hours"]["value"], eighth["service_hours"]["before"]) == (4, 0)
    assert eighth["participation_rate"]["before"] == 0
    # 12 March: still R1 alone this year, and R5 (张三, 1 h, 10 March 2025) a year earlier.
    twelfth = rows(dt.date(2026, 3, 12))
    assert (twelfth["service_records"]["value"], twelfth["service_records"]["before"]) == (1, 1)
    assert twelfth["service_records"]["change"] == 0
    assert twelfth["service_hours"]["change"] == pytest.approx(3.0)  # 4 h against 1 h
    # Once March is over, the whole month against the whole of March 2025, as before.
    after = rows(dt.date(2026, 4, 20))
    assert after == rows(dt.date(2026, 3, 31))
    assert after["service_records"]["value"] == 3 and after["service_records"]["before"] == 1
    # A period that has not begun has nothing to compare.
    assert {row["before"] for row in rows(dt.date(2026, 2, 27)).values()} == {None}


def test_so_far_whole_months_and_the_days_outside_them():
    quarter = periods.quarter(2026, 4)
    assert quarter.so_far(dt.date(2026, 11, 30)) == periods.Period(
        dt.date(2026, 10, 1), dt.date(2026, 12, 1)
    )
    assert quarter.so_far(dt.date(2027, 1, 5)) == quarter
    assert quarter.so_far(dt.date(2026, 12, 31)) == quarter
    assert quarter.so_far(dt.date(2026, 9, 30)) is None
    assert quarter.counted(dt.date(2026, 9, 30)) == quarter
    assert quarter.counted(dt.date(2026, 11, 30)) == quarter.so_far(dt.date(2026, 11, 30))
    odd = periods.Period(dt.date(2026, 2, 20), dt.date(2026, 4, 2))
    assert odd.whole_months() == MARCH
    assert odd.days_outside(MARCH) == [
        periods.Period(dt.date(2026, 2, 20), dt.date(2026, 3, 1)),
        periods.Period(dt.date(2026, 4, 1), dt.date(2026, 4, 2)),
    ]
    inside = periods.Period(dt.date(2026, 3, 5), dt.date(2026, 3, 21))
    assert inside.whole_months() is None
    assert inside.days_outside(None) == [inside]
    assert MARCH.whole_months() == MARCH and MARCH.days_outside(MARCH) == []


def test_member_years_hold_a_bit_per_month_served(figures):
    rollups.ensure_fresh()
    m = figures.members
    rows = {
        (row.member_id, row.year): row.months
        for row in MemberYear.objects.filter(street_id=figures.world.street.pk)
    }
    march, april = 1 << 2, 1 << 3
    assert rows[(m["zhang"].pk, 2026)] == march  # R1, R2
    assert rows[(m["zhang"].pk, 2025)] == march  # R5
    assert rows[(m["qian"].pk, 2026)] == march | april  # R1, R4 (00:10 local on 1 April)
    assert rows[(m["li"].pk, 2026)] == march  # R3 (23:30 local on 31 March)
    assert rows[(m["wu"].pk, 2026)] == march  # inactive: kept here, not counted
    assert (m["li"].pk, 2025) not in rows


@pytest.mark.parametrize("batch", [rollups.MEMBER_YEAR_BATCH, 0])
def test_refreshed_member_years_equal_a_full_rebuild(figures, monkeypatch, batch):
    """Only the members whose months changed are recomputed (or, past the batch size, the
    streets' whole years); either way the rows equal a rebuild from scratch."""
    monkeypatch.setattr(rollups, "MEMBER_YEAR_BATCH", batch)
    rollups.ensure_fresh()
    m = figures.members
    ServiceRecord.objects.get(started_at=at(2026, 4, 1, 0, 10)).delete()  # 钱二's only April
    figures.records["r3"].delete()  # 李四's (and 吴七's) only record of 2026
    moved = figures.records["r2"]  # 张三, March → May
    moved.started_at = moved.started_at.replace(month=5)
    moved.ended_at = moved.ended_at.replace(month=5)
    moved.save()
    rollups.ensure_fresh()

    def rows():
        return set(MemberYear.objects.values_list("street_id", "member_id", "year", "months"))

    refreshed = rows()
    assert (figures.world.street.pk, m["qian"].pk, 2026, 1 << 2) in refreshed  # March only
    assert (figures.world.street.pk, m["zhang"].pk, 2026, 1 << 2 | 1 << 4) in refreshed
    assert not any(member == m["li"].pk for _s, member, _y, _m in refreshed)
    rollups.rollups_rebuild()
    assert rows() == refreshed


def test_month_bits_split_a_period_by_year():
    assert indicators.month_bits(MARCH) == {2026: 0b100}
    assert indicators.month_bits(periods.last_12_months(dt.date(2026, 3, 17))) == {
        2025: 0b111111111000,
        2026: 0b000000000111,
    }
    assert indicators.month_bits(periods.year(2025)) == {2025: indicators.ALL_MONTHS}


def test_the_first_refresh_rebuilds_and_is_done_with_the_days_marked_before(figures):
    """The records' saves marked their days; the first refresh rebuilds everything, so it
    leaves nothing for the next one to redo."""
    assert DirtyDay.objects.exists() and not RollupState.objects.exists()
    assert rollups.rollups_refresh() == {"rebuilt": "all"}
    assert not DirtyDay.objects.exists()
    assert not rollups.needs_refresh()
    street = Scope(street_id=figures.world.street.pk)
    assert indicators.headline(street, MARCH) == definitions.headline(street, MARCH)


def test_rollups_follow_new_and_changed_records(figures):
    street = Scope(street_id=figures.world.street.pk)
    rollups.ensure_fresh()
    record = figures.records["r2"]
    record.hours = Decimal("2.5")  # was 1.5, one participant
    record.started_at = record.started_at.replace(month=4)
    record.ended_at = record.ended_at.replace(month=4)
    record.save()
    rollups.ensure_fresh()
    assert indicators.headline(street, MARCH)["service_hours"] == Decimal("10")
    assert indicators.headline(street, APRIL)["service_hours"] == Decimal("3.5")
    order = figures.orders["o3"]
    order.done_at = order.triaged_at.replace(day=25)
    order.state = "done"
    order.save()
    rollups.ensure_fresh()
    assert indicators.headline(street, MARCH)["resolution_rate"] == pytest.approx(3 / 4)
    assert indicators.headline(street, MARCH) == definitions.headline(street, MARCH)


def test_year_on_year_change_is_relative_for_counts_and_points_for_rates(figures):
    rollups.ensure_fresh()
    rows = {
        row["name"]: row
        for row in indicators.headline_with_change(Scope(street_id=figures.world.street.pk), MARCH)
    }
    # Hours 11.5 against 1 a year earlier: +1050 %.
    assert rows["service_hours"]["change"] == pytest.approx(10.5)
    # Participation 4 of 6 against 1 of 7 (the members of each March).
    assert rows["participation_rate"]["change"] == pytest.approx(4 / 6 - 1 / 7)
    # Problems solved: none a year earlier, so no relative change.
    assert rows["problems_solved"]["change"] is None


def test_period_helpers_cover_months_quarters_years_and_the_last_twelve_months():
    assert periods.quarter(2026, 4) == periods.Period(dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert periods.last_12_months(dt.date(2026, 3, 17)) == periods.Period(
        dt.date(2025, 4, 1), dt.date(2026, 4, 1)
    )
    leap = periods.Period(dt.date(2024, 2, 29), dt.date(2024, 3, 1))
    assert leap.year_earlier() == periods.Period(dt.date(2023, 2, 28), dt.date(2023, 3, 1))
    assert periods.parse("2026-Q1") == periods.quarter(2026, 1)
    assert periods.parse("2026-03") == MARCH
    assert periods.parse("nonsense", dt.date(2026, 3, 17)) == periods.last_12_months(
        dt.date(2026, 3, 17)
    )


def test_counts_by_community_equal_each_communitys_own_counts(figures):
    """The community table reads every community's participants and active members in one
    query each (issue 17): the same numbers as asking community by community, by the plain
    definitions and by the rollups, for whole months, other periods and a category."""
    w = figures.world
    rollups.ensure_fresh()
    communities = [w.community.pk, w.neighbour.pk]
    seen = 0
    for category_id in (None, figures.b.pk):
        street = Scope(street_id=w.street.pk, category_id=category_id)
        for period in (
            MARCH,
            periods.year(2025),
            periods.year(2026),
            periods.Period(dt.date(2026, 3, 5), dt.date(2026, 3, 21)),
            EMPTY,
        ):
            served = indicators.participants_by_community(street, period)
            active = indicators.active_members_by_community(street, period)
            plain_served = definitions.participants_by_community(street, period)
            plain_active = definitions.active_members_by_community(street, period)
            for community_id in communities:
                one = Scope(w.street.pk, community_id, category_id)
                expected_served = definitions.participants(one, period)
                expected_active = definitions.active_members(one, period)
                assert served.get(community_id, 0) == expected_served, (one, period)
                assert plain_served.get(community_id, 0) == expected_served, (one, period)
                assert active.get(community_id, 0) == expected_active, (one, period)
                assert plain_active.get(community_id, 0) == expected_active, (one, period)
            seen += sum(served.values()) + sum(active.values())
    assert seen  # the fixture has members who served: the comparison is not of zeros
