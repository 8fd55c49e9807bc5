"""Reads of service records that reports share: hours kept apart by how they were confirmed."""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from pledgeloop.people.models import Member

from .models import ServiceParticipant, ServiceRecord

ZERO = Decimal("0")


def hours_by_verification(
    qs: QuerySet[ServiceRecord], *, member: Member | None = None
) -> dict[str, Decimal]:
    """{"verified": h, "recorded": h, "self": h}: volunteer hours of each kind.

    Record hours are the hours *each* member served, so a total counts them once per
    participant (DESIGN.md §5: a 3-member × 2 h entry is 6 h), as the stats and the export do.
    With `member`, only that member's own hours (their page). Pass a queryset of records
    already filtered to the scope and period wanted.
    """
    totals = {choice.value: ZERO for choice in ServiceRecord.Verification}
    parts = ServiceParticipant.objects.filter(record__in=qs.order_by().values("pk"))
    if member is not None:
        parts = parts.filter(member=member)
    rows = parts.values_list("record__verification").annotate(total=Sum("record__hours"))
    for verification, total in rows.order_by():
        totals[verification] = total or ZERO
    return totals


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in local time: both days included."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def records_in_period(
    qs: QuerySet[ServiceRecord], start: dt.date, end: dt.date
) -> QuerySet[ServiceRecord]:
    since, until = period_bounds(start, end)
    return qs.filter(started_at__gte=since, started_at__lt=until)


def participations_for_export(
    *, community_ids, start: dt.date, end: dt.date
) -> QuerySet[ServiceParticipant]:
    """One row per member per record in the period: what the volunteer-hours export lists."""
    since, until = period_bounds(start, end)
    return (
        ServiceParticipant.objects.filter(
            record__community_id__in=community_ids,
            record__started_at__gte=since,
            record__started_at__lt=until,
        )
        .select_related("member__user", "record__category", "record__order", "record__beneficiary")
        .order_by("member__user__name_sort", "member_id", "record__started_at", "record_id")
    )
