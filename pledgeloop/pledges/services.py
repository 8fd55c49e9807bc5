"""Every change to pledges and visits happens here (STYLE.md: services for writes)."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.transitions import Transitions
from pledgeloop.orders.models import Order, OrderError
from pledgeloop.orders.services import order_claim, order_hand_back
from pledgeloop.people.models import Member, Resident, User
from pledgeloop.service.models import CheckIn, ServiceRecord
from pledgeloop.service.services import checkin_close, service_record_log_by_member

from . import access, recurrence, selectors
from .models import Pledge, PledgeError, PledgeEvent, Visit

# How far ahead the schedule (排班表) reaches; the daily job keeps it rolling.
VISITS_AHEAD_DAYS = 90

__all__ = [
    "PledgeError",
    "ReviewOutcome",
    "pledge_activate",
    "pledge_approve",
    "pledge_close",
    "pledge_create",
    "pledge_return",
    "pledge_submit",
    "pledge_update",
    "pledge_withdraw",
    "pledge_claim_need",
    "pledges_review",
    "visit_check_out",
    "visit_log_service",
    "visit_mark_fulfilled",
    "visits_generate",
]


def _locked(pledge: Pledge) -> Pledge:
    return (
        Pledge.objects.select_for_update()
        .select_related("member__user", "community")
        .get(pk=pledge.pk)
    )


def _refusal(pledge: Pledge, to: str) -> str:
    return _("A pledge that is “%(state)s” cannot become “%(new)s”.") % {
        "state": pledge.get_state_display(),
        "new": Pledge.State(to).label,
    }


# Pledge.TRANSITIONS, checked and recorded the one way (lib.transitions) orders use too.
PLEDGE_MOVES = Transitions(
    moves=Pledge.TRANSITIONS,
    event_model=PledgeEvent,
    subject="pledge",
    error=PledgeError,
    refusal=_refusal,
)


def _move(
    pledge: Pledge,
    to: str,
    *,
    by: User | None,
    comment: str = "",
    fields: tuple[str, ...] | list[str] = (),
) -> None:
    """Move the locked pledge to `to` if Pledge.TRANSITIONS allows it (else PledgeError), save
    the state with the `fields` the caller changed along with it, and write the PledgeEvent."""
    PLEDGE_MOVES.move(pledge, to, by=by, fields=fields, comment=comment)


def _validated(pledge: Pledge) -> None:
    try:
        pledge.full_clean()
    except ValidationError as error:
        raise PledgeError(" ".join(error.messages)) from None


@transaction.atomic
def pledge_create(*, member: Member, by: User, submit: bool = False, **fields) -> Pledge:
    """A member's new pledge, saved as a draft (or submitted for approval straight away)."""
    pledge = Pledge(member=member, street_id=member.street_id, community=member.community)
    for name, value in fields.items():
        setattr(pledge, name, value)
    _validated(pledge)
    pledge.save()
    pledge.events.create(street_id=pledge.street_id, from_state="", to_state=pledge.state, by=by)
    if submit:
        _move(pledge, Pledge.State.SUBMITTED, by=by)
    return pledge


@transaction.atomic
def pledge_update(*, pledge: Pledge, by: User, **fields) -> Pledge:
    """Change a draft or a returned pledge; once submitted, it waits for the reviewer."""
    pledge = _locked(pledge)
    if not pledge.is_editable:
        raise PledgeError(
            _("A pledge that is “%(state)s” can no longer be changed.")
            % {"state": pledge.get_state_display()}
        )
    for name, value in fields.items():
        setattr(pledge, name, value)
    _validated(pledge)
    pledge.save()
    return pledge


@transaction.atomic
def pledge_submit(*, pledge: Pledge, by: User) -> Pledge:
    pledge = _locked(pledge)
    if pledge.member.user_id != by.pk:
        raise PledgeError(_("Only the member who made a pledge can submit it."))
    _validated(pledge)
    _move(pledge, Pledge.State.SUBMITTED, by=by)
    return pledge


