"""Every write of the review loop (评诺) happens here (STYLE.md)."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.moments import format_moment
from pledgeloop.lib.numbers import format_hours
from pledgeloop.notify.services import notify
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order
from pledgeloop.people.models import Member, User
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_link_expired
from pledgeloop.service.services import (
    service_record_confirm_by_review,
    service_record_flag_by_review,
)

from .models import Assessment, Review, ReviewWeights
from .selectors import quarter_begun


class ReviewError(Exception):
    """A refused review action, with a message for the person who tried it."""


class AlreadyReviewed(ReviewError):
    pass


@transaction.atomic
def review_submit(
    *,
    record: ServiceRecord,
    rating: int,
    comment: str = "",
    solved: bool | None = None,
    hours_right: bool | None = True,
    source: str = "web",
) -> Review:
    """A resident's review of one service, through its signed link.

    "Not solved" reopens a done order (the comment is the reason); a service without an order
    has nothing to reopen, so the community's admins are told instead. Otherwise a done order
    is marked reviewed. The page shows the service's date and hours: when the resident says they
    are right (`hours_right`), the review confirms them (`service_record_confirm_by_review`:
    they become verified, the review named as evidence); when they say the hours are wrong,
    the record is flagged for the community admins instead; "not sure" does neither.
    """
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if Review.objects.filter(record=record).exists():
        raise AlreadyReviewed(_("This service has already been reviewed. Thank you."))
    if review_link_expired(record):
        raise ReviewError(_("This review link has expired; it takes no more reviews."))
    if rating not in Review.Rating.values:
        raise ReviewError(_("Choose one of the five levels."))
    try:
        with transaction.atomic():
            review = Review.objects.create(
                street_id=record.street_id,
                community_id=record.community_id,
                record=record,
                order_id=record.order_id,
                rating=rating,
                comment=comment.strip(),
                solved=solved,
            )
    except IntegrityError:  # a second submit racing the first
        raise AlreadyReviewed(_("This service has already been reviewed. Thank you.")) from None
    order = record.order
    if order is not None:
        if solved is False and order.state in {Order.State.DONE, Order.State.REVIEWED}:
            order_services.order_reopen(
                order=order,
                reason=review.comment or _("The resident says the problem is not solved."),
                source=source,
            )
        elif solved is not False and order.state == Order.State.DONE:
            order_services.order_mark_reviewed(order=order, source=source)
    elif solved is False:  # no order to reopen (a pledge's visit, an event): the admins hear
        _tell_admins_not_solved(record, review.comment)
    if hours_right is False:
        service_record_flag_by_review(record=record, reason=review.comment)
        _tell_admins_hours_disputed(record)
    elif hours_right and solved is not False:  # the beneficiary confirms the hours
        service_record_confirm_by_review(record=record)
    return review


def _tell_admins_not_solved(record: ServiceRecord, comment: str) -> None:
    _tell_admins(
        record,
        kind="review_not_solved",
        title=_("A resident says a service did not solve the problem"),
        body=comment or format_moment(record.started_at),
    )


def _tell_admins_hours_disputed(record: ServiceRecord) -> None:
    _tell_admins(
        record,
        kind="hours_disputed",
        title=_("A resident says the hours of a service are wrong"),
        body=_("%(day)s · %(hours)s h")
        % {"day": format_moment(record.started_at), "hours": format_hours(record.hours)},
    )


def _tell_admins(record: ServiceRecord, *, kind: str, title: str, body: str) -> None:
    """The record's community admins, each a notification that leads to the record."""
    url = reverse("service:record", args=[record.pk])
    for admin in order_services.community_admins(record.community):
        notify(user=admin, kind=kind, street_id=record.street_id, url=url, title=title, body=body)


@transaction.atomic
def assessment_save(
    *,
    member: Member,
    year: int,
    quarter: int,
    kind: str,
    score: int,
    comment: str = "",
    by: User,
) -> Assessment:
    """Create or replace the member's assessment of one kind for one quarter (one that has
    begun: a page's "next quarter" let a member score a quarter still to come)."""
    if not 0 <= score <= 100:
        raise ReviewError(_("A score is a whole number from 0 to 100."))
    if not quarter_begun(year, quarter):
        raise ReviewError(not_begun_message(year, quarter))
    assessment, _created = Assessment.objects.update_or_create(
        member=member,
        year=year,
        quarter=quarter,
        kind=kind,
        defaults={
            "street_id": member.street_id,
            "score": score,
            "comment": comment.strip(),
            "by": by,
            "created_at": timezone.now(),
        },
    )
    return assessment


def not_begun_message(year: int, quarter: int) -> str:
    return _("Q%(quarter)s %(year)s has not begun: it can be assessed once it has.") % {
        "year": year,
        "quarter": quarter,
    }


@transaction.atomic
def assessments_save_for_community(
    *, year: int, quarter: int, scores: dict[Member, tuple[int, str]], by: User
) -> int:
    """The organisation's assessments of many members at once; returns how many were saved."""
    for member, (score, comment) in scores.items():
        assessment_save(
            member=member,
            year=year,
            quarter=quarter,
            kind=Assessment.Kind.ORGANISATION,
            score=score,
            comment=comment,
            by=by,
        )
    return len(scores)


@transaction.atomic
def review_weights_update(*, street, by: User, **values) -> ReviewWeights:
    weights = ReviewWeights.for_street(street)
    for field in (*ReviewWeights.COMPONENTS, "target_hours"):
        setattr(weights, field, values[field])
    weights.no_evidence_grade = values.get("no_evidence_grade") or weights.no_evidence_grade
    if weights.total != 100:
        raise ReviewError(_("The weights must add up to 100."))
    weights.updated_by = by
    weights.updated_at = timezone.now()
    weights.full_clean(exclude=["street"])
    weights.save()
    return weights
