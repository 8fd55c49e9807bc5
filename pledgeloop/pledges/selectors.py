"""Reads for the wall, member pages and follow-up, with a bounded number of queries.

Pledge fulfilment (DESIGN.md §5) = visits fulfilled ÷ visits due, where the visits due are
those scheduled on or before the day in question: a visit still ahead is not yet owed.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pledgeloop.lib.pinyin import pinyin_search_q
from pledgeloop.orders.selectors import orders_held_by
from pledgeloop.orgs.models import Community
from pledgeloop.people.consents import public_consent_q
from pledgeloop.people.models import Member
from pledgeloop.service.models import CheckIn, ServiceRecord

from .models import Pledge, Visit
from .schedule_sources import ScheduleEntry

# A pledge whose fulfilment falls below this share is flagged in follow-up (跟踪问效).
BEHIND_BELOW = 0.8
RECENT_DAYS = 60
# The most visits the member page's schedule lists, however far the member's shifts reach.
SCHEDULE_MOST = 60


def _visit_count(today: dt.date | None = None, **conditions) -> Coalesce:
    """The number of the pledge's (OuterRef) visits that meet the conditions: a subquery."""
    visits = Visit.objects.filter(pledge=OuterRef("pk"), **conditions)
    if today is not None:
        visits = visits.filter(due_on__lte=today)
    count = visits.order_by().values("pledge").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def with_visit_counts(pledges: QuerySet[Pledge], today: dt.date) -> QuerySet[Pledge]:
    """Annotate each pledge with its visit counts, in the same query.

    Subqueries by pledge (the visits' pledge index), not counts over a join: those would
    group by every other annotation (the beneficiary's consent, itself a subquery) and run it
    once per visit instead of once per pledge (issue 17)."""
    fulfilled = Visit.State.FULFILLED
    return pledges.annotate(
        visits_due=_visit_count(today),
        visits_fulfilled=_visit_count(today, state=fulfilled),
        visits_fulfilled_total=_visit_count(state=fulfilled),
        visits_missed=_visit_count(state=Visit.State.MISSED),
    )


@dataclass
class Figures:
    """Visit counts of one pledge or of several added up, and what follows from them."""

    due: int = 0
    fulfilled: int = 0
    fulfilled_total: int = 0
    missed: int = 0
    target: int = 0

    @classmethod
    def of(cls, pledges) -> "Figures":
        total = cls()
        for p in pledges:
            total.due += p.visits_due
            total.fulfilled += p.visits_fulfilled
            total.fulfilled_total += p.visits_fulfilled_total
            total.missed += p.visits_missed
            total.target += p.target_visits
        return total

    @property
    def rate(self) -> float | None:
        """Fulfilment: None until a visit has been due."""
        return self.fulfilled / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)

    @property
    def target_percent(self) -> int:
        return min(100, round(100 * self.fulfilled_total / self.target)) if self.target else 0

    @property
    def is_behind(self) -> bool:
        return self.rate is not None and self.rate < BEHIND_BELOW


def _public_pledges(today: dt.date) -> QuerySet[Pledge]:
    """The wall's pledges, with their figures, of members already known to be active (the
    callers' members are: Member.active in their own query)."""
    return with_visit_counts(
        _with_public_beneficiary(
            Pledge.objects.on_wall_of_active_members().select_related(
                "category", "beneficiary_resident", "beneficiary_site"
            )
        ),
        today,
    ).order_by("starts_on", "pk")


