"""The indicators of DESIGN.md §5, computed straight from the raw tables (plain GROUP BY).

This module is the definition: stats/indicators.py reads the same figures from rollups, and a
test holds the two to identical results on a fixture; bench/stats.py times both. Each
function takes a Scope and a Period (local dates [start, end)) and aggregates in the
database. A rate with nothing to divide by is None ("no data", shown as "—").

Precisely:
- participation rate: members of the scope (Member.street/community) with at least one
  service record (as a ServiceParticipant) started in the period (of the category, with a
  category filter) ÷ members of the scope active in the period: on the roster at some time
  in it (Member.joined_on/left_on, people.models.on_roster_q) or serving in it. A period
  divides by the members of that period, not by today's roster.
- problems solved: orders of the scope whose done_at falls in the period.
- service hours: volunteer hours, Σ over records started in the period of hours × the
  record's participants (ServiceRecord.hours is the hours *each* member served), plus the
  hours of non-member volunteers at events (teams.Attendance with a volunteer: they make no
  service record, so nothing is counted twice), by the local day their session starts
  (EventSession.starts_at), the attendance's street and the event's community. A street-wide
  event (Event.community empty) counts in its street's figure only, in no community's (its
  volunteers served the whole street); events have no category, so a category's figure leaves
  volunteers' hours out. Volunteers are not party members: they never enter participation,
  members' hours, rankings, the showcase or the annual review (those read ServiceParticipant).
- satisfaction rate: reviews written in the period (created_at) that are satisfied (rated 4
  or 5: Review.SATISFIED_MIN) ÷ all of them.
- response rate: orders first dispatched in the period (their earliest Dispatch.offered_at)
  that were accepted in time (accepted_at ≤ the order's respond_by; an order without a
  deadline counts when accepted at all) ÷ those orders.
- resolution rate: orders triaged in the period (triaged_at) that are done now (done_at set)
  ÷ orders triaged in the period — a cohort, so it never exceeds 100 %.
- on-order services: service records started in the period whose order has a Dispatch.
  Both kinds of 订单式服务 enter it this way, once each: an individual order dispatched to
  a member or a team (its record), and an on-order session (teams.Event.order: a place
  ordered a session, the community dispatched the order to a team, the team held it as an
  event): only the assigned member's attendance carries the order (teams.events finishes the
  order with it), the other members' attendance are records of the event without an order,
  so the session counts as one on-order service however many served. Booth services at a
  fair (records with no participants, teams.events.queue_ticket_serve) count as services,
  not as on-order services, and add no hours (the workers' shifts hold the hours).
- pledge fulfilment: pledge visits (pledges.Visit, by due_on) falling due in the period, up
  to today, that are fulfilled ÷ those visits.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.utils import timezone

from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.people.models import Member, on_roster_q
from pledgeloop.pledges.models import Visit
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.teams.models import Attendance

from .periods import Period
from .scope import Scope


def ratio(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return float(numerator) / float(denominator)


def served_in(period: Period, member=None):
    """Participations in records started in the period (of one member: OuterRef("pk"))."""
    start, end = period.bounds
    parts = ServiceParticipant.objects.filter(
        record__started_at__gte=start, record__started_at__lt=end
    )
    return parts if member is None else parts.filter(member=member)


def active_members(scope: Scope, period: Period) -> int:
    """Members of the scope active in the period: on its roster, or serving in it (a member
    who served then was a member then, whatever the roster dates say)."""
    serving = Exists(served_in(period, member=OuterRef("pk")))
    return (
        Member.objects.filter(**scope.filters(category=None))
        .filter(on_roster_q(period.start, period.end) | Q(serving))
        .count()
    )


def participants(scope: Scope, period: Period) -> int:
    records = {}
    if scope.category_id is not None:
        records["record__category_id"] = scope.category_id
    return (
        served_in(period)
        .filter(
            **records,
            **scope.filters(
                street="member__street_id", community="member__community_id", category=None
            ),
        )
        .values("member_id")
        .distinct()
        .count()
    )


def participation_rate(scope: Scope, period: Period) -> float | None:
    return ratio(participants(scope, period), active_members(scope, period))


def active_members_by_community(scope: Scope, period: Period) -> dict[int, int]:
    """active_members of each community of the scope, in one query: {community id: n}."""
    serving = Exists(served_in(period, member=OuterRef("pk")))
    rows = (
        Member.objects.filter(**scope.filters(category=None))
        .filter(on_roster_q(period.start, period.end) | Q(serving))
        .order_by()
        .values("community_id")
        .annotate(n=Count("pk"))
    )
    return {row["community_id"]: row["n"] for row in rows}


def participants_by_community(scope: Scope, period: Period) -> dict[int, int]:
    """participants of each community of the scope, in one query: {community id: n}."""
    records = {}
    if scope.category_id is not None:
        records["record__category_id"] = scope.category_id
    rows = (
        served_in(period)
        .filter(
            **records,
            **scope.filters(
                street="member__street_id", community="member__community_id", category=None
            ),
        )
        .order_by()
        .values("member__community_id")
        .annotate(n=Count("member_id", distinct=True))
    )
    return {row["member__community_id"]: row["n"] for row in rows}


def _records(scope: Scope, period: Period):
    start, end = period.bounds
    return ServiceRecord.objects.filter(
        started_at__gte=start, started_at__lt=end, **scope.filters()
    )


def service_records(scope: Scope, period: Period) -> int:
    return _records(scope, period).count()


def service_hours(scope: Scope, period: Period) -> Decimal:
    start, end = period.bounds
    total = ServiceParticipant.objects.filter(
        record__started_at__gte=start,
        record__started_at__lt=end,
        **scope.filters(
            street="record__street_id",
            community="record__community_id",
            category="record__category_id",
        ),
    ).aggregate(total=Sum("record__hours"))["total"]
    return (total or Decimal("0")) + volunteer_event_hours(scope, period)


def volunteer_event_hours(scope: Scope, period: Period) -> Decimal:
    """Non-member volunteers' event hours (teams.Attendance.hours) in sessions starting in
    the period; a street-wide event (no community) only in its street's figure, and none
    with a category filter (events have no category)."""
    if scope.category_id is not None:
        return Decimal("0")
    start, end = period.bounds
    total = Attendance.objects.filter(
        volunteer__isnull=False,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
        **scope.filters(community="session__event__community_id", category=None),
    ).aggregate(total=Sum("hours"))["total"]
    return total or Decimal("0")


def on_order_services(scope: Scope, period: Period) -> int:
    dispatched = Dispatch.objects.filter(order_id=OuterRef("order_id"))
    return _records(scope, period).filter(Exists(dispatched)).count()


def problems_solved(scope: Scope, period: Period) -> int:
    start, end = period.bounds
    return Order.objects.filter(done_at__gte=start, done_at__lt=end, **scope.filters()).count()


def satisfaction_rate(scope: Scope, period: Period) -> float | None:
    start, end = period.bounds
    figures = Review.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        **scope.filters(category="record__category_id"),
    ).aggregate(all=Count("id"), satisfied=Count("id", filter=Review.satisfied_q()))
    return ratio(figures["satisfied"], figures["all"])


IN_TIME = Q(accepted_at__isnull=False) & (
    Q(respond_by__isnull=True) | Q(accepted_at__lte=F("respond_by"))
)


def response_rate(scope: Scope, period: Period) -> float | None:
    start, end = period.bounds
    figures = (
        Order.objects.filter(**scope.filters())
        .annotate(first_offer=Min("dispatches__offered_at"))
        .filter(first_offer__gte=start, first_offer__lt=end)
        .aggregate(all=Count("id"), in_time=Count("id", filter=IN_TIME))
    )
    return ratio(figures["in_time"], figures["all"])


def resolution_rate(scope: Scope, period: Period) -> float | None:
    start, end = period.bounds
    figures = Order.objects.filter(
        triaged_at__gte=start, triaged_at__lt=end, **scope.filters()
    ).aggregate(all=Count("id"), done=Count("id", filter=Q(done_at__isnull=False)))
    return ratio(figures["done"], figures["all"])


# --- pledge visits (pledges.Visit, written by the pledges app) ---------------------------


def pledge_fulfilment(scope: Scope, period: Period) -> float | None:
    """Visits due in the period (up to today) that are fulfilled ÷ those visits."""
    end_day = min(period.end, timezone.localdate() + dt.timedelta(days=1))
    if end_day <= period.start:
        return None
    figures = Visit.objects.filter(
        due_on__gte=period.start,
        due_on__lt=end_day,
        **scope.filters(community="pledge__community_id", category="pledge__category_id"),
    ).aggregate(all=Count("id"), done=Count("id", filter=Q(state=Visit.State.FULFILLED)))
    return ratio(figures["done"], figures["all"])


HEADLINE = [
    "participation_rate",
    "problems_solved",
    "service_hours",
    "service_records",
    "on_order_services",
    "satisfaction_rate",
    "response_rate",
    "resolution_rate",
    "pledge_fulfilment",
]


def headline(scope: Scope, period: Period) -> dict:
    """Every headline figure for one scope and period, by the plain definitions."""
    here = globals()
    return {name: here[name](scope, period) for name in HEADLINE}
