"""Writes to service records (践诺): logging, photos, check-in/out, confirmation by review.

Every function here is keyword-only and atomic (STYLE.md). Hours are *self* (logged by the
member), *recorded* (entered by staff) or *verified* (check-in/out by QR code, or confirmed by
the beneficiary's review); reports keep them apart (selectors.hours_by_verification).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.notify.services import notify
from pledgeloop.people.models import Member, Resident

from .models import CheckIn, ServiceParticipant, ServicePhoto, ServiceRecord
from .review_links import review_link_for

QUARTER_HOUR = Decimal("0.25")


class ServiceError(Exception):
    """A refused action, with a message for the person who tried it."""


def checkin_max_hours() -> Decimal:
    """Longest stretch a check-in counts for; a forgotten check-out is capped here."""
    return Decimal(str(getattr(settings, "PLEDGELOOP", {}).get("CHECKIN_MAX_HOURS", 8)))


def hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    """end − start in hours, rounded to the nearest quarter hour, at least 0.25, capped."""
    seconds = max((end - start).total_seconds(), 0)
    quarters = (Decimal(seconds) / Decimal(900)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    hours = max(quarters * QUARTER_HOUR, QUARTER_HOUR)
    return min(hours, checkin_max_hours())


def _visit_fulfil(visit, *, at: dt.datetime) -> None:
    """Mark a pledge visit fulfilled (inside the caller's transaction)."""
    Visit = type(visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.state == Visit.State.FULFILLED:
        raise ServiceError(_("This visit has already been fulfilled."))
    visit.state, visit.fulfilled_at = Visit.State.FULFILLED, at
    visit.save(update_fields=["state", "fulfilled_at"])


@transaction.atomic
def service_record_create(
    *,
    members: list[Member],
    started_at: dt.datetime,
    ended_at: dt.datetime,
    hours: Decimal,
    by,
    note: str = "",
    order=None,
    beneficiary: Resident | None = None,
    category=None,
    verification: str = ServiceRecord.Verification.SELF,
    photos: list[File] | None = None,
    visit=None,
) -> ServiceRecord:
    """The one place a service record is written, whatever it comes from.

    A record for a pledge visit marks the visit fulfilled in the same transaction.
    """
    if not members:
        raise ServiceError(_("Choose at least one member who served."))
    first = members[0]
    if any(m.street_id != first.street_id for m in members):
        raise ServiceError(_("All members of one record must belong to the same street."))
    if visit is not None:
        category = category or visit.pledge.category
        beneficiary = beneficiary or visit.pledge.beneficiary_resident
    record = ServiceRecord(
        street_id=first.street_id,
        community_id=order.community_id if order else first.community_id,
        category=category or (order.category if order else None),
        order=order,
        beneficiary=beneficiary or (order.resident if order else None),
        started_at=started_at,
        ended_at=ended_at,
        hours=hours,
        note=note,
        verification=verification,
        created_by=by,
        visit=visit,
    )
    record.full_clean(exclude=["members"])
    record.save()
    ServiceParticipant.objects.bulk_create(
        ServiceParticipant(street_id=record.street_id, record=record, member=m) for m in members
    )
    for photo in photos or []:
        ServicePhoto.objects.create(street_id=record.street_id, record=record, image=photo)
    if visit is not None:
        _visit_fulfil(visit, at=ended_at)
    if order is None and record.beneficiary is not None:
        # (An order's resident hears of its service in the order's "done" text.)
        _text_review_link(record, record.beneficiary)
    return record


def _text_review_link(record: ServiceRecord, resident: Resident) -> None:
    """Text the beneficiary the service's date and hours and the link to confirm and rate it
    (a record they did not ask for by an order: a pledge visit, a check-in, a logged visit)."""
    with translation.override(settings.LANGUAGE_CODE):
        day = date_format(timezone.localtime(record.started_at), "MONTH_DAY_FORMAT")
        hours = f"{record.hours.normalize():f}"
        notify(
            user_id=resident.user_id,
            phone=resident.phone,
            kind="service_review",
            title=_(
                "A volunteer served you on %(day)s for %(hours)s h. Please confirm and rate it:"
            )
            % {"day": day, "hours": hours},
            url=review_link_for(record),
            street_id=record.street_id,
            community_id=record.community_id,
            params={"date": day, "hours": hours},
        )


def _span(day: dt.date, start: dt.time, hours: Decimal) -> tuple[dt.datetime, dt.datetime]:
    started = timezone.make_aware(dt.datetime.combine(day, start))
    return started, started + dt.timedelta(minutes=int(hours * 60))


@transaction.atomic
def service_record_log_by_member(
    *,
    member: Member,
    day: dt.date,
    start: dt.time,
    hours: Decimal,
    note: str = "",
    category=None,
    beneficiary: Resident | None = None,
    photos: list[File] | None = None,
    visit=None,
) -> ServiceRecord:
    """A member logs their own service from a phone: hours are *self-reported*."""
    if visit is not None and visit.member_id != member.pk:
        raise ServiceError(_("You can only log your own pledge visits."))
    if beneficiary is not None and beneficiary.community_id != member.community_id:
        raise ServiceError(_("Choose a resident of your own community."))
    started, ended = _span(day, start, hours)
    if started > timezone.now():
        raise ServiceError(_("Service in the future cannot be logged yet."))
    return service_record_create(
        members=[member],
        started_at=started,
        ended_at=ended,
        hours=hours,
        by=member.user,
        note=note,
        category=category,
        beneficiary=beneficiary,
        photos=photos,
        visit=visit,
        verification=ServiceRecord.Verification.SELF,
    )


@transaction.atomic
def service_record_log_by_staff(
    *,
    by,
    members: list[Member],
    day: dt.date,
    start: dt.time,
    hours: Decimal,
    note: str = "",
    category=None,
    beneficiary: Resident | None = None,
    photos: list[File] | None = None,
) -> ServiceRecord:
    """Staff log service for members without phones: hours are *recorded*.

    The caller (the view, through access.py) has checked that `by` administers every member's
    community.
    """
    started, ended = _span(day, start, hours)
    if started > timezone.now():
        raise ServiceError(_("Service in the future cannot be logged yet."))
    return service_record_create(
        members=members,
        started_at=started,
        ended_at=ended,
        hours=hours,
        by=by,
        note=note,
        category=category,
        beneficiary=beneficiary,
        photos=photos,
        verification=ServiceRecord.Verification.RECORDED,
    )


@transaction.atomic
def service_record_confirm_by_review(*, record: ServiceRecord) -> ServiceRecord:
    """The beneficiary's review confirms the service: its hours become *verified*.

    Called by the reviews app when a resident reviews the service. Idempotent.
    """
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.verification != ServiceRecord.Verification.VERIFIED:
        record.verification = ServiceRecord.Verification.VERIFIED
        record.save(update_fields=["verification"])
    return record


# --- check-in and check-out by QR code ---------------------------------------------------


def _place_street_id(place) -> int:
    return place.street_id


def _abandon_stale(member: Member, now: dt.datetime) -> None:
    """A check-in older than the cap was never closed: close it without hours."""
    stale = now - dt.timedelta(hours=float(checkin_max_hours()) * 1.5)
    CheckIn.objects.filter(
        member=member, checked_out_at__isnull=True, checked_in_at__lt=stale
    ).update(checked_out_at=F("checked_in_at"))


def open_checkin_for(member: Member) -> CheckIn | None:
    return (
        CheckIn.objects.filter(member=member, checked_out_at__isnull=True)
        .select_related("site", "resident")
        .first()
    )


@transaction.atomic
def checkin_open(
    *, member: Member, place, ip: str | None = None, now: dt.datetime | None = None
) -> CheckIn:
    """签到: the member scanned a site's or a resident's code."""
    now = now or timezone.now()
    if _place_street_id(place) != member.street_id:
        raise ServiceError(_("This code belongs to another street."))
    Member.objects.select_for_update().filter(pk=member.pk).first()  # one scan at a time
    _abandon_stale(member, now)
    current = open_checkin_for(member)
    if current is not None:
        raise ServiceError(
            _("You are still checked in at %(place)s. Scan that code again to check out first.")
            % {"place": current.place}
        )
    is_site = place._meta.model_name == "site"
    return CheckIn.objects.create(
        street_id=member.street_id,
        member=member,
        site=place if is_site else None,
        resident=None if is_site else place,
        checked_in_at=now,
        ip=ip,
    )


@transaction.atomic
def checkin_close(
    *, checkin: CheckIn, member: Member, ip: str | None = None, now: dt.datetime | None = None
) -> ServiceRecord:
    """签退: closes the check-in and writes a *verified* record of out − in hours."""
    now = now or timezone.now()
    checkin = CheckIn.objects.select_for_update().get(pk=checkin.pk)
    if checkin.member_id != member.pk:
        raise ServiceError(_("This is not your check-in."))
    if checkin.checked_out_at is not None:
        raise ServiceError(_("You have already checked out."))
    hours = hours_between(checkin.checked_in_at, now)
    place = checkin.site or checkin.resident
    record = service_record_create(
        members=[member],
        started_at=checkin.checked_in_at,
        ended_at=max(now, checkin.checked_in_at),
        hours=hours,
        by=member.user,
        note=_("Checked in and out at %(place)s") % {"place": place},
        beneficiary=checkin.resident,
        verification=ServiceRecord.Verification.VERIFIED,
    )
    checkin.checked_out_at, checkin.out_ip, checkin.record = now, ip, record
    checkin.save(update_fields=["checked_out_at", "out_ip", "record"])
    return record
