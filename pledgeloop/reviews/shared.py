"""The annual review's headline figures, shared by the server's worker processes (issue 17).

Every worker keeps the summary in its own cache (settings.PUBLIC_PAGE_CACHE, the local
memory of the process), so each used to compute a street's whole year once per data
version: at city scale (5,000 members) seconds of every worker's time. `summary_for` puts
a database table (`SharedAnnualSummary`) behind that cache: the first worker to miss
computes and stores, every other reads the stored figures in one query.

Never stale: the key is the view's summary key, which holds the street's data version
(read before the figures are computed, as orgs/versions.py asks), the year, the
communities, the language and today's date; a write to anything the figures read bumps the
version, so it asks for another row. On PostgreSQL a worker that misses takes a transaction
advisory lock on the key and looks again before computing, so that workers missing at the
same moment wait for the one computation instead of repeating it.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .annual import AnnualSummary
from .models import ReviewWeights, SharedAnnualSummary

# The first key of the advisory locks taken here (the second is the hash of the entry's key).
LOCK_SPACE = 17_2026

WEIGHT_FIELDS = ("id", "street_id", *ReviewWeights.COMPONENTS, "target_hours", "no_evidence_grade")


def encode(head: dict) -> dict:
    summary = head["summary"]
    return {
        "summary": [
            summary.members,
            summary.scored,
            None if summary.average is None else str(summary.average),
            list(summary.grade_counts),
        ],
        "weights": {name: getattr(head["weights"], name) for name in WEIGHT_FIELDS},
        "scope": head["scope"],
    }


def decode(figures: dict) -> dict:
    members, scored, average, counts = figures["summary"]
    return {
        "summary": AnnualSummary(
            members, scored, None if average is None else Decimal(average), tuple(counts)
        ),
        # What the page and its rows read of the weights (an unsaved copy of the row).
        "weights": ReviewWeights(**figures["weights"]),
        "scope": figures["scope"],
    }


def _stored(key: str, since) -> dict | None:
    found = (
        SharedAnnualSummary.objects.filter(key=key, created_at__gte=since)
        .values_list("figures", flat=True)
        .first()
    )
    return None if found is None else decode(found)


def summary_for(key: str, compute: Callable[[], dict], *, seconds: int) -> dict:
    """The head {summary, weights, scope} under `key`: stored by another worker within
    `seconds`, or computed by `compute()` and stored (0 seconds: computed, not stored)."""
    if not seconds:
        return compute()
    now = timezone.now()
    since = now - timedelta(seconds=seconds)
    head = _stored(key, since)
    if head is not None:
        return head
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_SPACE, key])
            head = _stored(key, since)
            if head is not None:
                return head
        head = compute()
        SharedAnnualSummary.objects.filter(created_at__lt=since).delete()
        # One statement on every backend (without the lock, SQLite's workers may both store).
        SharedAnnualSummary.objects.bulk_create(
            [SharedAnnualSummary(key=key, figures=encode(head), created_at=timezone.now())],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["figures", "created_at"],
        )
    return head
