"""The member's schedule (排班表) as an iCalendar feed (RFC 5545, icalendar library).

Each public pledge is one recurring event: its own rule (RRULE) from its first visit to its
end date, so a phone calendar shows it for as long as it runs, approved pledges that have not
started included. The visits already scheduled say where the plan changed: a moment of the rule
without its visit (skipped, or deleted when the pledge closed) is an EXDATE; a visit at another
time of its day is an override of that moment (RECURRENCE-ID); any other visit is an event of
its own.

The member's other engagements come from the schedule sources (schedule_sources.py: the event
shifts they signed up for, which teams registers), each one event in Asia/Shanghai time with
the source's stable UID, the place as LOCATION and the page it links to as URL.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Pledge
from .schedule_sources import ScheduleEntry
from .selectors import schedule_pledges

ZONE = "Asia/Shanghai"
CLOSED = (Pledge.State.FULFILLED, Pledge.State.LAPSED, Pledge.State.WITHDRAWN)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def pledge_uid(pledge: Pledge, host: str) -> str:
    """Stable across feeds and regenerated visits: the pledge, not a row of its visits."""
    return f"pledge-{pledge.pk}@{host}"


def visit_uid(pledge: Pledge, moment: dt.datetime, host: str) -> str:
    return f"pledge-{pledge.pk}-{_stamp(moment)}@{host}"


def first_day(pledge: Pledge) -> dt.date:
    """Visits start on the later of the start date and the approval day (visits_generate)."""
    since = pledge.starts_on
    if pledge.approved_at:
        since = max(since, timezone.localtime(pledge.approved_at).date())
    return since


def _event(pledge: Pledge, *, uid: str, start: dt.datetime, stamp, page_url: str):
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=pledge.duration_minutes))
    event.add("summary", pledge.title)
    event.add(
        "description",
        _("For: %(whom)s. Category: %(category)s. %(frequency)s.")
        % {
            "whom": pledge.beneficiary_public,
            "category": pledge.category.name,
            "frequency": pledge.frequency_text,
        },
    )
    event.add("categories", [pledge.category.name])
    event.add("status", "CONFIRMED")
    event.add("url", page_url)
    return event


def pledge_events(pledge: Pledge, *, host: str, stamp, page_url: str) -> list[icalendar.Event]:
    """The pledge's recurring event, then its overrides and extra visits."""
    zone = ZoneInfo(ZONE)
    local = {
        timezone.localtime(v.scheduled_at, zone).replace(tzinfo=None): v
        for v in pledge.visits.all()
    }
    rule = pledge.occurrences(since=first_day(pledge))
    if not rule and not local:
        return []
    # Up to where visits have been scheduled, a moment of the rule without its visit did not
    # stay in the plan; past it, the rule is the plan.
    horizon = dt.datetime.max if pledge.state in CLOSED else max(local, default=dt.datetime.min)
    on_rule = set(rule)
    dropped = [m for m in rule if m <= horizon and m not in local]
    extra = sorted(m for m in local if m not in on_rule)

    def aware(moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=zone)

    events, overrides = [], []
    for moment in extra:
        visit = local[moment]
        replaced = next((m for m in dropped if m.date() == visit.due_on), None)
        if replaced is not None:
            dropped.remove(replaced)
            event = _event(
                pledge,
                uid=pledge_uid(pledge, host),
                start=aware(moment),
                stamp=stamp,
                page_url=page_url,
            )
            event.add("recurrence-id", aware(replaced))
            overrides.append(event)
        else:
            overrides.append(
                _event(
                    pledge,
                    uid=visit_uid(pledge, aware(moment), host),
                    start=aware(moment),
                    stamp=stamp,
                    page_url=page_url,
                )
            )
    if rule:
        master = _event(
            pledge,
            uid=pledge_uid(pledge, host),
            start=aware(rule[0]),
            stamp=stamp,
            page_url=page_url,
        )
        recur = icalendar.vRecur.from_ical(pledge.rrule)
        last = dt.datetime.combine(pledge.ends_on, pledge.visit_time, tzinfo=zone)
        recur["UNTIL"] = [last.astimezone(dt.UTC)]
        master.add("rrule", recur)
        if dropped:
            master.add("exdate", [aware(m) for m in dropped])
        events.append(master)
    return events + overrides


def entry_event(
    entry: ScheduleEntry, *, host: str, stamp, url_for: Callable[[str], str]
) -> icalendar.Event:
    """Another app's entry (an event shift, schedule_sources) as one event, in local time."""
    zone = ZoneInfo(ZONE)
    event = icalendar.Event()
    event.add("uid", f"{entry.uid}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", timezone.localtime(entry.starts_at, zone))
    event.add("dtend", timezone.localtime(entry.ends_at, zone))
    event.add("summary", entry.name)
    event.add("location", entry.place)
    if entry.label:
        event.add("categories", [entry.label])
    event.add("status", "CONFIRMED")
    event.add("url", url_for(entry.url))
    return event


def member_schedule_ics(
    *,
    member,
    today: dt.date,
    host: str,
    page_url: str,
    entries: Sequence[ScheduleEntry] = (),
    url_for: Callable[[str], str] = str,
) -> bytes:
    """The member's pledges (each a recurring event) and their other entries (event shifts,
    from the schedule sources) as one calendar; `url_for` makes an entry's path absolute."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//pledgeloop//pledge schedule//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("%(name)s · schedule") % {"name": member.name})
    calendar.add("x-wr-timezone", ZONE)
    stamp = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    for pledge in schedule_pledges(member):
        for event in pledge_events(pledge, host=host, stamp=stamp, page_url=page_url):
            calendar.add_component(event)
    for entry in entries:
        calendar.add_component(entry_event(entry, host=host, stamp=stamp, url_for=url_for))
    calendar.add_missing_timezones()
    return calendar.to_ical()
