"""修改活动: changing an event after it was made (a wrong date typed, a fair moved to another
day or place), without losing its sign-ups and registrations.

An event's times are its sessions' (events._event_span), and a shift lies within its session,
all stored as moments. A new start moves the whole event: every session and shift by the same
amount, so each keeps its place in the event (the 上午场 stays the morning's, a shift at 10:00
stays an hour after the opening). A new end then sets the event's length: the session(s) that
ended the event end at the new end; a shift that would run past its shortened session is cut
to it, and a session or shift that would be left with no time at all is refused, by name, and
nothing changes. Once someone has checked in or taken a booth number the times stay: the
records of that day are counted.

A change of time or place tells everyone signed up for a shift or registered for a session,
once each (a member by their inbox and a text, a volunteer or a resident by a text to their
number; a number that is also a member's told once), what changed, old → new, in the site's
language, through the notification outbox (notify). All of it in one transaction, under the
locks that a sign-up and a registration take, so nobody signs up unseen in between.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledgeloop.lib.moments import format_moment, format_span, format_span_short
from pledgeloop.notify.models import Notification
from pledgeloop.notify.services import notification_new, notify_together
from pledgeloop.orgs.models import Community

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
)
from .services import TeamError, cancelled_check

# What the new-event form asks, and so what the edit page changes.
FIELDS = (
    "community",
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "team",
    "partner",
    "place",
    "capacity",
    "audience",
    "registration",
    "description",
)


@dataclass
class Move:
    """A session or a shift whose times change with the event's."""

    part: EventSession | Shift
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def name(self) -> str:
        return _part_name(self.part)


def _part_name(part: EventSession | Shift) -> str:
    """A shift by its booth or role; a session by its label, else as "the session" (its
    name would otherwise be its old start, beside its old and new times)."""
    if isinstance(part, EventSession) and not part.label:
        return _("Session")
    return str(part)


@dataclass
class People:
    """Who is told of a change: members (their accounts) with their shifts, and the numbers of
    volunteers and registered residents who are not among them."""

    members: dict = field(default_factory=dict)  # user id -> (user, [shift, …])
    volunteers: set[str] = field(default_factory=set)
    residents: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.members) + len(self.volunteers) + len(self.residents)


@dataclass
class EventChange:
    """What saving the form would do: the new values, the sessions and shifts that move, what
    people are told (in the active language) and who."""

    event: Event
    values: dict
    moves: list[Move]
    told: list[str]
    people: People

    @property
    def key(self) -> str:
        """What the admin confirmed: the new times and place (a form changed after the
        warning is warned about again)."""
        place = self.values["place"]
        times = [self.values[name].isoformat() for name in ("starts_at", "ends_at")]
        return "|".join([*times, str(place.pk if place else "")])

    @property
    def needs_confirming(self) -> bool:
        """Someone is told, or a shift or another session moves with the event."""
        if not self.told:
            return False
        return len(self.people) > 0 or any(isinstance(m.part, Shift) for m in self.moves)


def event_people(event: Event) -> People:
    """Everyone signed up for a shift of the event or registered for one of its sessions."""
    people = People()
    signups = SignUp.objects.filter(shift__session__event=event).select_related(
        "member__user", "volunteer", "shift__booth"
    )
    for signup in signups.order_by("shift__starts_at", "pk"):
        if signup.member_id:
            user = signup.member.user
            people.members.setdefault(user.pk, (user, []))[1].append(signup.shift)
        else:
            people.volunteers.add(signup.volunteer.phone)
    people.residents = set(
        Registration.objects.filter(session__event=event).values_list("phone", flat=True)
    )
    members_phones = {user.phone for user, _shifts in people.members.values()}
    people.volunteers -= members_phones
    people.residents -= members_phones | people.volunteers
    return people


def _place_name(place: Position | None) -> str:
    return place.site.name if place is not None else _("not set")


def _where(event: Event) -> str:
    """Where the event is held, in a word: its place, else its community, else its street."""
    if event.place_id:
        return event.place.site.name
    return (event.community or event.street).name


def _told(event: Event, values: dict) -> list[str]:
    """What changed that people are told, old → new, in the active language."""
    told = []
    old, new = (event.starts_at, event.ends_at), (values["starts_at"], values["ends_at"])
    if old != new and format_span(*old) != format_span(*new):
        told.append(
            _("time from %(old)s to %(new)s") % {"old": format_span(*old), "new": format_span(*new)}
        )
    if event.place_id != (values["place"].pk if values["place"] else None):
        told.append(
            _("place from %(old)s to %(new)s")
            % {"old": _place_name(event.place), "new": _place_name(values["place"])}
        )
    return told


