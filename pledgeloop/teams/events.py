"""Writes for events (活动, DESIGN.md C7): sessions, shifts and sign-ups, residents'
registration, attendance by the session's code, booth services, on-order sessions.

STYLE.md: `<entity>_<action>`, keyword-only, atomic. The hours rules are the service app's
(service.services): attendance is a check-in and a check-out like a visit's (the whole
quarter hours between the scans, verified only when both scans carried a changing code),
capped to the member's shift; the record goes through service_record_create, so one
member's hours never overlap. When a record of the member already covers the time (the
order they served there), the attendance points at it and writes none: counted once.
"""

import datetime as dt
import secrets
from decimal import Decimal

import pyotp
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone
from pledgeloop.lib.pinyin import pinyin_keys
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Dispatch, Order, OrderError
from pledgeloop.orgs.models import Category, Community, Street
from pledgeloop.people.consents import consent_give
from pledgeloop.people.models import Consent, Member, User
from pledgeloop.service import services as service_services
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

from .models import (
    Attendance,
    Booth,
    Event,
    EventSession,
    Position,
    QueueTicket,
    Registration,
    Shift,
    SignUp,
    Team,
    Volunteer,
)
from .services import TeamError, cancelled_check, cancelled_check_now, queue_open_check

# A serving member may check in this long before their session starts.
EARLY_CHECKIN = dt.timedelta(minutes=30)


# --- events, sessions, booths, shifts (console) ---------------------------------------------


def _event_slug(street: Street, title: str, slug: str) -> str:
    slug = slugify(slug or pinyin_keys(title)[0] or title)[:56] or "event"
    base, n = slug, 2
    while Event.objects.filter(street=street, slug=slug).exists():
        slug = f"{base[:52]}-{n}"
        n += 1
    return slug


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise TeamError(_("The end must come after the start."))


