"""The demo street's indicators (DESIGN.md §5) come out near the seed report's figures.

Computed here from the raw records, the way the indicators are defined, not read from the
demo's own bookkeeping.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from pledgeloop.demo.builder import demo_load
from pledgeloop.demo.service import march_of, periods
from pledgeloop.people.models import Member
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import CheckIn, ServiceParticipant, ServiceRecord
from pledgeloop.service.selectors import hours_by_verification, records_in_period


def participation(start, end, active) -> float:
    serving = (
        ServiceParticipant.objects.filter(
            record__in=records_in_period(ServiceRecord.objects.all(), start, end)
        )
        .values("member")
        .distinct()
        .count()
    )
    return serving / active


def march_hours(year):
    return ServiceRecord.objects.filter(started_at__year=year, started_at__month=3).aggregate(
        h=Sum("hours")
    )["h"]


# The demo is built as of this moment, whatever the real date: the figures must not depend on
# the day the suite runs.
NOW = dt.datetime(2026, 5, 20, 10, 0)


@pytest.mark.django_db
def test_demo_figures_match_the_seed_report():
    with time_machine.travel(timezone.make_aware(NOW), tick=False):
        today = timezone.localdate()
        demo_load(seed=2026, today=today)
        assert not ServiceRecord.objects.filter(started_at__gt=timezone.now()).exists()
    assert today == NOW.date()
    active = Member.objects.filter(active=True).count()
    assert active == 185
    span = periods(today)
    assert 0.55 <= participation(*span["latest"], active) <= 0.65
    assert 0.35 <= participation(*span["earlier"], active) <= 0.45
    latest, earlier = march_of(today)
    assert 1.5 <= march_hours(latest) / march_hours(earlier) <= 1.8
    reviews = Review.objects.all()
    assert reviews.count() > 100
    assert reviews.filter(Review.satisfied_q()).count() / reviews.count() >= 0.96
    # Reports keep the kinds of hours apart; the demo has all three.
    kinds = hours_by_verification(ServiceRecord.objects.all())
    assert all(kinds[k] > 0 for k in ("verified", "recorded", "self"))
    assert not ServiceRecord.objects.filter(started_at__gt=timezone.now()).exists()
    demo_hours_mean_what_they_say()


def demo_hours_mean_what_they_say():
    """The demo keeps the rules service_record_create enforces (issue 12)."""
    spans = defaultdict(list)
    days = defaultdict(Decimal)
    rows = ServiceParticipant.objects.values_list(
        "member_id", "record__started_at", "record__ended_at", "record__hours"
    )
    for member_id, started, ended, hours in rows:
        assert hours * 3600 <= Decimal((ended - started).total_seconds())
        assert ended <= timezone.now()
        spans[member_id].append((started, ended))
        days[(member_id, timezone.localtime(started).date())] += hours
    for member_spans in spans.values():
        member_spans.sort()
        for (_s1, e1), (s2, _e2) in zip(member_spans, member_spans[1:], strict=False):
            assert e1 <= s2, "one member's records overlap"
    assert max(days.values()) <= 24
    on_orders = ServiceRecord.objects.filter(order__isnull=False).select_related("order")
    for record in on_orders:
        assert record.started_at >= record.order.created_at
        taken = record.order.events.filter(
            action__in=["claim", "accept"], at__lte=record.started_at
        ).exists()
        assert taken, "an order's service starts after it was taken"
    verified = ServiceRecord.objects.filter(verification="verified")
    assert not verified.filter(evidence="").exists()
    assert {"review", "site_screen", "beneficiary_code"} <= set(
        verified.values_list("evidence", flat=True)
    )
    assert ServiceRecord.objects.filter(flagged_at__isnull=False).exists()
    checked = CheckIn.objects.filter(record__verification="verified")
    assert checked.exists()
    assert not checked.exclude(in_proof__in=["screen", "beneficiary"]).exists()
