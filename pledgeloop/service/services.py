"""Writes to service records (践诺): logging, photos, check-in/out, confirmation by review.

Every function here is keyword-only and atomic (STYLE.md). Hours are *self* (logged by the
member), *recorded* (entered by staff) or *verified* (check-in/out with a second factor, or
confirmed by the beneficiary's review; `evidence` says which); reports keep them apart
(selectors.hours_by_verification).

Hours mean what they say (DESIGN.md C5): `service_record_create`, which every record goes
through, refuses hours that do not fit between the record's start and end, an end still to
come, a start before the order was filed or taken, a span that overlaps another record (or an
open check-in) of one of its members, and a day of more than 24 hours for a member.
"""

import datetime as dt
import secrets
from decimal import Decimal

import pyotp
from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.lib.moments import format_moment
from pledgeloop.lib.numbers import format_hours
from pledgeloop.notify.services import notify
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Member, Resident

from .models import CheckIn, ServiceParticipant, ServicePhoto, ServiceRecord, SiteScreen
from .review_links import review_link_for

QUARTER_HOUR = Decimal("0.25")
DAY_HOURS = Decimal("24")
# A moment "now" read by the caller and the one read here may differ by a little.
CLOCK_SLACK = dt.timedelta(seconds=5)
Evidence = ServiceRecord.Evidence


class ServiceError(Exception):
    """A refused action, with a message for the person who tried it."""


def checkin_max_hours() -> Decimal:
    """Longest stretch a check-in counts for; a forgotten check-out is capped here."""
    return Decimal(settings.CHECKIN_MAX_HOURS)


def hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    """The whole quarter hours between two moments (rounded down), capped; under 15 min: 0."""
    seconds = max((end - start).total_seconds(), 0)
    return min(int(seconds // 900) * QUARTER_HOUR, checkin_max_hours())


def _hours_text(hours: Decimal) -> str:
    return format_hours(hours)


def _check_span(
    *, started_at: dt.datetime, ended_at: dt.datetime, hours: Decimal, order, now: dt.datetime
) -> None:
    """The record's own times: ended, long enough for its hours, within its order."""
    if ended_at > now + CLOCK_SLACK:
        raise ServiceError(
            _("Service that has not ended yet cannot be logged: it would end at %(end)s.")
            % {"end": format_moment(ended_at)}
        )
    if Decimal(hours) * 3600 > Decimal((ended_at - started_at).total_seconds()):
        raise ServiceError(
            _("%(hours)s h do not fit between the start and the end of the service.")
            % {"hours": _hours_text(Decimal(hours))}
        )
    if order is None:
        return
    if started_at < order.created_at:
        raise ServiceError(
            _("The service cannot start before the order was filed (%(filed)s).")
            % {"filed": format_moment(order.created_at)}
        )
    if order.accepted_at and started_at < order.accepted_at:
        raise ServiceError(
            _("The service cannot start before the order was taken (%(taken)s).")
            % {"taken": format_moment(order.accepted_at)}
        )


def _check_members_free(
    *,
    members: list[Member],
    started_at: dt.datetime,
    ended_at: dt.datetime,
    hours: Decimal,
    closing: CheckIn | None = None,
) -> None:
    """No member's hours overlap in time, and no member's day holds more than 24 hours.

    Locks the members' rows first (lock order: order, then members by id), so two records for
    one member are checked one after the other, on PostgreSQL as on SQLite.
    """
    ids = sorted({m.pk for m in members})
    list(Member.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    names = {m.pk: m.name for m in members}
    clash = (
        ServiceParticipant.objects.filter(
            member_id__in=ids,
            record__started_at__lt=ended_at,
            record__ended_at__gt=started_at,
        )
        .select_related("record")
        .order_by("record__started_at", "record_id")
        .first()
    )
    if clash is not None:
        raise ServiceError(
            _(
                "%(name)s already has service from %(start)s to %(end)s: one person's hours "
                "cannot overlap. Change the start time or the hours."
            )
            % {
                "name": names[clash.member_id],
                "start": format_moment(clash.record.started_at),
                "end": format_moment(clash.record.ended_at),
            }
        )
    open_checkins = CheckIn.objects.filter(
        member_id__in=ids, checked_out_at__isnull=True, checked_in_at__lt=ended_at
    ).select_related("site", "resident")
    if closing is not None:
        open_checkins = open_checkins.exclude(pk=closing.pk)
    busy = open_checkins.order_by("checked_in_at").first()
    if busy is not None:
        raise ServiceError(
            _(
                "%(name)s has been checked in at %(place)s since %(at)s: check out there first, "
                "then log other service."
            )
            % {
                "name": names[busy.member_id],
                "place": busy.place,
                "at": format_moment(busy.checked_in_at),
            }
        )
    day = timezone.localtime(started_at).date()
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    logged = (
        ServiceParticipant.objects.filter(
            member_id__in=ids, record__started_at__gte=since, record__started_at__lt=until
        )
        .values("member_id")
        .annotate(total=Sum("record__hours"))
        .order_by()
    )
    for row in logged:
        if row["total"] + Decimal(hours) > DAY_HOURS:
            raise ServiceError(
                _(
                    "%(name)s already has %(logged)s h of service on %(day)s: "
                    "a day has only 24 hours."
                )
                % {
                    "name": names[row["member_id"]],
                    "logged": _hours_text(row["total"]),
                    "day": date_format(day, "DATE_FORMAT"),
                }
            )


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
    evidence: str = Evidence.NONE,
    photos: list[File] | None = None,
    visit=None,
    closing: CheckIn | None = None,
) -> ServiceRecord:
    """The one place a service record is written, whatever it comes from.

    Refuses (ServiceError, a message for the person) hours that do not mean what they say:
    see the module's docstring. Verified hours must name their evidence. `visit` is stored as
    given (the visit this record fulfils): the app that owns visits checks it and changes the
    visit itself, in the caller's transaction. `closing` is the check-in whose check-out
    writes this record (its own open span is no clash).
    """
    if not members:
        raise ServiceError(_("Choose at least one member who served."))
    first = members[0]
    if any(m.street_id != first.street_id for m in members):
        raise ServiceError(_("All members of one record must belong to the same street."))
    if (verification == ServiceRecord.Verification.VERIFIED) != bool(evidence):
        raise ServiceError(_("Verified hours must name what verified them."))
    _check_span(
        started_at=started_at, ended_at=ended_at, hours=hours, order=order, now=timezone.now()
    )
    _check_members_free(
        members=members, started_at=started_at, ended_at=ended_at, hours=hours, closing=closing
    )
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
        evidence=evidence,
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
    if order is None and record.beneficiary is not None:
        # (An order's resident hears of its service in the order's "done" text.)
        _text_review_link(record, record.beneficiary)
    return record


@transaction.atomic
def service_record_in_counted_time(
    *,
    street_id: int,
    community_id: int,
    category,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    by,
    note: str = "",
) -> ServiceRecord:
    """A service given within time that another record already counts: a number served at a
    booth during the worker's shift, whose hours their attendance record holds. The record
    has no participants, so it counts as a service (and can be reviewed through its link)
    but adds no hours and no participant: one person's time is counted once. Its `hours`
    field holds the least a record may (a quarter hour; the span is widened back to fit), so
    that sums of record hours that ignore participants stay near the truth.
    """
    if ended_at > timezone.now() + CLOCK_SLACK:
        raise ServiceError(_("Service that has not ended yet cannot be logged."))
    hours = QUARTER_HOUR
    started_at = min(started_at, ended_at - dt.timedelta(minutes=15))
    record = ServiceRecord(
        street_id=street_id,
        community_id=community_id,
        category=category,
        started_at=started_at,
        ended_at=ended_at,
        hours=hours,
        note=note[:500],
        verification=ServiceRecord.Verification.RECORDED,
        created_by=by,
    )
    record.full_clean(exclude=["members"])
    record.save()
    return record


def _text_review_link(record: ServiceRecord, resident: Resident) -> None:
    """Text the beneficiary the service's date and hours and the link to confirm and rate it
    (a record they did not ask for by an order: a pledge visit, a check-in, a logged visit)."""
    with translation.override(settings.LANGUAGE_CODE):
        day = date_format(timezone.localtime(record.started_at), "MONTH_DAY_FORMAT")
        hours = format_hours(record.hours)
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
    """A member logs their own service from a phone: hours are *self-reported*.

    `visit` is stored on the record as given (see service_record_create).
    """
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
def service_records_recategorise(*, order_id: int, before, after) -> int:
    """The records written for an order under the category it was corrected from follow the
    correction (called by orders' `order_recategorise`). Saved one by one, so that the stats
    mark their days to recompute. Returns how many changed."""
    records = list(
        ServiceRecord.objects.select_for_update().filter(order_id=order_id, category=before)
    )
    for record in records:
        record.category = after
        record.save(update_fields=["category"])
    return len(records)


@transaction.atomic
def service_record_confirm_by_review(*, record: ServiceRecord) -> ServiceRecord:
    """The beneficiary's review confirms the service: its hours become *verified*.

    Called by the reviews app when a resident reviews the service and says the hours are
    right. Idempotent; hours already verified keep the evidence they had.
    """
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.verification != ServiceRecord.Verification.VERIFIED:
        record.verification = ServiceRecord.Verification.VERIFIED
        record.evidence = Evidence.REVIEW
        record.save(update_fields=["verification", "evidence"])
    return record


@transaction.atomic
def service_record_flag_by_review(*, record: ServiceRecord, reason: str = "") -> ServiceRecord:
    """The beneficiary says the hours are wrong: the record is flagged for the community admin.

    Flagged hours are not verified: hours verified by a check-in go back to self-reported (a
    staff entry stays recorded by staff) until an admin checks them (`service_record_settle`).
    """
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.verification == ServiceRecord.Verification.VERIFIED:
        record.verification = ServiceRecord.Verification.SELF
    record.evidence = Evidence.NONE
    record.flagged_at = timezone.now()
    record.flag_reason = reason.strip()[:500]
    record.save(update_fields=["verification", "evidence", "flagged_at", "flag_reason"])
    return record


@transaction.atomic
def service_record_settle(*, record: ServiceRecord, by, hours: Decimal) -> ServiceRecord:
    """A community admin checked disputed hours (with the member and the beneficiary).

    The hours become what the admin found (never more than the record's span) and verified,
    with staff as the evidence; the dispute's reason stays on the record.
    """
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if not record.is_flagged:
        raise ServiceError(_("Only hours the beneficiary disputed are checked here."))
    hours = Decimal(hours)
    if hours % QUARTER_HOUR or not QUARTER_HOUR <= hours <= DAY_HOURS:
        raise ServiceError(_("Hours must be between 0.25 and 24, in quarter hours."))
    span = Decimal((record.ended_at - record.started_at).total_seconds()) / 3600
    if hours > span:
        raise ServiceError(
            _("The service lasted from %(start)s to %(end)s: at most %(most)s h.")
            % {
                "start": format_moment(record.started_at),
                "end": format_moment(record.ended_at),
                "most": _hours_text(int(span / QUARTER_HOUR) * QUARTER_HOUR),
            }
        )
    record.hours = hours
    record.verification = ServiceRecord.Verification.VERIFIED
    record.evidence = Evidence.STAFF
    record.flagged_at = None
    record.settled_by, record.settled_at = by, timezone.now()
    record.save(
        update_fields=[
            "hours",
            "verification",
            "evidence",
            "flagged_at",
            "settled_by",
            "settled_at",
        ]
    )
    return record


# --- the code on a site's screen ---------------------------------------------------------


def screen_minutes() -> int:
    """How long one code on a site's screen stays the same."""
    return settings.CHECKIN_SCREEN_MINUTES


def _totp(screen: SiteScreen) -> pyotp.TOTP:
    return pyotp.TOTP(screen.secret, interval=screen_minutes() * 60)


def site_screen_code(*, screen: SiteScreen, at: dt.datetime | None = None) -> str:
    """The code the site's screen shows at a moment (six digits)."""
    return _totp(screen).at(at or timezone.now())


def site_screen_seconds_left(*, at: dt.datetime | None = None) -> int:
    """Seconds until the code on every screen changes."""
    period = screen_minutes() * 60
    return period - int((at or timezone.now()).timestamp()) % period


def site_screen_code_valid(*, site: Site, code: str, at: dt.datetime | None = None) -> bool:
    """True for the code the site's screen shows now or showed one period ago."""
    screen = SiteScreen.objects.filter(site=site).first()
    code = (code or "").strip()
    if screen is None or not (code.isascii() and code.isdigit()):
        return False
    return _totp(screen).verify(code, for_time=at or timezone.now(), valid_window=1)


@transaction.atomic
def site_screen_issue(*, site: Site, by) -> SiteScreen:
    """Set up (or reset) a site's screen: a new secret and a new link; old ones stop working."""
    screen = SiteScreen.objects.select_for_update().filter(site=site).first() or SiteScreen(
        site=site, street_id=site.street_id
    )
    screen.secret = pyotp.random_base32()
    screen.key = secrets.token_urlsafe(24)
    screen.created_by, screen.created_at = by, timezone.now()
    screen.save()
    return screen


# --- check-in and check-out by QR code ---------------------------------------------------


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


def _is_site(place) -> bool:
    return isinstance(place, Site)


def _require_own_community(member: Member, place) -> None:
    """Printed codes are bound to their community: a member checks in only at their own."""
    if place.community_id != member.community_id:
        raise ServiceError(
            _("This code belongs to %(community)s, not to your community: scan a code of yours.")
            % {"community": place.community.name}
        )


def checkin_proof(*, place, screen_code: str = "", at: dt.datetime | None = None) -> str:
    """What a scan proves: the beneficiary's code, the site's screen code, or a printed code.

    A screen code that is given must be right: a wrong or expired one is refused rather than
    silently counted as a printed code.
    """
    if not _is_site(place):
        return CheckIn.Proof.BENEFICIARY
    if not screen_code:
        return CheckIn.Proof.PRINTED
    if not site_screen_code_valid(site=place, code=screen_code, at=at):
        raise ServiceError(
            _("That code from the site's screen is wrong or has expired: scan the screen again.")
        )
    return CheckIn.Proof.SCREEN


@transaction.atomic
def checkin_open(
    *,
    member: Member,
    place,
    screen_code: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """签到: the member scanned a site's or a resident's code of their own community."""
    now = now or timezone.now()
    _require_own_community(member, place)
    proof = checkin_proof(place=place, screen_code=screen_code, at=now)
    Member.objects.select_for_update().filter(pk=member.pk).first()  # one scan at a time
    _abandon_stale(member, now)
    current = open_checkin_for(member)
    if current is not None:
        raise ServiceError(
            _("You are still checked in at %(place)s. Scan that code again to check out first.")
            % {"place": current.place}
        )
    is_site = _is_site(place)
    return CheckIn.objects.create(
        street_id=member.street_id,
        member=member,
        site=place if is_site else None,
        resident=None if is_site else place,
        checked_in_at=now,
        in_proof=proof,
        ip=ip,
    )


def _checkin_evidence(checkin: CheckIn) -> str:
    """Verified only when both scans carried a second factor; printed codes never suffice."""
    proofs = {checkin.in_proof, checkin.out_proof}
    if proofs == {CheckIn.Proof.BENEFICIARY}:
        return Evidence.BENEFICIARY_CODE
    if proofs == {CheckIn.Proof.SCREEN}:
        return Evidence.SITE_SCREEN
    return Evidence.NONE


@transaction.atomic
def checkin_close(
    *,
    checkin: CheckIn,
    member: Member,
    screen_code: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
    visit=None,
) -> ServiceRecord | None:
    """签退: closes the check-in and writes a record of the whole quarter hours in between.

    Under a quarter hour counts nothing: the check-in is closed and no record is written (a
    0 h record would still count the member as serving). The hours are verified only with a
    second factor at both scans (see CheckIn); otherwise they are self-reported. `visit` is
    stored on the record as given (see service_record_create): the record's hours are then
    the real time of that visit.
    """
    now = now or timezone.now()
    checkin = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("site", "resident")
        .get(pk=checkin.pk)
    )
    if checkin.member_id != member.pk:
        raise ServiceError(_("This is not your check-in."))
    if checkin.checked_out_at is not None:
        raise ServiceError(_("You have already checked out."))
    place = checkin.place
    checkin.out_proof = checkin_proof(place=place, screen_code=screen_code, at=now)
    checkin.checked_out_at, checkin.out_ip = max(now, checkin.checked_in_at), ip
    hours = hours_between(checkin.checked_in_at, now)
    record = None
    if hours > 0:
        evidence = _checkin_evidence(checkin)
        record = service_record_create(
            members=[member],
            started_at=checkin.checked_in_at,
            ended_at=checkin.checked_out_at,
            hours=hours,
            by=member.user,
            note=_("Checked in and out at %(place)s") % {"place": place},
            beneficiary=checkin.resident,
            verification=(
                ServiceRecord.Verification.VERIFIED if evidence else ServiceRecord.Verification.SELF
            ),
            evidence=evidence,
            closing=checkin,
            visit=visit,
        )
    checkin.record = record
    checkin.save(update_fields=["checked_out_at", "out_proof", "out_ip", "record"])
    return record
