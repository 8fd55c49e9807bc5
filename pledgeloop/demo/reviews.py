"""Residents' reviews and quarterly assessments for the demo street (DESIGN.md §5, §8).

Runs after the service step. Most services with a named beneficiary get a review a day or
two later; the ratings are drawn so that satisfaction (reviews rated 4 or 5 ÷ all reviews)
comes out near 98 %, counting any reviews earlier steps wrote. A review confirms the service,
so its record's hours become verified, as service_record_confirm_by_review does one by one.
Each member who served in a quarter gets a self-assessment and the organisation's one.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Sum
from django.utils import timezone

from pledgeloop.lib.inserts import insert
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.people.models import Role, RoleGrant
from pledgeloop.reviews.models import Assessment, Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

SATISFACTION = 0.98
REVIEWED_SHARE = 0.7
PRAISE = [
    "非常感谢，服务很周到！",
    "来得很及时，态度好。",
    "党员同志辛苦了。",
    "解决了大问题，谢谢！",
    "很耐心，老人很满意。",
    "",
    "",
]
COMPLAINTS = ["来晚了一些。", "问题没有完全解决。", "希望下次提前联系。"]
DISPUTE = "实际只来了半个小时左右，时长不对。"


def build(ctx) -> None:
    rng = ctx.rng
    now = timezone.now()
    existing = Review.objects.filter(street=ctx.street)
    total_before = existing.count()
    unhappy_before = existing.filter(rating__lte=3).count()
    records = list(
        ServiceRecord.objects.filter(
            street=ctx.street, beneficiary__isnull=False, review__isnull=True, ended_at__lt=now
        )
        .order_by("pk")
        .values_list("pk", "community_id", "order_id", "ended_at")
    )
    chosen = []
    for pk, community_id, order_id, ended_at in records:
        if rng.random() < REVIEWED_SHARE:
            answered = _in_the_day(ended_at + dt.timedelta(hours=rng.randint(2, 60)), rng)
            if answered <= now:  # else the resident has not answered yet
                chosen.append((pk, community_id, order_id, ended_at, answered))
    total = total_before + len(chosen)
    unhappy_wanted = max(round((1 - SATISFACTION) * total) - unhappy_before, 0)
    # Spread the unhappy ones evenly through time, so that every period's satisfaction is
    # near the target rather than only the whole history's.
    chosen.sort(key=lambda r: (r[3], r[0]))
    step = len(chosen) / unhappy_wanted if unhappy_wanted else 0
    unhappy = (
        {int(i * step + rng.random() * step) for i in range(unhappy_wanted)} if step else set()
    )
    reviews = []
    for index, (pk, community_id, order_id, _ended_at, answered) in enumerate(chosen):
        if index in unhappy:
            rating, comment = rng.choice([1, 2, 3, 3]), rng.choice(COMPLAINTS)
        else:
            rating, comment = rng.choice([5, 5, 5, 5, 4]), rng.choice(PRAISE)
        reviews.append(
            Review(
                street=ctx.street,
                community_id=community_id,
                record_id=pk,
                order_id=order_id,
                rating=rating,
                comment=comment,
                # A "not solved" answer would have reopened the order; the demo's unhappy
                # residents answer "not sure" instead, so every reviewed order stays closed.
                solved=True if rating >= 3 else None,
                created_at=answered,
            )
        )
    insert(reviews, batch_size=1000)
    _orders_reviewed(ctx, reviews)
    disputed = _hours_disputed(ctx, reviews, unhappy={chosen[i][0] for i in unhappy})
    # The others said the date and hours shown were right: the review is their evidence
    # (hours a check-in verified already keep theirs).
    ServiceRecord.objects.filter(pk__in=[r.record_id for r in reviews]).exclude(
        pk__in=disputed
    ).exclude(verification=ServiceRecord.Verification.VERIFIED).update(
        verification=ServiceRecord.Verification.VERIFIED,
        evidence=ServiceRecord.Evidence.REVIEW,
    )
    _assessments(ctx)


def _in_the_day(at: dt.datetime, rng) -> dt.datetime:
    """`at`, or the next morning when it falls at night: residents answer from 08:00 to 21:00
    (the demo's reviews were spread over all 24 hours, a third of them at night)."""
    local = timezone.localtime(at)
    if 8 <= local.hour < 21:
        return local
    morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
    if local.hour >= 21:
        morning += dt.timedelta(days=1)
    return morning + dt.timedelta(minutes=rng.randint(0, 660))


def _hours_disputed(ctx, reviews, unhappy: set[int]) -> set[int]:
    """The two latest unhappy residents said the hours were wrong: their records wait,
    flagged, for the community admin (service_record_flag_by_review)."""
    latest = sorted(
        (r for r in reviews if r.record_id in unhappy), key=lambda r: (r.created_at, r.record_id)
    )
    recent = latest[-2:]
    for review in recent:
        ServiceRecord.objects.filter(pk=review.record_id).update(
            verification=ServiceRecord.Verification.SELF,
            evidence="",
            flagged_at=review.created_at,
            flag_reason=DISPUTE,
        )
    return {r.record_id for r in recent}


def _orders_reviewed(ctx, reviews) -> None:
    """Done orders whose service was rated move to reviewed, with the event the service
    (orders.services.order_mark_reviewed) would have recorded."""
    reviewed_at = {r.order_id: r.created_at for r in reviews if r.order_id}
    done = list(
        Order.objects.filter(pk__in=reviewed_at, state=Order.State.DONE).values_list(
            "pk", flat=True
        )
    )
    insert(
        OrderEvent(
            street=ctx.street,
            order_id=pk,
            from_state=Order.State.DONE,
            to_state=Order.State.REVIEWED,
            action="review",
            by_label="居民",
            source=OrderEvent.Source.WEB,
            at=reviewed_at[pk],
        )
        for pk in done
    )
    Order.objects.filter(pk__in=done).update(state=Order.State.REVIEWED)


def _quarters(today: dt.date, count: int = 8) -> list[tuple[int, int]]:
    """The last `count` quarters that have ended, oldest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    result = []
    for _ in range(count):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        result.append((year, quarter))
    return result[::-1]


def _assessments(ctx) -> None:
    rng = ctx.rng
    reviewer = (
        RoleGrant.objects.filter(street=ctx.street, role=Role.STREET_ADMIN)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    hours = defaultdict(float)
    rows = (
        ServiceParticipant.objects.filter(street=ctx.street)
        .values_list("member_id", "record__started_at__year", "record__started_at__month")
        .annotate(total=Sum("record__hours"))
        .order_by()
    )
    for member_id, year, month, total in rows:
        hours[(member_id, year, (month - 1) // 3 + 1)] += float(total)
    assessments = []
    for year, quarter in _quarters(ctx.today):
        for (member_id, y, q), served in sorted(hours.items()):
            if (y, q) != (year, quarter):
                continue
            base = min(98, 70 + int(served * 2))
            assessments.append(
                Assessment(
                    street=ctx.street,
                    member_id=member_id,
                    year=year,
                    quarter=quarter,
                    kind=Assessment.Kind.SELF,
                    score=min(100, base + rng.randint(-3, 5)),
                )
            )
            assessments.append(
                Assessment(
                    street=ctx.street,
                    member_id=member_id,
                    year=year,
                    quarter=quarter,
                    kind=Assessment.Kind.ORGANISATION,
                    score=min(100, base + rng.randint(-6, 3)),
                    by_id=reviewer,
                )
            )
    insert(assessments, batch_size=1000)
