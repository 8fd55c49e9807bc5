"""The event shifts a member signed up for, as entries of their schedule (排班表).

The schedule (the member page and its schedule.ics feed) belongs to pledges, below teams; it
reads this through pledges' schedule sources, where TeamsConfig.ready() registers
`member_shift_entries` (see pledges/schedule_sources.py).
"""

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from pledgeloop.orders.models import Order
from pledgeloop.people.models import Member
from pledgeloop.pledges.schedule_sources import ScheduleEntry

from .models import Event, SignUp

# However many shifts a member signs up for, the schedule lists at most this many.
SHIFTS_MOST = 100


def _place(event: Event) -> str:
    """Where the event is: its place (a position's site, with the address), else its
    community, else its street."""
    if event.place_id:
        site = event.place.site
        return f"{site} {site.address}".strip()
    if event.community_id:
        return _("%(name)s Community") % {"name": event.community.name}
    return event.street.name


def _detail(signup: SignUp) -> str:
    """The session (when it has a name) and the shift: its booth or its role."""
    shift = signup.shift
    what = shift.booth.name if shift.booth_id else shift.role
    label = shift.session.label
    return f"{label} · {what}" if label else what


def member_shift_entries(member: Member, *, since: dt.datetime) -> list[ScheduleEntry]:
    """The member's sign-ups for shifts ending after `since`, in one query. A cancelled
    sign-up is gone (events.signup_cancel deletes it); a cancelled event's shifts, and an
    on-order session's whose order was cancelled, are called off, so they are left out."""
    signups = (
        SignUp.objects.filter(
            street_id=member.street_id,
            member=member,
            shift__ends_at__gt=since,
            shift__session__event__cancelled_at=None,
        )
        .exclude(shift__session__event__order__state=Order.State.CANCELLED)
        .select_related(
            "shift__booth",
            "shift__session__event__street",
            "shift__session__event__community",
            "shift__session__event__place__site__parent",
        )
        .order_by("shift__starts_at", "shift__pk")[:SHIFTS_MOST]
    )
    entries = []
    for signup in signups:
        shift = signup.shift
        event = shift.session.event
        entries.append(
            ScheduleEntry(
                uid=f"teams-shift-{shift.pk}-member-{member.pk}",
                title=event.title,
                detail=_detail(signup),
                place=_place(event),
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                url=reverse("teams:event", args=[event.street.slug, event.slug]),
                label=_("Event shift"),
            )
        )
    return entries
