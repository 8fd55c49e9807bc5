"""Schedule sources: what apps above pledges add to a member's schedule (排班表).

The schedule (the member page's list and the schedule.ics feed) is the pledges app's, but a
member also serves at things pledges knows nothing of: the event shifts they signed up for
live in teams, a layer above, which pledges may not import. So pledges keeps this registry,
as django.contrib.admin keeps its site: an app above registers a *source* in its
AppConfig.ready(), and the schedule asks every registered source for the member's entries.

    # teams/apps.py
    def ready(self):
        from pledgeloop.pledges.schedule_sources import schedule_sources
        from .schedule import member_shift_entries
        schedule_sources.register("teams.shifts", member_shift_entries)

A source is `source(member, *, since) -> list[ScheduleEntry]`: the member's entries that end
after `since`, in one or a few queries however many there are (the member page's query count
must not grow with them), each a plain ScheduleEntry, so that nothing of the source's models
reaches pledges' pages or feed. Nothing cancelled belongs in the answer.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pledgeloop.people.models import Member


@dataclass(frozen=True)
class ScheduleEntry:
    """One thing on a member's schedule that is not a pledge visit (an event shift).

    `uid` is stable for as long as the entry is the same thing (the feed adds `@host`): a phone
    calendar updates the event rather than adding a second one. `url` is a path on this site;
    `place` is what a calendar's location field should say.
    """

    uid: str
    title: str
    detail: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    url: str
    label: str = ""

    @property
    def name(self) -> str:
        """The title with its detail: the calendar's summary, a clash note's words."""
        return f"{self.title} · {self.detail}" if self.detail else self.title


Source = Callable[..., list[ScheduleEntry]]


class ScheduleSources:
    """The registry; one instance, `schedule_sources`, for the whole project."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}

    def register(self, name: str, source: Source) -> None:
        """Add (or replace: ready() may run more than once in tests) a source by its name."""
        self._sources[name] = source

    def names(self) -> list[str]:
        return sorted(self._sources)

    def entries(self, member: Member, *, since: dt.datetime) -> list[ScheduleEntry]:
        """Every source's entries for the member ending after `since`, by start."""
        found = []
        for name in self.names():
            found += self._sources[name](member, since=since)
        return sorted(found, key=lambda entry: (entry.starts_at, entry.ends_at, entry.uid))


schedule_sources = ScheduleSources()