@transaction.atomic
def pledge_approve(
    *, pledge: Pledge, by: User, comment: str = "", today: dt.date | None = None
) -> Pledge:
    """审诺: the community approves; a pledge whose start has come becomes active at once."""
    today = today or timezone.localdate()
    pledge = _locked(pledge)
    refusal = access.review_refusal(by, pledge)
    if refusal:
        raise PledgeError(refusal)
    if pledge.state != Pledge.State.SUBMITTED:
        raise PledgeError(
            _("Only a pledge awaiting approval can be approved; this one is “%(state)s”.")
            % {"state": pledge.get_state_display()}
        )
    now = timezone.now()
    pledge.review_comment = comment.strip()
    pledge.reviewed_by, pledge.reviewed_at, pledge.approved_at = by, now, now
    _move(
        pledge,
        Pledge.State.APPROVED,
        by=by,
        comment=pledge.review_comment,
        fields=["review_comment", "reviewed_by", "reviewed_at", "approved_at"],
    )
    if pledge.starts_on <= today:
        pledge = pledge_activate(pledge=pledge, by=by, today=today)
    return pledge


@transaction.atomic
def pledge_return(*, pledge: Pledge, by: User, comment: str) -> Pledge:
    """审诺: send a pledge back to its member with what to change; it stays off the wall."""
    pledge = _locked(pledge)
    refusal = access.review_refusal(by, pledge)
    if refusal:
        raise PledgeError(refusal)
    comment = (comment or "").strip()
    if not comment:
        raise PledgeError(_("Say what to change: a returned pledge needs a comment."))
    if pledge.state != Pledge.State.SUBMITTED:
        raise PledgeError(
            _("Only a pledge awaiting approval can be returned; this one is “%(state)s”.")
            % {"state": pledge.get_state_display()}
        )
    pledge.review_comment = comment
    pledge.reviewed_by, pledge.reviewed_at = by, timezone.now()
    _move(
        pledge,
        Pledge.State.RETURNED,
        by=by,
        comment=comment,
        fields=["review_comment", "reviewed_by", "reviewed_at"],
    )
    return pledge


@dataclass
class ReviewOutcome:
    done: list[Pledge] = field(default_factory=list)
    refused: list[tuple[Pledge, str]] = field(default_factory=list)


def pledges_review(
    *, pledges, by: User, approve: bool, comment: str = "", today: dt.date | None = None
) -> ReviewOutcome:
    """Approve or return many pledges; each stands alone, and a refusal says why."""
    outcome = ReviewOutcome()
    for pledge in pledges:
        try:
            if approve:
                done = pledge_approve(pledge=pledge, by=by, comment=comment, today=today)
            else:
                done = pledge_return(pledge=pledge, by=by, comment=comment)
        except PledgeError as refusal:
            outcome.refused.append((pledge, str(refusal)))
        else:
            outcome.done.append(done)
    return outcome


@transaction.atomic
def pledge_activate(*, pledge: Pledge, by: User | None = None, today: dt.date | None = None):
    """An approved pledge whose start date has come: it goes live and gets its visits."""
    pledge = _locked(pledge)
    _move(pledge, Pledge.State.ACTIVE, by=by)
    visits_generate(pledge=pledge, today=today)
    return pledge


@transaction.atomic
def pledge_withdraw(*, pledge: Pledge, by: User, reason: str = "") -> Pledge:
    """The member takes a pledge back (or an admin does for them); future visits go."""
    pledge = _locked(pledge)
    if not access.may_withdraw(by, pledge):
        raise PledgeError(_("Only the member or an admin of the community can withdraw it."))
    _move(pledge, Pledge.State.WITHDRAWN, by=by, comment=(reason or "").strip())
    pledge.visits.filter(state=Visit.State.DUE, scheduled_at__gt=timezone.now()).delete()
    if pledge.need_id:
        _hand_back_need(pledge)
    return pledge