@transaction.atomic
def event_create(
    *,
    street: Street,
    community: Community | None,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    slug: str = "",
    team: Team | None = None,
    partner: str = "",
    place: Position | None = None,
    capacity: int | None = None,
    audience: str = "",
    description: str = "",
    registration: bool = False,
    order: Order | None = None,
) -> Event:
    """An event with its first session (its whole span); more sessions can be added."""
    title = title.strip()
    if not title:
        raise TeamError(_("Give the event a title."))
    _check_times(starts_at, ends_at)
    for thing in (community, team, place):
        if thing is not None and thing.street_id != street.pk:
            raise TeamError(_("Everything of an event must belong to its street."))
    event = Event.objects.create(
        street=street,
        community=community,
        kind=kind,
        title=title,
        slug=_event_slug(street, title, slug),
        team=team,
        partner=partner.strip(),
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        audience=audience.strip(),
        description=description.strip(),
        registration=registration,
        order=order,
    )
    session_add(event=event, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
    return event


@transaction.atomic
def event_write_up(*, event: Event, write_up: str) -> Event:
    """The event's write-up (活动纪实) after it took place; its other details change through
    event_changes.event_change, which tells the people signed up."""
    cancelled_check(event)
    event.write_up = write_up.strip()
    event.save(update_fields=["write_up"])
    return event


def _event_span(event: Event) -> None:
    """The event spans its sessions."""
    sessions = list(event.sessions.values_list("starts_at", "ends_at"))
    if sessions:
        event.starts_at = min(s for s, _e in sessions)
        event.ends_at = max(e for _s, e in sessions)
        event.save(update_fields=["starts_at", "ends_at"])


@transaction.atomic
def session_add(
    *,
    event: Event,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    label: str = "",
    capacity: int | None = None,
) -> EventSession:
    cancelled_check(event)
    _check_times(starts_at, ends_at)
    session = EventSession.objects.create(
        street_id=event.street_id,
        event=event,
        label=label.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        secret=pyotp.random_base32(),
    )
    _event_span(event)
    return session


@transaction.atomic
def booth_add(*, event: Event, name: str, category: Category, team: Team | None = None) -> Booth:
    cancelled_check(event)
    name = name.strip()
    if not name:
        raise TeamError(_("Give the booth a name."))
    if category.street_id != event.street_id or (team and team.street_id != event.street_id):
        raise TeamError(_("Everything of an event must belong to its street."))
    return Booth.objects.create(
        street_id=event.street_id, event=event, name=name, category=category, team=team
    )


@transaction.atomic
def shift_add(
    *,
    session: EventSession,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    booth: Booth | None = None,
    role: str = "",
    places: int = 2,
) -> Shift:
    cancelled_check(session.event)
    role = role.strip()
    if booth is None and not role:
        raise TeamError(_("A shift is at a booth or in a role: choose a booth or name the role."))
    if booth is not None and booth.event_id != session.event_id:
        raise TeamError(_("This booth belongs to another event."))
    _check_times(starts_at, ends_at)
    if starts_at < session.starts_at or ends_at > session.ends_at:
        raise TeamError(_("A shift must fall within its session."))
    if places < 1:
        raise TeamError(_("A shift needs at least one person."))
    return Shift.objects.create(
        street_id=session.street_id,
        session=session,
        booth=booth,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        places=places,
    )


# --- sign-ups for shifts --------------------------------------------------------------------


def _locked_shift(shift: Shift) -> Shift:
    return (
        Shift.objects.select_for_update(of=("self",))
        .select_related("session__event")
        .get(pk=shift.pk)
    )


def _shift_open(shift: Shift, now: dt.datetime) -> None:
    """Under the shift's lock (_locked_shift), which event_changes.event_cancel takes too."""
    cancelled_check_now(shift.session.event_id)
    if shift.ends_at <= now:
        raise TeamError(_("This shift is over."))
    if shift.signups.count() >= shift.places:
        raise TeamError(_("This shift is full: choose another one."))


@transaction.atomic
def shift_signup(*, shift: Shift, member: Member) -> SignUp:
    """A member signs up for a shift from their phone; signing up twice changes nothing."""
    shift = _locked_shift(shift)
    if member.street_id != shift.street_id or not member.active:
        raise TeamError(_("Only active members of the street can serve at its events."))
    existing = SignUp.objects.filter(shift=shift, member=member).first()
    if existing is not None:
        return existing
    _shift_open(shift, timezone.now())
    return SignUp.objects.create(street_id=shift.street_id, shift=shift, member=member)


@transaction.atomic
def shift_signup_volunteer(*, shift: Shift, volunteer: Volunteer) -> SignUp:
    """An admin signs a volunteer (no account) up for a shift."""
    shift = _locked_shift(shift)
    if volunteer.street_id != shift.street_id:
        raise TeamError(_("This volunteer belongs to another street."))
    existing = SignUp.objects.filter(shift=shift, volunteer=volunteer).first()
    if existing is not None:
        return existing
    _shift_open(shift, timezone.now())
    return SignUp.objects.create(street_id=shift.street_id, shift=shift, volunteer=volunteer)


@transaction.atomic
def signup_cancel(*, signup: SignUp) -> None:
    if signup.shift.starts_at <= timezone.now():
        raise TeamError(_("The shift has begun: tell the organiser instead."))
    signup.delete()


# --- residents' registration ----------------------------------------------------------------


def registered_name(name: str) -> str:
    """A name as a registration keeps it."""
    return name.strip()[: Registration._meta.get_field("name").max_length]


def registration_submit(
    *, session: EventSession, name: str, phone: str, consent: bool
) -> tuple[Registration, bool]:
    """A resident registers for a session on their phone: name, number and their consent to
    the use of both for the event (a Consent row). The same number again (a double tap) gives
    the same registration, created False; a full session refuses. Nothing is stored unless
    every check passes."""
    name, phone = registered_name(name), normalise_phone(phone)
    if not session.event.registration:
        raise TeamError(_("This event does not take registrations."))
    if not name:
        raise TeamError(_("Please give your name."))
    if not is_mainland_mobile(phone):
        raise TeamError(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."))
    if not consent:
        raise TeamError(
            _(
                "Please tick the box to agree to the privacy notice; "
                "we cannot register you without it."
            )
        )
    cancelled_check(session.event)
    if session.ends_at <= timezone.now():
        raise TeamError(_("This session is over."))
    try:
        with transaction.atomic():
            locked = EventSession.objects.select_for_update().get(pk=session.pk)
            existing = Registration.objects.filter(session=locked, phone=phone).first()
            if existing is not None:
                return existing, False
            cancelled_check_now(locked.event_id)
            capacity = locked.capacity
            if capacity is not None and locked.registrations.count() >= capacity:
                raise TeamError(_("Sorry, this session is full."))
            registration = Registration.objects.create(
                street_id=locked.street_id, session=locked, name=name, phone=phone
            )
            consent_give(
                street_id=locked.street_id,
                purpose=Consent.Purpose.DATA_USE,
                source="event_registration",
                phone=phone,
            )
            return registration, True
    except IntegrityError:
        # The other tap of the same number committed first.
        return Registration.objects.get(session=session, phone=phone), False


@transaction.atomic
def registration_withdraw(*, registration: Registration) -> None:
    """A resident who cannot come cancels their registration before the session begins: the
    row goes (name and number with it, and the texts of later changes), so its place is free
    for someone else. Their consent stays on record, as given, until they withdraw it at
    /my/. Once the session has begun they tell the organiser instead, as for a shift."""
    session = EventSession.objects.select_for_update().get(pk=registration.session_id)
    if session.starts_at <= timezone.now():
        raise TeamError(_("The session has begun: tell the organiser instead."))
    Registration.objects.filter(pk=registration.pk).delete()


# --- attendance by the session's code --------------------------------------------------------


def _totp(session: EventSession) -> pyotp.TOTP:
    return pyotp.TOTP(session.secret, interval=service_services.screen_minutes() * 60)


def session_code(*, session: EventSession, at: dt.datetime | None = None) -> str:
    """The six digits the organiser's screen shows now (the session's QR carries them)."""
    return _totp(session).at(at or timezone.now())


def session_code_valid(*, session: EventSession, code: str, at: dt.datetime | None = None) -> bool:
    code = (code or "").strip()
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    return _totp(session).verify(code, for_time=at or timezone.now(), valid_window=1)


def member_shift(session: EventSession, member: Member) -> Shift | None:
    return (
        Shift.objects.filter(session=session, signups__member=member).order_by("starts_at").first()
    )


def _covering_record(member: Member, start: dt.datetime, end: dt.datetime) -> ServiceRecord | None:
    """A record of the member that already counts (part of) this time."""
    part = (
        ServiceParticipant.objects.filter(
            member=member, record__started_at__lt=end, record__ended_at__gt=start
        )
        .select_related("record")
        .order_by("record__started_at")
        .first()
    )
    return part.record if part else None


def _category_of(shift: Shift | None, event: Event) -> Category | None:
    if shift is not None and shift.booth_id:
        return shift.booth.category
    if event.order_id:
        return event.order.category
    return None


def _is_order_session_for(event: Event, member: Member) -> bool:
    order = event.order
    return (
        order is not None
        and order.assigned_member_id == member.pk
        and order.state in (Order.State.ACCEPTED, Order.State.IN_SERVICE)
    )


@transaction.atomic
def attendance_scan(
    *, session: EventSession, member: Member, code: str, now: dt.datetime | None = None
) -> Attendance:
    """签到 / 签退 at a session by its changing code: the first scan checks the member in,
    the second checks them out and counts the time (see the module's docstring). Serving
    members sign up for a shift first."""
    now = now or timezone.now()
    session = (
        EventSession.objects.select_for_update(of=("self",))
        .select_related("event__order")
        .get(pk=session.pk)
    )
    cancelled_check_now(session.event_id)
    if not session_code_valid(session=session, code=code, at=now):
        raise TeamError(_("That code is wrong or has expired: scan the organiser's code again."))
    list(Member.objects.select_for_update().filter(pk=member.pk))  # one scan at a time
    shift = member_shift(session, member)
    if shift is None:
        raise TeamError(_("You have not signed up to serve at this session: sign up first."))
    attendance = Attendance.objects.filter(session=session, member=member).first()
    if attendance is None:
        if not session.starts_at - EARLY_CHECKIN <= now < session.ends_at:
            raise TeamError(
                _("Check-in opens 30 minutes before the session and closes at its end.")
            )
        return Attendance.objects.create(
            street_id=session.street_id,
            session=session,
            shift=shift,
            member=member,
            checked_in_at=now,
            proof=Attendance.Proof.CODE,
        )
    if attendance.checked_out_at is not None:
        raise TeamError(_("You have already checked out of this session."))
    attendance.checked_out_at = now
    _attendance_count(attendance, now=now, by=member.user)
    return attendance


def _attendance_count(attendance: Attendance, *, now: dt.datetime, by) -> None:
    """Close a member's attendance: its hours (the whole quarter hours of the stay within the
    shift) become their record, unless a record of theirs already covers the time."""
    session, member = attendance.session, attendance.member
    shift = attendance.shift
    start = max(attendance.checked_in_at, shift.starts_at if shift else session.starts_at)
    end = min(attendance.checked_out_at, shift.ends_at if shift else session.ends_at)
    hours = service_services.hours_between(start, end) if end > start else Decimal(0)
    attendance.hours = hours
    fields = ["checked_out_at", "hours", "record", "covered_by"]
    if hours > 0:
        end = start + dt.timedelta(seconds=float(hours * 3600))
        event = session.event
        covering = _covering_record(member, start, end)
        if covering is not None:
            attendance.covered_by = covering
        elif _is_order_session_for(event, member):
            # The place's order is served by this session: its one record, on the order.
            try:
                _order, record = order_services.order_finish(
                    order=event.order,
                    member=member,
                    hours=hours,
                    started_at=start,
                    note=_("Session “%(title)s”") % {"title": event.title},
                )
            except OrderError as error:
                raise TeamError(str(error)) from None
            attendance.record = record
        else:
            try:
                attendance.record = service_services.service_record_create(
                    members=[member],
                    started_at=start,
                    ended_at=end,
                    hours=hours,
                    by=by,
                    note=_("Served at “%(title)s”") % {"title": event.title},
                    category=_category_of(shift, event),
                    verification=ServiceRecord.Verification.VERIFIED,
                    evidence=ServiceRecord.Evidence.SITE_SCREEN,
                )
            except service_services.ServiceError as error:
                raise TeamError(str(error)) from None
    attendance.save(update_fields=fields)


@transaction.atomic
def attendance_mark_volunteer(
    *, session: EventSession, volunteer: Volunteer, now: dt.datetime | None = None
) -> Attendance:
    """The organiser marks a volunteer (no account, no phone scan) present for their shift,
    after it ended: the shift's whole quarter hours, kept on the attendance. They count as
    service hours of the event and its team, never as a party member's."""
    now = now or timezone.now()
    shift = (
        Shift.objects.filter(session=session, signups__volunteer=volunteer)
        .order_by("starts_at")
        .first()
    )
    if shift is None:
        raise TeamError(_("This volunteer did not sign up for a shift of this session."))
    cancelled_check(session.event)
    if shift.ends_at > now:
        raise TeamError(_("Mark a volunteer present once their shift is over."))
    attendance, _created = Attendance.objects.get_or_create(
        session=session,
        volunteer=volunteer,
        defaults={
            "street_id": session.street_id,
            "shift": shift,
            "checked_in_at": shift.starts_at,
            "checked_out_at": shift.ends_at,
            "proof": Attendance.Proof.STAFF,
            "hours": service_services.hours_between(shift.starts_at, shift.ends_at),
        },
    )
    return attendance


# --- booth services --------------------------------------------------------------------------


def booth_worker_ok(booth: Booth, member: Member) -> bool:
    """A member on a shift at the booth, or on the roster of the booth's team."""
    if Shift.objects.filter(booth=booth, signups__member=member).exists():
        return True
    return booth.team_id is not None and booth.team.roster.filter(member=member).exists()


@transaction.atomic
def queue_ticket_serve(
    *, ticket: QueueTicket, worker: Member, by: User | None = None
) -> QueueTicket:
    """The booth's worker serves a number: a service record (counted among services, rated
    through its review link, which the resident's ticket page then offers). Its hours are
    the worker's shift's (their attendance), so the record adds none of its own."""
    ticket = (
        QueueTicket.objects.select_for_update(of=("self",))
        .select_related("booth__event__place__site", "booth__category", "booth__team")
        .get(pk=ticket.pk)
    )
    if ticket.state != QueueTicket.State.WAITING:
        raise TeamError(_("This number has already been called."))
    booth = ticket.booth
    queue_open_check(booth.event)
    if not booth_worker_ok(booth, worker):
        raise TeamError(_("Only the people on shift at this booth can serve its numbers."))
    now = timezone.now()
    event = booth.event
    community_id = (
        event.community_id
        or (event.place.site.community_id if event.place_id else None)
        or worker.community_id
    )
    # The record's note in the site's language, whoever serves: the diary and the record's
    # pages read it (a member on English pages wrote "法律咨询 at …" into the Chinese diary).
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(booth)s at “%(event)s”, number %(n)s") % {
            "booth": booth.name,
            "event": event.title,
            "n": ticket.number,
        }
    record = service_services.service_record_in_counted_time(
        street_id=booth.street_id,
        community_id=community_id,
        category=booth.category,
        started_at=ticket.taken_at,
        ended_at=now,
        by=by or worker.user,
        note=note,
    )
    ticket.state, ticket.served_at = QueueTicket.State.SERVED, now
    ticket.served_by, ticket.record = worker, record
    ticket.save(update_fields=["state", "served_at", "served_by", "record"])
    return ticket


# --- on-order sessions (订单式服务) ---------------------------------------------------------


PLACE_SIGNER = signing.Signer(salt="pledgeloop.teams.place-order")


def place_order_key(position: Position) -> str:
    """The key in a place's own QR for ordering sessions: signed, so it cannot be guessed."""
    return PLACE_SIGNER.signature(str(position.pk))


def place_order_key_valid(position: Position, key: str) -> bool:
    return secrets.compare_digest(place_order_key(position), key or "")


@transaction.atomic
def session_order_submit(
    *,
    position: Position,
    category: Category,
    contact_name: str,
    phone: str,
    description: str,
    consent: bool,
    window_start: dt.datetime | None = None,
    channel: str = Order.Channel.QR,
    by: User | None = None,
) -> Order:
    """A place (a school, an enterprise, a compound) orders a session: an order of the order
    loop, filed at the place's site, to be triaged and dispatched to a team like any other."""
    site = position.site
    if not position.active:
        raise TeamError(_("This place does not take orders now."))
    try:
        return order_services.order_submit(
            community=site.community,
            category=category,
            description=description.strip() or _("A session at %(place)s") % {"place": site.name},
            phone=phone,
            consent=consent,
            channel=channel,
            site=site,
            contact_name=contact_name,
            window_start=window_start,
            by=by,
            source=order_services.Source.CONSOLE if by else order_services.Source.WEB,
        )
    except OrderError as error:
        raise TeamError(str(error)) from None


@transaction.atomic
def on_order_event_create(
    *, order: Order, title: str, starts_at: dt.datetime, ends_at: dt.datetime
) -> Event:
    """The session a team holds for a place's order, once a leader accepted it for the team:
    an event at the place, organised by the team; the assigned member's attendance finishes
    the order (its one record), the others' attendance are records of the event."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if Event.objects.filter(order=order).exists():
        raise TeamError(_("This order already has its session."))
    dispatch = (
        Dispatch.objects.filter(order=order, state=Dispatch.State.ACCEPTED, team__isnull=False)
        .select_related("team")
        .order_by("-offered_at")
        .first()
    )
    if dispatch is None or order.state not in (Order.State.ACCEPTED, Order.State.IN_SERVICE):
        raise TeamError(_("A session is planned once a team's leader has accepted the order."))
    place = Position.objects.filter(site_id=order.site_id).first() if order.site_id else None
    event = event_create(
        street=order.street,
        community=order.community,
        kind=Event.Kind.SESSION,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        team=dispatch.team,
        place=place,
        order=order,
    )
    session = event.sessions.get()
    shift = shift_add(
        session=session,
        starts_at=starts_at,
        ends_at=ends_at,
        role=_("Team on order"),
        places=max(dispatch.team.roster.count(), 1),
    )
    SignUp.objects.create(street_id=event.street_id, shift=shift, member=order.assigned_member)
    return event
