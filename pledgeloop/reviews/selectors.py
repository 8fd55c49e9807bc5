"""Aggregate reads for the showcase (季度亮绩) and the annual review (年度评议).

Everything is computed from records by the database (Sum/Count/Avg with filters and
subqueries), one query per table of members, never typed in and never summed in Python loops.
Pledge fulfilment counts the visits (pledges.Visit) that fell due in the period by `due_on`:
fulfilled ÷ (fulfilled + missed).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pledgeloop.orders.models import Dispatch
from pledgeloop.people.models import Member, on_roster_q
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

from .models import Assessment, Review

ZERO_HOURS = Value(0, output_field=DecimalField(max_digits=9, decimal_places=2))


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, local time
    end: datetime  # exclusive

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day_exclusive(self) -> date:
        return timezone.localtime(self.end).date()

    @property
    def last_day(self) -> date:
        return self.last_day_exclusive - timedelta(days=1)


def _local(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(_local(start), _local(end))


def quarter_begun(year: int, quarter: int) -> bool:
    """Whether the quarter has begun (the site's time): one still to come is not assessed."""
    return quarter_period(year, quarter).start <= timezone.now()


def year_period(year: int) -> Period:
    return Period(_local(date(year, 1, 1)), _local(date(year + 1, 1, 1)))


# --- pledges ------------------------------------------------------------------------------


def visits_in(period: Period) -> QuerySet[Visit]:
    """Visits of the period that were due: fulfilled or missed (a visit still 'due' has not
    had its chance yet and counts for neither side)."""
    return Visit.objects.filter(
        due_on__gte=period.first_day,
        due_on__lt=period.last_day_exclusive,
        state__in=[Visit.State.FULFILLED, Visit.State.MISSED],
    )


COUNTED_PLEDGE_STATES = (
    Pledge.State.APPROVED,
    Pledge.State.ACTIVE,
    Pledge.State.FULFILLED,
    Pledge.State.LAPSED,
)


def pledges_in(period: Period) -> QuerySet[Pledge]:
    """Pledges that were approved and running at some time in the period."""
    return Pledge.objects.filter(
        state__in=COUNTED_PLEDGE_STATES,
        starts_on__lt=period.last_day_exclusive,
        ends_on__gte=period.first_day,
    )


def with_pledge_figures(members: list[Member], period: Period) -> list[Member]:
    """Sets pledges_count, visits_due and visits_fulfilled of the period on each member: two
    queries, however many members.

    Not annotations on the members' query: next to the service figures, which aggregate over
    a join, the counting subqueries would land in its GROUP BY and run once per joined row
    (a member's every participation) instead of once per member: at city scale the showcase
    ran them 30,000 times for 150 members (issue 17, bench/pages.py).
    """
    ids = [member.pk for member in members]
    if not ids:
        return members
    pledges = dict(
        pledges_in(period)
        .filter(member_id__in=ids)
        .order_by()
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    visits = {
        row["member_id"]: row
        for row in visits_in(period)
        .filter(member_id__in=ids)
        .order_by()
        .values("member_id")
        .annotate(due=Count("pk"), fulfilled=Count("pk", filter=Q(state=Visit.State.FULFILLED)))
    }
    for member in members:
        counts = visits.get(member.pk, {})
        member.pledges_count = pledges.get(member.pk, 0)
        member.visits_due = counts.get("due", 0)
        member.visits_fulfilled = counts.get("fulfilled", 0)
    return members


def pledge_titles(members: list[Member], period: Period) -> dict[int, list[str]]:
    """Titles of the period's pledges per member id (one query), for the showcase."""
    if not members:
        return {}
    pledges = pledges_in(period).filter(member__in=members).order_by("pk")
    titles: dict[int, list[str]] = {}
    for member_id, title in pledges.values_list("member_id", "title"):
        titles.setdefault(member_id, []).append(title)
    return titles


# --- hours, ratings, assessments ------------------------------------------------------------


SERVICE_FIGURES = {
    "hours_total": Decimal(0),
    "hours_verified": Decimal(0),
    "hours_recorded": Decimal(0),
    "hours_self": Decimal(0),
    "records_count": 0,
    "ratings_count": 0,
    "ratings_average": None,
    "ratings_satisfied": 0,
}


def _hours(verification: str | None = None):
    condition = Q(record__verification=verification) if verification else None
    return Coalesce(Sum("record__hours", filter=condition), ZERO_HOURS)


def with_service_figures(members: list[Member], period: Period) -> list[Member]:
    """Sets each member's hours (all, verified, recorded by staff, self-logged), records and
    ratings of the period: one query, however many members.

    One aggregate over the period's participations of these members (participation → record
    → review has one row per (member, record), so nothing is multiplied), grouped by member.
    Not annotations on the members' query: there the period's condition could only filter
    the aggregates, so the join read every participation the members ever had (issue 17).
    """
    ids = [member.pk for member in members]
    rows = {}
    if ids:
        reviewed = Q(record__review__isnull=False)
        rows = {
            row["member_id"]: row
            for row in ServiceParticipant.objects.filter(
                member_id__in=ids,
                record__started_at__gte=period.start,
                record__started_at__lt=period.end,
            )
            .order_by()
            .values("member_id")
            .annotate(
                hours_total=_hours(),
                hours_verified=_hours(ServiceRecord.Verification.VERIFIED),
                hours_recorded=_hours(ServiceRecord.Verification.RECORDED),
                hours_self=_hours(ServiceRecord.Verification.SELF),
                records_count=Count("pk"),
                ratings_count=Count("record__review"),
                ratings_average=Avg("record__review__rating", filter=reviewed),
                ratings_satisfied=Count(
                    "record__review", filter=reviewed & Review.satisfied_q("record__review__")
                ),
            )
        }
    for member in members:
        row = rows.get(member.pk, SERVICE_FIGURES)
        for name in SERVICE_FIGURES:
            setattr(member, name, row[name])
    return members


def with_assessment_means(members: list[Member], year: int) -> list[Member]:
    """Sets organisation_mean and self_mean (the year's assessments' mean score, None without
    any) on each member: one query, for the reason with_pledge_figures gives."""
    means = {
        (row["member_id"], row["kind"]): row["mean"]
        for row in Assessment.objects.filter(member_id__in=[m.pk for m in members], year=year)
        .order_by()
        .values("member_id", "kind")
        .annotate(mean=Avg("score"))
    }
    for member in members:
        member.organisation_mean = means.get((member.pk, Assessment.Kind.ORGANISATION))
        member.self_mean = means.get((member.pk, Assessment.Kind.SELF))
    return members


@dataclass
class TeamService:
    """A member's service with one team in a period: the records of the orders the team's
    leader accepted and gave to them (team dispatch), already in their hours above."""

    team: str
    sessions: int = 0
    hours: Decimal = Decimal(0)


def team_service(members, period: Period) -> dict[int, list[TeamService]]:
    """{member id: [their service per team]}. The team is named through the order's accepted
    team dispatch (orders.Dispatch.team); one query. The rows are made distinct per (member,
    team, record) and added up here, because an order accepted twice by the same team (handed
    back, sent again) would otherwise count its record twice."""
    rows = (
        ServiceParticipant.objects.filter(
            member__in=members,
            record__started_at__gte=period.start,
            record__started_at__lt=period.end,
            record__order__dispatches__team__isnull=False,
            record__order__dispatches__state=Dispatch.State.ACCEPTED,
        )
        .values_list(
            "member_id", "record__order__dispatches__team__name", "record_id", "record__hours"
        )
        .distinct()
        .order_by("member_id", "record__order__dispatches__team__name")
    )
    out: dict[int, dict[str, TeamService]] = {}
    for member_id, team, _record_id, hours in rows:
        line = out.setdefault(member_id, {}).setdefault(team, TeamService(team))
        line.sessions += 1
        line.hours += hours or 0
    return {member_id: list(lines.values()) for member_id, lines in out.items()}


def showcase_members(community, year: int, quarter: int) -> list[Member]:
    """The community's members of the quarter (on its roster at some time in it, or serving
    in it: members_active_in, as the annual review and the dashboard count them, not today's
    roster) with the quarter's figures, sorted by pinyin."""
    period = quarter_period(year, quarter)
    members = Member.objects.filter(members_active_in(period), community=community)
    members = members.select_related("user")
    members = list(members.order_by("user__name_sort", "pk"))
    return with_pledge_figures(with_service_figures(members, period), period)


def member_quarter(member: Member, year: int, quarter: int) -> Member:
    """One member with the quarter's figures (the showcase's: visits, hours, ratings), what
    they score themselves on."""
    period = quarter_period(year, quarter)
    return with_pledge_figures(with_service_figures([member], period), period)[0]


def showcase_totals(community, year: int, quarter: int) -> dict:
    """The community's totals for the quarter (the showcase's headline figures): its records
    started in the quarter and their reviews, in one query (the records by the street's
    community index, each one's review by its record)."""
    period = quarter_period(year, quarter)
    records = ServiceRecord.objects.filter(
        street_id=community.street_id,
        community=community,
        started_at__gte=period.start,
        started_at__lt=period.end,
    )
    totals = records.aggregate(
        records=Count("pk"),
        count=Count("review"),
        average=Avg("review__rating"),
        satisfied=Count("review", filter=Review.satisfied_q("review__")),
    )
    totals["satisfaction"] = totals["satisfied"] / totals["count"] if totals["count"] else None
    return totals


def members_active_in(period: Period) -> Q:
    """Members on the roster at some time in the period, or serving in it: the members a
    period's review and figures are about (not today's roster)."""
    serving = ServiceRecord.objects.filter(
        participants__member=OuterRef("pk"), started_at__gte=period.start, started_at__lt=period.end
    )
    return on_roster_q(period.first_day, period.last_day_exclusive) | Q(Exists(serving))


def annual_members_queryset(communities, year: int) -> QuerySet[Member]:
    """The members of the communities active in the year, in the review's order (community,
    pinyin), without their figures: what the annual review page pages through."""
    members = Member.objects.filter(community__in=communities)
    members = members.filter(members_active_in(year_period(year)))
    return members.select_related("user", "community").order_by(
        "community__name", "user__name_sort", "pk"
    )


def annual_member_ids(communities, year: int) -> list[SimpleNamespace]:
    """The members of `annual_members_queryset` as bare ids (`pk`), in no order, for the
    headline figures, which need every member's score but not their names: no Member, User
    or Community row is built for 5,000 members (issue 17). `with_annual_figures` sets their
    inputs as on members."""
    ids = annual_members_queryset(communities, year).order_by().values_list("pk", flat=True)
    return [SimpleNamespace(pk=pk) for pk in ids]


def with_figures_of(members: list[Member], figures: dict[int, SimpleNamespace]) -> list[Member]:
    """Sets on each member the inputs `with_annual_figures` set on their bare id in `figures`
    (`annual_member_ids`, by id): no query."""
    for member in members:
        for name, value in vars(figures[member.pk]).items():
            if name != "pk":
                setattr(member, name, value)
    return members


def with_annual_figures(members: list[Member], year: int) -> list[Member]:
    """Sets every input of the annual review on these members (four queries, however many):
    a page of the review's table, or the whole of it."""
    period = year_period(year)
    members = with_pledge_figures(with_service_figures(members, period), period)
    return with_assessment_means(members, year)


def annual_members(communities, year: int, *, member_ids=None) -> list[Member]:
    """The members of the communities active in the year, with every input of the annual
    review (or, with member_ids, those members whatever their roster dates)."""
    if member_ids is None:
        members = annual_members_queryset(communities, year)
    else:
        members = (
            Member.objects.filter(community__in=communities, pk__in=member_ids)
            .select_related("user", "community")
            .order_by("community__name", "user__name_sort", "pk")
        )
    return with_annual_figures(list(members), year)


def member_year_records(member: Member, year: int) -> QuerySet[ServiceRecord]:
    period = year_period(year)
    return (
        ServiceRecord.objects.filter(
            participants__member=member, started_at__gte=period.start, started_at__lt=period.end
        )
        .select_related("category", "review")
        .order_by("started_at", "pk")
    )


def member_year_reviews(member: Member, year: int) -> QuerySet[Review]:
    period = year_period(year)
    return (
        Review.objects.filter(
            record__participants__member=member,
            record__started_at__gte=period.start,
            record__started_at__lt=period.end,
        )
        .select_related("record")
        .order_by("record__started_at", "pk")
    )


def member_year_visits(member: Member, year: int) -> QuerySet[Visit]:
    return (
        visits_in(year_period(year))
        .filter(member=member)
        .select_related("pledge")
        .order_by("due_on", "pk")
    )


def member_year_assessments(member: Member, year: int) -> QuerySet[Assessment]:
    return Assessment.objects.filter(member=member, year=year).order_by("quarter", "kind")