def _with_public_beneficiary(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """Annotates beneficiary_may_appear: the resident's public-appearance consent stands (one
    subquery in the same query), so a public page names them (by surname) only then."""
    return pledges.annotate(
        beneficiary_may_appear=ExpressionWrapper(
            public_consent_q("beneficiary_resident", allow_none=False),
            output_field=BooleanField(),
        )
    )


def wall_members(
    community: Community, today: dt.date | None = None, query: str = ""
) -> list[Member]:
    """Members with at least one pledge on the wall, each with `wall_pledges` and `figures`;
    with a query, those whose name, pinyin or initials match it ("lm" finds 李明).

    Two queries however many members: the members, then their annotated pledges.
    """
    today = today or timezone.localdate()
    has_pledge = Pledge.objects.on_wall_of_active_members().filter(member=OuterRef("pk"))
    members = list(
        Member.objects.filter(community=community, active=True)
        .filter(Exists(has_pledge))
        .filter(pinyin_search_q(query, prefix="user__"))
        .select_related("user")
        .prefetch_related(Prefetch("pledges", _public_pledges(today), to_attr="wall_pledges"))
        .order_by("user__name_sort", "pk")
    )
    for member in members:
        member.figures = Figures.of(member.wall_pledges)
    return members


@dataclass
class WallGroup:
    """One pledge category of the phone wall: its members, each card with that category's
    pledges only (a member with pledges in two categories is in both groups)."""

    category: object
    cards: list[tuple[Member, list[Pledge]]]


def wall_groups(members: list[Member]) -> list[WallGroup]:
    """The members of wall_members grouped by the categories of their pledges, in the
    street's order of categories, members in name order within each."""
    groups: dict[int, WallGroup] = {}
    for member in members:
        by_category: dict[int, list[Pledge]] = {}
        for pledge in member.wall_pledges:
            by_category.setdefault(pledge.category_id, []).append(pledge)
        for pledges in by_category.values():
            category = pledges[0].category
            group = groups.setdefault(category.pk, WallGroup(category, []))
            group.cards.append((member, pledges))
    return sorted(
        groups.values(), key=lambda g: (g.category.sort_order, g.category.code, g.category.pk)
    )


def community_members(community: Community) -> list[Member]:
    """Every active member of a community (for the QR card sheet), with their wall pledges."""
    wall = Pledge.objects.on_wall().select_related("category").order_by("starts_on", "pk")
    return list(
        Member.objects.filter(community=community, active=True)
        .select_related("user")
        .prefetch_related(Prefetch("pledges", wall, to_attr="wall_pledges"))
        .order_by("user__name_sort", "pk")
    )


@dataclass
class Coming:
    """A visit of an approved pledge that has not started: no Visit row yet, its rule's date."""

    scheduled_at: dt.datetime
    pledge: Pledge


def member_public(
    member: Member,
    today: dt.date | None = None,
    upcoming: int = 12,
    until: dt.datetime | None = None,
) -> dict:
    """What the member page shows: public pledges, figures and the next visits (排班表),
    approved pledges that have not started yet included, from their rule.

    The next visits are the first `upcoming`, and with `until` also every later one starting
    before it (up to SCHEDULE_MOST), so that the schedule beside the member's event shifts
    (up to the last one's end) leaves no visit out that one could clash with.
    """
    today = today or timezone.localdate()
    pledges = list(_public_pledges(today).filter(member=member, member__active=True))
    coming = Visit.objects.filter(
        member=member,
        pledge__in=[p.pk for p in pledges],
        state=Visit.State.DUE,
        due_on__gte=today,
    ).order_by("scheduled_at", "pk")
    next_visits: list = list(coming.select_related("pledge")[:upcoming])
    if until and len(next_visits) == upcoming and next_visits[-1].scheduled_at < until:
        later = coming.filter(scheduled_at__lt=until).select_related("pledge")
        next_visits += list(later[upcoming:SCHEDULE_MOST])
    zone = timezone.get_default_timezone()
    starting = [p for p in pledges if p.state == Pledge.State.APPROVED]
    for pledge in starting:
        since = pledge.starts_on
        if pledge.approved_at:
            since = max(since, timezone.localtime(pledge.approved_at).date())
        for n, moment in enumerate(pledge.occurrences(since=max(since, today))):
            moment = timezone.make_aware(moment, zone)
            if n >= upcoming and (until is None or moment >= until or n >= SCHEDULE_MOST):
                break
            next_visits.append(Coming(moment, pledge))
    next_visits.sort(key=lambda v: v.scheduled_at)
    first = next_visits[:upcoming]
    if until:
        first += [v for v in next_visits[upcoming:] if v.scheduled_at < until]
    return {
        "pledges": pledges,
        "figures": Figures.of(pledges),
        "next_visits": first[:SCHEDULE_MOST],
        "starting": [p for p in starting if p.starts_on > today] or [],
        "today": today,
    }


@dataclass
class ScheduleLine:
    """A line of the member page's schedule: a pledge visit (a Visit, or a Coming one of a
    pledge not started) or another app's entry (schedule_sources, e.g. an event shift), with
    the other lines it overlaps in time (a clash: the member cannot be at both)."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    visit: "Visit | Coming | None" = None
    entry: ScheduleEntry | None = None
    clashes: list["ScheduleLine"] = field(default_factory=list)

    @property
    def name(self) -> str:
        """How another line's clash note names this one."""
        return self.entry.name if self.entry else self.visit.pledge.title


def schedule_lines(visits: list, entries: list[ScheduleEntry]) -> list[ScheduleLine]:
    """Visits and entries in time order, each overlapping pair marked on both lines. Two
    things overlap when one starts before the other ends: a shift ending at 11:00 and a
    visit at 11:00 do not clash."""
    lines = [
        ScheduleLine(
            v.scheduled_at,
            v.scheduled_at + dt.timedelta(minutes=v.pledge.duration_minutes),
            visit=v,
        )
        for v in visits
    ]
    lines += [ScheduleLine(e.starts_at, e.ends_at, entry=e) for e in entries]
    lines.sort(key=lambda line: (line.starts_at, line.ends_at))
    for i, line in enumerate(lines):
        for later in lines[i + 1 :]:
            if later.starts_at >= line.ends_at:
                break  # the lines after it start later still
            line.clashes.append(later)
            later.clashes.append(line)
    return lines


def member_service_hours(member: Member) -> Decimal:
    """The member's hours from their service records (践诺); written by lib.numbers."""
    total = ServiceRecord.objects.filter(participants__member=member).aggregate(total=Sum("hours"))
    return total["total"] or Decimal(0)


@dataclass
class MemberRecord:
    """What a community's admin sees on a member's page beside their facts: the orders they
    hold, their pledges with how they are kept, and this year's service."""

    held: list
    pledges: list[Pledge]
    figures: Figures
    services_this_year: int
    hours_this_year: Decimal
    recent_services: list[ServiceRecord]


def member_record(member: Member, today: dt.date | None = None, recent: int = 5) -> MemberRecord:
    today = today or timezone.localdate()
    pledges = list(
        with_visit_counts(Pledge.objects.filter(member=member), today)
        .select_related("category")
        .order_by("-starts_on", "-pk")
    )
    year_start = timezone.make_aware(dt.datetime(today.year, 1, 1))
    this_year = ServiceRecord.objects.filter(
        participants__member=member, started_at__gte=year_start
    )
    totals = this_year.aggregate(count=Count("pk"), hours=Sum("hours"))
    return MemberRecord(
        held=list(orders_held_by(member).select_related("category")),
        pledges=pledges,
        figures=Figures.of(pledges),
        services_this_year=totals["count"],
        hours_this_year=totals["hours"] or Decimal(0),
        recent_services=list(
            ServiceRecord.objects.filter(participants__member=member)
            .select_related("category")
            .order_by("-started_at")[:recent]
        ),
    )


def schedule_pledges(member: Member) -> list[Pledge]:
    """The member's public pledges, each with its visits, for the calendar feed."""
    return list(
        _with_public_beneficiary(Pledge.objects.on_wall())
        .filter(member=member)
        .select_related("category", "beneficiary_resident", "beneficiary_site")
        .prefetch_related(Prefetch("visits", Visit.objects.order_by("scheduled_at")))
        .order_by("starts_on", "pk")
    )


@dataclass
class FollowUp:
    pledges: list[Pledge]
    members: list[dict]
    missed_visits: list[Visit]
    overdue_visits: list[Visit]


def follow_up(community: Community, today: dt.date | None = None, only_behind: bool = True):
    """跟踪问效: active pledges falling behind, per pledge, per member and per visit."""
    today = today or timezone.localdate()
    pledges = list(
        with_visit_counts(
            Pledge.objects.filter(community=community, state=Pledge.State.ACTIVE),
            today,
        )
        .select_related("member__user", "category")
        .order_by("member__user__name_sort", "starts_on")
    )
    for pledge in pledges:
        pledge.figures = Figures.of([pledge])
    by_member: dict[int, dict] = {}
    for pledge in pledges:
        entry = by_member.setdefault(
            pledge.member_id, {"member": pledge.member, "pledges": [], "figures": None}
        )
        entry["pledges"].append(pledge)
    members = []
    for entry in by_member.values():
        entry["figures"] = Figures.of(entry["pledges"])
        if entry["figures"].is_behind or not only_behind:
            members.append(entry)
    members.sort(key=lambda e: e["figures"].rate if e["figures"].rate is not None else 2)
    shown = [p for p in pledges if p.figures.is_behind or not only_behind]
    shown.sort(key=lambda p: p.figures.rate if p.figures.rate is not None else 2)
    visits = Visit.objects.filter(pledge__community=community).select_related(
        "pledge", "member__user"
    )
    missed = list(
        visits.filter(
            state=Visit.State.MISSED, due_on__gte=today - dt.timedelta(days=RECENT_DAYS)
        ).order_by("-scheduled_at")[:200]
    )
    overdue = list(
        visits.filter(
            state=Visit.State.DUE, due_on__lt=today, pledge__state=Pledge.State.ACTIVE
        ).order_by("scheduled_at")[:200]
    )
    return FollowUp(pledges=shown, members=members, missed_visits=missed, overdue_visits=overdue)


# How far back a due visit may still be logged by its member.
LOGGABLE_DAYS = 30


def visits_loggable_by(member: Member) -> QuerySet[Visit]:
    """A member's own pledge visits that are due (up to a month back): what they can fulfil."""
    today = timezone.localdate()
    return (
        Visit.objects.filter(
            member=member,
            state=Visit.State.DUE,
            due_on__lte=today,
            due_on__gte=today - dt.timedelta(days=LOGGABLE_DAYS),
        )
        .select_related("pledge__category", "pledge__beneficiary_resident")
        .order_by("-due_on", "-scheduled_at")
    )


def visit_at_checkin(member: Member, checkin: CheckIn) -> Visit | None:
    """The member's due pledge visit to the resident they checked in with, if any."""
    if checkin.resident_id is None:
        return None
    return (
        visits_loggable_by(member)
        .filter(pledge__beneficiary_resident_id=checkin.resident_id)
        .first()
    )
