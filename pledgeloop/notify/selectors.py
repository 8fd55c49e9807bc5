"""Reads of the outbox for the console."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .models import Notification


@dataclass(frozen=True)
class Stalled:
    count: int
    # When the oldest of them was due.
    since: dt.datetime


def stalled_filter(now: dt.datetime) -> Q:
    """Waiting messages due more than NOTIFY_STALLED_MINUTES ago that no worker holds: the
    worker sends what is due every NOTIFY_SEND_SECONDS, so these are messages nothing sends
    (the tasks worker is not running, or is far behind). A retry's pause puts its message's
    due time ahead, so a message waiting out its pause is not among them."""
    cutoff = now - dt.timedelta(minutes=settings.NOTIFY_STALLED_MINUTES)
    held = Q(lease_until__gt=now) & ~Q(claimed_by="")
    return Q(state=Notification.State.WAITING, next_attempt_at__lt=cutoff) & ~held


def stalled_aggregates(now: dt.datetime) -> dict:
    """The aggregates stalled_from reads, to go into a page's own aggregate query."""
    late = stalled_filter(now)
    return {
        "stalled": Count("pk", filter=late),
        "stalled_since": Min("next_attempt_at", filter=late),
    }


def stalled_from(found: dict) -> Stalled | None:
    return Stalled(found["stalled"], found["stalled_since"]) if found["stalled"] else None


def outbox_stalled(
    notifications: QuerySet[Notification], *, now: dt.datetime | None = None
) -> Stalled | None:
    """How many of `notifications` are stalled (stalled_filter) and since when, or None."""
    return stalled_from(notifications.aggregate(**stalled_aggregates(now or timezone.now())))