def _held(event: Event) -> bool:
    """Someone has already checked in or taken a number: the event is under way."""
    return (
        Attendance.objects.filter(session__event=event).exists()
        or QueueTicket.objects.filter(booth__event=event).exists()
    )


def _moves(event: Event, starts_at: dt.datetime, ends_at: dt.datetime, *, lock: bool) -> list[Move]:
    """The sessions' and shifts' new times (see the module's docstring), or TeamError."""
    if (starts_at, ends_at) == (event.starts_at, event.ends_at):
        return []
    sessions = EventSession.objects.filter(event=event).order_by("starts_at", "pk")
    shifts = Shift.objects.filter(session__event=event).select_related("booth")
    if lock:
        sessions, shifts = sessions.select_for_update(), shifts.select_for_update(of=("self",))
    sessions, shifts = list(sessions), list(shifts.order_by("starts_at", "pk"))
    if _held(event):
        raise TeamError(
            _(
                "People have already checked in or taken numbers at this event: its date and "
                "times can no longer change. Add a session for the new time instead."
            )
        )
    shift_by = starts_at - event.starts_at
    last_end = max((s.ends_at for s in sessions), default=event.ends_at)
    stretch = ends_at - (last_end + shift_by)
    too_late = _(
        "“%(name)s” (%(time)s) would fall after the event's new end, %(end)s: choose a later end."
    )
    moves, session_ends = [], {}
    for session in sessions:
        start, end = session.starts_at + shift_by, session.ends_at + shift_by
        if session.ends_at == last_end:
            end += stretch
        if end <= start or end > ends_at:
            raise TeamError(
                too_late
                % {
                    "name": _part_name(session),
                    "time": format_span(session.starts_at, session.ends_at),
                    "end": format_moment(ends_at),
                }
            )
        session_ends[session.pk] = end
        moves.append(Move(session, start, end))
    for shift in shifts:
        start = shift.starts_at + shift_by
        end = min(shift.ends_at + shift_by, session_ends[shift.session_id])
        if end <= start:
            raise TeamError(
                too_late
                % {
                    "name": shift,
                    "time": format_span(shift.starts_at, shift.ends_at),
                    "end": format_moment(ends_at),
                }
            )
        moves.append(Move(shift, start, end))
    return [m for m in moves if (m.starts_at, m.ends_at) != (m.part.starts_at, m.part.ends_at)]


def _check(event: Event, values: dict) -> None:
    cancelled_check(event)
    if not values["title"]:
        raise TeamError(_("Give the event a title."))
    if values["ends_at"] <= values["starts_at"]:
        raise TeamError(_("The end must come after the start."))
    for thing in (values["community"], values["team"], values["place"]):
        if thing is not None and thing.street_id != event.street_id:
            raise TeamError(_("Everything of an event must belong to its street."))
    if event.order_id and values["community"] != event.community:
        raise TeamError(_("An on-order session stays in its order's community."))


def _cleaned(values: dict) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def event_change_preview(*, event: Event, **values) -> EventChange:
    """What `event_change` would do with these values (every field of FIELDS), for the page
    that warns before saving; TeamError when it would be refused. Writes nothing."""
    values = _cleaned(values)
    _check(event, values)
    moves = _moves(event, values["starts_at"], values["ends_at"], lock=False)
    told = _told(event, values)
    return EventChange(event, values, moves, told, event_people(event) if told else People())


@transaction.atomic
def event_change(
    *,
    event: Event,
    community: Community | None,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    team: Team | None,
    partner: str,
    place: Position | None,
    capacity: int | None,
    audience: str,
    description: str,
    registration: bool,
) -> tuple[Event, int]:
    """Save the event's new details, move its sessions and shifts with its times, and tell the
    people signed up or registered of a new time or place (the module's docstring). Returns
    the event and how many people were told."""
    values = _cleaned({k: v for k, v in locals().items() if k in FIELDS})
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("street", "place__site")
        .get(pk=event.pk)
    )
    _check(event, values)
    moves = _moves(event, starts_at, ends_at, lock=True)
    with translation.override(settings.LANGUAGE_CODE):
        told = _told(event, values)
    for name, value in values.items():
        setattr(event, name, value)
    event.save(update_fields=list(FIELDS))
    for model in (EventSession, Shift):
        parts = [m for m in moves if isinstance(m.part, model)]
        for move in parts:
            move.part.starts_at, move.part.ends_at = move.starts_at, move.ends_at
        model.objects.bulk_update([m.part for m in parts], ["starts_at", "ends_at"])
    if not told:
        return event, 0
    people = event_people(event)
    notify_together(_notifications(event, people, told))
    return event, len(people)


