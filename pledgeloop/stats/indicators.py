"""The indicators of DESIGN.md §5, read from the rollups: what the dashboard and pages show.

Same functions and results as stats/definitions.py (the plain definitions over raw tables;
a test compares them), but aggregates over MonthFigures for the period's whole months and
DayFigures for its other days, and counts of members over MemberYear (members who served;
members active in the period: on its roster, Member.joined_on/left_on, or serving in it)
instead of scans of the raw tables; only the days outside whole months read the service
records themselves. Participation with a category filter falls back to the plain
definition (still exact).
Callers refresh the rollups first (rollups.ensure_fresh), as selectors.py does.
"""

import operator
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from pledgeloop.people.models import Member, on_roster_q

from . import definitions
from .models import DayFigures, MemberYear, MonthFigures
from .periods import Period
from .rollups import COLUMNS
from .scope import Scope

ratio = definitions.ratio
ALL_MONTHS = (1 << 12) - 1
RATES = {
    "participation_rate",
    "satisfaction_rate",
    "response_rate",
    "resolution_rate",
    "pledge_fulfilment",
}


def figure_rows(scope: Scope, period: Period):
    """Rollup rows of the scope and period: by month when the period is whole months."""
    if period.is_month_aligned:
        return MonthFigures.objects.filter(
            month__gte=period.start, month__lt=period.end, **scope.filters()
        )
    return DayFigures.objects.filter(day__gte=period.start, day__lt=period.end, **scope.filters())


def day_sums(scope: Scope, period: Period) -> dict:
    """The rollups' columns summed over the period, in one query: its whole months from
    MonthFigures, its other days (a period running to today) from DayFigures."""
    whole = period.whole_months()
    pieces = ([whole] if whole else []) + period.days_outside(whole)
    sums = {c: Sum(c) for c in COLUMNS}
    parts = [
        figure_rows(scope, piece).order_by().values("street_id").annotate(**sums)
        for piece in pieces
    ]
    out = dict.fromkeys(COLUMNS, 0)
    for row in parts[0].union(*parts[1:], all=True):
        for column in COLUMNS:
            out[column] += row[column] or 0
    out["hours"] = Decimal(out["hours"] or 0)
    return out


def month_bits(period: Period) -> dict[int, int]:
    """For a period of whole months: each local year's MemberYear bits of those months."""
    bits: dict[int, int] = {}
    month = period.start
    while month < period.end:
        bits[month.year] = bits.get(month.year, 0) | 1 << (month.month - 1)
        month = (month + timedelta(days=32)).replace(day=1)
    return bits


def _served(period: Period) -> Q:
    """The member (OuterRef("pk")) served in the period: for its whole months, a MemberYear
    row sharing a bit with those months of that year (one index probe per member, not a
    distinct count over months); for its other days, a service record then."""
    whole = period.whole_months()
    served = [_served_in_months(whole)] if whole is not None else []
    served += [
        Exists(definitions.served_in(piece, member=OuterRef("pk")))
        for piece in period.days_outside(whole)
    ]
    return reduce(operator.or_, map(Q, served))


def _served_in_months(period: Period) -> Exists:
    bits = month_bits(period)
    served = MemberYear.objects.filter(member=OuterRef("pk"), year__in=list(bits))
    in_period = Q()
    for year, mask in bits.items():
        if mask == ALL_MONTHS:
            in_period |= Q(year=year)
        else:
            served = served.alias(**{f"in_{year}": F("months").bitand(mask)})
            in_period |= Q(year=year, **{f"in_{year}__gt": 0})
    return Exists(served.filter(in_period))


def participants(scope: Scope, period: Period) -> int:
    """Members of the scope who served in the period (MemberYear for whole months)."""
    if scope.category_id is not None:
        return definitions.participants(scope, period)
    members = Member.objects.filter(**scope.filters(category=None))
    return members.filter(_served(period)).count()


def active_members(scope: Scope, period: Period) -> int:
    """Members of the scope active in the period: on its roster or serving in it (the same
    rule as definitions.active_members, with MemberYear for whole months)."""
    members = Member.objects.filter(**scope.filters(category=None))
    return members.filter(on_roster_q(period.start, period.end) | _served(period)).count()


def _count_by_community(members) -> dict[int, int]:
    rows = members.order_by().values("community_id").annotate(n=Count("pk"))
    return {row["community_id"]: row["n"] for row in rows}


def participants_by_community(scope: Scope, period: Period) -> dict[int, int]:
    """participants() of every community of the scope in one query: {community id: n}."""
    if scope.category_id is not None:
        return definitions.participants_by_community(scope, period)
    members = Member.objects.filter(**scope.filters(category=None))
    return _count_by_community(members.filter(_served(period)))


def active_members_by_community(scope: Scope, period: Period) -> dict[int, int]:
    """active_members() of every community of the scope in one query: {community id: n}."""
    members = Member.objects.filter(**scope.filters(category=None))
    return _count_by_community(
        members.filter(on_roster_q(period.start, period.end) | _served(period))
    )


def participation_rate(scope: Scope, period: Period) -> float | None:
    """participants ÷ active_members; for whole months without a category both counts come
    from one query over the scope's members."""
    if scope.category_id is not None:
        return ratio(participants(scope, period), active_members(scope, period))
    served = _served(period)
    counts = Member.objects.filter(**scope.filters(category=None)).aggregate(
        served=Count("pk", filter=served),
        active=Count("pk", filter=on_roster_q(period.start, period.end) | served),
    )
    return ratio(counts["served"], counts["active"])


def headline(scope: Scope, period: Period) -> dict:
    """Every headline figure, in the order and with the names of definitions.HEADLINE."""
    sums = day_sums(scope, period)
    return {
        "participation_rate": participation_rate(scope, period),
        "problems_solved": sums["orders_done"],
        "service_hours": sums["hours"],
        "service_records": sums["records"],
        "on_order_services": sums["on_order_records"],
        "satisfaction_rate": ratio(sums["reviews_satisfied"], sums["reviews"]),
        "response_rate": ratio(sums["orders_responded"], sums["orders_dispatched"]),
        "resolution_rate": ratio(sums["orders_triaged_done"], sums["orders_triaged"]),
        "pledge_fulfilment": definitions.pledge_fulfilment(scope, period),
    }


def change(name: str, now, before):
    """Against the same period a year earlier: relative change for counts and hours
    ((now − before) ÷ before, DESIGN.md §5), difference in points for rates."""
    if now is None or before is None:
        return None
    if name in RATES:
        return float(now) - float(before)
    if not before:
        return None
    return (float(now) - float(before)) / float(before)


def headline_with_change(scope: Scope, period: Period, today: date | None = None) -> list[dict]:
    """The headline figures of the period's days so far (Period.so_far: all of them once it
    has ended), each with the same days a year earlier."""
    counted = period.so_far(today or timezone.localdate())
    now = headline(scope, counted or period)
    before = headline(scope, counted.year_earlier()) if counted else dict.fromkeys(now)
    return [
        {
            "name": name,
            "value": now[name],
            "before": before[name],
            "change": change(name, now[name], before[name]),
            "is_rate": name in RATES,
        }
        for name in definitions.HEADLINE
    ]