def _hand_back_need(pledge: Pledge) -> None:
    """A withdrawn pledge puts its claimed need back on the needs list for someone else."""
    order = Order.objects.get(pk=pledge.need_id)
    if order.assigned_member_id != pledge.member_id or order.state not in Order.TAKEN:
        return
    try:
        order_hand_back(
            order=order, member=pledge.member, reason=_("The pledge for this need was withdrawn.")
        )
    except OrderError:
        # The order moved on meanwhile (e.g. cancelled by the resident): nothing to give back.
        return


@transaction.atomic
def pledge_close(*, pledge: Pledge, by: User | None = None) -> Pledge:
    """At the end: fulfilled when the target was reached, lapsed when it was not."""
    pledge = _locked(pledge)
    fulfilled = pledge.visits.filter(state=Visit.State.FULFILLED).count()
    reached = fulfilled >= pledge.target_visits
    comment = _("%(done)s of %(target)s visits made.") % {
        "done": fulfilled,
        "target": pledge.target_visits,
    }
    state = Pledge.State.FULFILLED if reached else Pledge.State.LAPSED
    _move(pledge, state, by=by, comment=comment)
    pledge.visits.filter(state=Visit.State.DUE).delete()
    return pledge


def visits_generate(*, pledge: Pledge, today: dt.date | None = None) -> int:
    """Create the visits of an active pledge up to 90 days ahead. Running it again adds none.

    Visits start on the later of the start date and the approval day: nobody is held to
    dates before the community said yes.
    """
    if pledge.state != Pledge.State.ACTIVE:
        return 0
    today = today or timezone.localdate()
    since = pledge.starts_on
    if pledge.approved_at:
        since = max(since, timezone.localtime(pledge.approved_at).date())
    moments = pledge.occurrences(since=since, until=today + dt.timedelta(days=VISITS_AHEAD_DAYS))
    existing = set(pledge.visits.values_list("scheduled_at", flat=True))
    zone = timezone.get_default_timezone()
    new = []
    for moment in moments:
        at = timezone.make_aware(moment, zone)
        if at not in existing:
            new.append(
                Visit(
                    street_id=pledge.street_id,
                    pledge=pledge,
                    member_id=pledge.member_id,
                    scheduled_at=at,
                    due_on=moment.date(),
                )
            )
    # ignore_conflicts: two runs at once still leave one visit per moment.
    Visit.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def visit_mark_fulfilled(*, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """践诺: a service record fulfils a visit (a missed one too, when recorded late)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.state == Visit.State.FULFILLED:
        return visit
    visit.state = Visit.State.FULFILLED
    visit.fulfilled_at = at or timezone.now()
    visit.save(update_fields=["state", "fulfilled_at"])
    return visit


def _visit_to_fulfil(*, visit: Visit, member: Member) -> Visit:
    """Lock a due visit of the member's for fulfilling by a record, or refuse it."""
    visit = Visit.objects.select_for_update().select_related("pledge").get(pk=visit.pk)
    if visit.member_id != member.pk:
        raise PledgeError(_("You can only log your own pledge visits."))
    if visit.state == Visit.State.FULFILLED:
        raise PledgeError(_("This visit has already been fulfilled."))
    return visit


@transaction.atomic
def visit_log_service(
    *,
    visit: Visit,
    member: Member,
    day: dt.date,
    start: dt.time,
    hours,
    note: str = "",
    category=None,
    beneficiary: Resident | None = None,
    photos=None,
) -> ServiceRecord:
    """践诺 from the phone: the member logs the service of their pledge visit.

    One transaction writes the (self-reported) service record, linked to the visit, and marks
    the visit fulfilled at the record's end. The pledge's kind of service and beneficiary
    stand in for what the member leaves empty.
    """
    visit = _visit_to_fulfil(visit=visit, member=member)
    record = service_record_log_by_member(
        member=member,
        day=day,
        start=start,
        hours=hours,
        note=note,
        category=category or visit.pledge.category,
        beneficiary=beneficiary or visit.pledge.beneficiary_resident,
        photos=photos,
        visit=visit,
    )
    visit_mark_fulfilled(visit=visit, at=record.ended_at)
    return record


@transaction.atomic
def visit_check_out(
    *,
    checkin: CheckIn,
    member: Member,
    screen_code: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRecord | None:
    """签退 at a place's code; at a beneficiary's code it fulfils the member's due visit there.

    The check-in is closed through service's checkin_close; when the member has a due pledge
    visit to the resident they checked in with, the record is that visit's (its hours the
    real time of the visit) and the visit is fulfilled, in the same transaction. Under a
    quarter hour writes no record and leaves the visit due.
    """
    visit = selectors.visit_at_checkin(member, checkin)
    if visit is not None:  # still due once locked (a visit fulfilled meanwhile is left alone)
        visit = Visit.objects.select_for_update().filter(pk=visit.pk, state=Visit.State.DUE).first()
    record = checkin_close(
        checkin=checkin, member=member, screen_code=screen_code, ip=ip, now=now, visit=visit
    )
    if visit is not None and record is not None:
        visit_mark_fulfilled(visit=visit, at=record.ended_at)
    return record


# Pledges that still hold a claimed need (see the pledge_one_open_per_need constraint).
HOLDING_STATES = ["draft", "submitted", "returned", "approved", "active"]


@transaction.atomic
def pledge_claim_need(*, member: Member, order, today: dt.date | None = None) -> Pledge:
    """认领: a member takes a recurring need from the needs list as a pledge.

    The order row is locked (select_for_update) and taken through the order loop's own claim,
    so when two members claim one need at once exactly one wins and the other is told so.
    The pledge is submitted for approval at once, linked to the need; the resident's own
    words stay in its details, never on the public wall.
    """
    today = today or timezone.localdate()
    order = Order.objects.select_for_update().select_related("category").get(pk=order.pk)
    if not order.recurrence:
        raise PledgeError(
            _("Only a recurring need can become a pledge; take a one-off order from the list.")
        )
    if order.community_id != member.community_id:
        raise PledgeError(_("This need belongs to another community."))
    if Pledge.objects.filter(need=order, state__in=HOLDING_STATES).exists():
        raise PledgeError(_("Another member has already claimed this need."))
    try:
        rule = recurrence.check_rule(recurrence.without_bounds(order.recurrence))
    except ValidationError as error:
        raise PledgeError(
            _("This need's frequency cannot be used (%(error)s). Ask the community to fix it.")
            % {"error": error.messages[0]}
        ) from None
    try:
        order_claim(order=order, member=member)
    except OrderError as refusal:
        raise PledgeError(str(refusal)) from None
    at = dt.time(9, 0)
    if order.window_start:
        at = timezone.localtime(order.window_start).time().replace(second=0, microsecond=0)
    ends_on = today + dt.timedelta(days=364)
    moments = recurrence.occurrences(rule, starts_on=today, ends_on=ends_on, at=at)
    whom = (
        {"beneficiary_kind": Pledge.Beneficiary.RESIDENT, "beneficiary_resident": order.resident}
        if order.resident_id and order.resident.community_id == member.community_id
        else {"beneficiary_kind": Pledge.Beneficiary.GROUP, "beneficiary_name": _("a resident")}
    )
    title = _("%(frequency)s: %(category)s for a resident") % {
        "frequency": recurrence.describe_rule(rule, today),
        "category": order.category.name,
    }
    return pledge_create(
        member=member,
        by=member.user,
        submit=True,
        need=order,
        category=order.category,
        title=title[:120],
        details=order.description,
        rrule=rule,
        visit_time=at,
        starts_on=today,
        ends_on=ends_on,
        target_visits=max(1, len(moments)),
        **whom,
    )