def _notifications(event: Event, people: People, told: list[str]) -> list[Notification]:
    """One notification a person, worded in the site's language (like the order loop's texts
    to residents): "“红色便民集市”有变动：时间由…改为…"."""
    with translation.override(settings.LANGUAGE_CODE):
        change = _("; ").join(told)
        title = _("“%(event)s” has changed: %(change)s") % {"event": event.title, "change": change}
        return _to_people(
            event,
            people,
            kind="event_changed",
            title=title,
            # the text says the new arrangement in short values (notify.kinds)
            params={
                "event": event.title,
                "when": format_span_short(event.starts_at, event.ends_at),
                "place": _where(event),
            },
            member_body=_(
                "Your shifts now: %(shifts)s. If you can no longer come, cancel on My events."
            ),
            phone_body=_(
                "Your sign-up stays. If you can no longer come, please tell the organiser."
            ),
        )


def _to_people(
    event: Event, people: People, *, member_body: str, phone_body: str, **common
) -> list[Notification]:
    """One notification a person (`common`: kind, title, params): a member's in their inbox,
    `member_body` naming their shifts (%(shifts)s), linked to /me/events/; a volunteer's or a
    resident's to the number they gave, linked to the event's page. Called in the language
    the texts are worded in."""
    common |= {"street_id": event.street_id, "community_id": event.community_id}
    notifications = []
    for user, shifts in people.members.values():
        times = [
            _("%(shift)s (%(time)s)")
            % {"shift": shift, "time": format_span(shift.starts_at, shift.ends_at)}
            for shift in shifts
        ]
        body = member_body % {"shifts": _(", ").join(times)}
        notifications.append(
            notification_new(user=user, body=body, url=reverse("teams:my_events"), **common)
        )
    page = reverse("teams:event", args=[event.street.slug, event.slug])
    for phone in sorted(people.volunteers | people.residents):
        notifications.append(notification_new(phone=phone, body=phone_body, url=page, **common))
    return notifications


# --- cancelling -------------------------------------------------------------------------------

REASON_MOST = Event._meta.get_field("cancel_reason").max_length


@transaction.atomic
def event_cancel(*, event: Event, reason: str) -> tuple[Event, int]:
    """取消活动: call the event off before it is held, saying why. Everyone signed up for a
    shift or registered for a session is told once, as of a change (the module's docstring),
    that it is cancelled and why; their sign-ups and registrations stay on record with the
    event, which stays listed, marked cancelled, and takes nothing more
    (services.cancelled_check). Under the event's lock and the locks a sign-up and a
    registration take, so nobody signs up unseen in between. Returns the event and how many
    people were told."""
    reason = " ".join(reason.split())
    if not reason:
        raise TeamError(_("Say why the event is cancelled: the people told will read it."))
    if len(reason) > REASON_MOST:
        raise TeamError(
            _("Say why in at most %(n)s characters: it goes into a text.") % {"n": REASON_MOST}
        )
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("street", "place__site")
        .get(pk=event.pk)
    )
    cancelled_check(event)
    now = timezone.now()
    if event.ends_at <= now:
        raise TeamError(_("This event is over: there is nothing left to cancel."))
    # The locks a registration, a sign-up, a check-in and a number take: what waited for
    # them sees the event cancelled (services.cancelled_check_now); what took them first is
    # on record below, or refuses the cancel (_held).
    list(EventSession.objects.select_for_update().filter(event=event))
    list(Shift.objects.select_for_update(of=("self",)).filter(session__event=event))
    list(Booth.objects.select_for_update().filter(event=event))
    if _held(event):
        raise TeamError(
            _(
                "People have already checked in or taken numbers at this event: it is under "
                "way and can no longer be cancelled."
            )
        )
    event.cancelled_at, event.cancel_reason = now, reason
    event.save(update_fields=["cancelled_at", "cancel_reason"])
    people = event_people(event)
    notify_together(cancel_notifications(event, people))
    return event, len(people)


def cancel_notifications(event: Event, people: People) -> list[Notification]:
    """The notifications of a cancelled event, not yet written: one a person, in the site's
    language, "“红色便民集市”已取消：…"; the text says the event and when it was to be
    (notify.kinds), its page why. (The demo writes them at the moment it cancels.)"""
    with translation.override(settings.LANGUAGE_CODE):
        return _to_people(
            event,
            people,
            kind="event_cancelled",
            title=_("“%(event)s” is cancelled: %(reason)s")
            % {"event": event.title, "reason": event.cancel_reason},
            params={
                "event": event.title,
                "when": format_span_short(event.starts_at, event.ends_at),
            },
            member_body=_("Your shifts are cancelled with it: %(shifts)s. Nothing more to do."),
            phone_body=_("Your sign-up is cancelled with it. Nothing more to do."),
        )
