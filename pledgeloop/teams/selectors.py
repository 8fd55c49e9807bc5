"""Reads for teams: rosters and the team figures (sessions, hours, people served, ratings),
computed from service records and reviews, never typed in (DESIGN.md §5, C7).

A team's service is the service records of the orders its leaders accepted for it (a team
dispatch): each record is one session of the team, its hours the record's hours, the people
served its distinct beneficiaries, the ratings the reviews of those records.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from pledgeloop.orders.models import Dispatch
from pledgeloop.service.models import ServiceRecord

from .models import Attendance, QueueTicket, Registration, Team, TeamMembership


@dataclass
class TeamFigures:
    sessions: int = 0
    hours: Decimal = Decimal(0)
    people_served: int = 0
    reviews: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    _beneficiaries: set = field(default_factory=set, repr=False)

    @property
    def average_rating(self) -> Decimal | None:
        if not self.reviews:
            return None
        return (Decimal(self.rating_sum) / self.reviews).quantize(Decimal("0.1"))

    @property
    def satisfaction(self) -> int | None:
        """Reviews rated 4 or 5 ÷ all reviews, in whole per cent (DESIGN.md §5)."""
        if not self.reviews:
            return None
        return round(100 * self.satisfied / self.reviews)


def team_records(team_ids) -> QuerySet[ServiceRecord]:
    """Service records done for the teams: of orders a leader accepted for one of them."""
    return ServiceRecord.objects.filter(
        order__dispatches__team_id__in=list(team_ids),
        order__dispatches__state=Dispatch.State.ACCEPTED,
    )


def team_figures(
    teams, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[int, TeamFigures]:
    """{team id: figures} for the teams, in one query; a record counts once per team even
    when its order was accepted by the same team twice (handed back and dispatched again)."""
    ids = [t.pk for t in teams]
    figures = {pk: TeamFigures() for pk in ids}
    records = team_records(ids)
    if start is not None:
        records = records.filter(started_at__gte=start)
    if end is not None:
        records = records.filter(started_at__lt=end)
    rows = records.values_list(
        "order__dispatches__team_id", "pk", "hours", "beneficiary_id", "review__rating"
    ).distinct()
    seen: set[tuple[int, int]] = set()
    for team_id, record_id, hours, beneficiary_id, rating in rows:
        if (team_id, record_id) in seen:
            continue
        seen.add((team_id, record_id))
        f = figures[team_id]
        f.sessions += 1
        f.hours += hours or 0
        if beneficiary_id is not None:
            f._beneficiaries.add(beneficiary_id)
        if rating is not None:
            f.reviews += 1
            f.rating_sum += rating
            f.satisfied += rating >= 4
    for f in figures.values():
        f.people_served = len(f._beneficiaries)
    return figures


def leader_names(teams) -> dict[int, list[str]]:
    """{team id: its leaders' names, in pinyin order} for the teams, in one query: the
    console names the leaders in full, as its roster does (they are members it manages)."""
    names: dict[int, list[str]] = {t.pk: [] for t in teams}
    rows = (
        TeamMembership.objects.filter(team_id__in=list(names), is_leader=True)
        .order_by("member__user__name_sort", "pk")
        .values_list("team_id", "member__user__name")
    )
    for team_id, name in rows:
        names[team_id].append(name)
    return names


def roster_prefetch() -> Prefetch:
    return Prefetch(
        "roster",
        queryset=TeamMembership.objects.select_related("member__user", "volunteer").order_by(
            "-is_leader", "joined_at", "pk"
        ),
    )


def public_teams(street) -> QuerySet[Team]:
    return (
        Team.objects.filter(street=street, active=True)
        .select_related("community")
        .prefetch_related(roster_prefetch(), "skills")
        .order_by("scope", "community__slug", "name")
    )


def leader_teams(member) -> QuerySet[Team]:
    return Team.objects.filter(roster__member=member, roster__is_leader=True, active=True)


def grouped_by_team(entries) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for e in entries:
        out[e.team_id].append(e)
    return out


def booth_queues(booths) -> dict[int, dict]:
    """{booth id: {"waiting": n, "served": n}} in one query, for the event page's live tallies."""
    rows = (
        QueueTicket.objects.filter(booth__in=booths)
        .values("booth_id")
        .annotate(
            waiting=Count("pk", filter=Q(state=QueueTicket.State.WAITING)),
            served=Count("pk", filter=Q(state=QueueTicket.State.SERVED)),
        )
    )
    out = {b.pk: {"waiting": 0, "served": 0} for b in booths}
    for row in rows:
        out[row["booth_id"]] = {"waiting": row["waiting"], "served": row["served"]}
    return out


def place_in_queue(ticket) -> int:
    """How many waiting numbers are ahead of this one."""
    return QueueTicket.objects.filter(
        booth_id=ticket.booth_id, state=QueueTicket.State.WAITING, number__lt=ticket.number
    ).count()


def event_summary(event) -> dict:
    """An event's figures from its records: members and volunteers who served, their hours
    (members' from their attendance records or the records that covered them, volunteers'
    from their attendance), numbers served at its booths, residents registered."""
    attendance = list(
        Attendance.objects.filter(session__event=event).values_list(
            "member_id", "volunteer_id", "hours"
        )
    )
    return {
        "members": len({m for m, _v, _h in attendance if m}),
        "volunteers": len({v for _m, v, _h in attendance if v}),
        "hours": sum((h for _m, _v, h in attendance), Decimal(0)),
        "served": QueueTicket.objects.filter(
            booth__event=event, state=QueueTicket.State.SERVED
        ).count(),
        "registered": Registration.objects.filter(session__event=event)
        .values("phone")
        .distinct()
        .count(),
    }


def sessions_with_places(event) -> list:
    """The event's sessions, each with `places_left` (None: no limit) counted in one query:
    a full session is shown as full, not offered for registration."""
    sessions = list(event.sessions.annotate(registered=Count("registrations")))
    for session in sessions:
        session.places_left = (
            None if session.capacity is None else max(session.capacity - session.registered, 0)
        )
    return sessions
