"""The member's schedule (排班表) as an iCalendar feed (RFC 5545, icalendar library)."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from .selectors import schedule_visits

ZONE = "Asia/Shanghai"


def visit_uid(visit, host: str) -> str:
    """Stable across feeds and regenerations: the pledge and the moment, not a row id."""
    moment = visit.scheduled_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"pledge-{visit.pledge_id}-{moment}@{host}"


def member_schedule_ics(*, member, today: dt.date, host: str, page_url: str) -> bytes:
    zone = ZoneInfo(ZONE)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//pledgeloop//pledge schedule//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("%(name)s · pledge schedule") % {"name": member.name})
    calendar.add("x-wr-timezone", ZONE)
    stamp = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    for visit in schedule_visits(member, today):
        pledge = visit.pledge
        event = icalendar.Event()
        event.add("uid", visit_uid(visit, host))
        event.add("dtstamp", stamp)
        event.add("dtstart", visit.scheduled_at.astimezone(zone))
        event.add("dtend", visit.ends_at.astimezone(zone))
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
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
