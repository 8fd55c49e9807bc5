"""Periods: half-open ranges of local dates [start, end), and the helpers the dashboard uses."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from pledgeloop.lib.params import parse_period


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day, included
    end: dt.date  # first day after, excluded

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts: {self.start} .. {self.end}")

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes in the site's time zone, [start, end)."""
        return local_midnight(self.start), local_midnight(self.end)

    @property
    def is_month_aligned(self) -> bool:
        return self.start.day == 1 and self.end.day == 1

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def months(self) -> list[dt.date]:
        """First days of the months the period touches."""
        out, month = [], self.start.replace(day=1)
        while month < self.end:
            out.append(month)
            month = add_months(month, 1)
        return out

    def year_earlier(self) -> "Period":
        return Period(minus_year(self.start), minus_year(self.end))

    def so_far(self, today: dt.date) -> "Period | None":
        """The days of the period up to and including `today`: the whole period once it has
        ended, None before it begins. A period still running is compared with the same days
        a year earlier, not with that whole period (a quarter two months in showed a third
        fewer orders done than a year before, and a month one day in -100 %)."""
        end = min(self.end, today + dt.timedelta(days=1))
        return Period(self.start, end) if end > self.start else None

    def counted(self, today: dt.date) -> "Period":
        """The days the pages say they count: so_far, or the whole period before it begins."""
        return self.so_far(today) or self

    def whole_months(self) -> "Period | None":
        """The whole local months inside the period, None if it holds none."""
        start = self.start if self.start.day == 1 else add_months(self.start, 1)
        end = self.end.replace(day=1)
        return Period(start, end) if start < end else None

    def days_outside(self, inner: "Period | None") -> list["Period"]:
        """The days of the period before and after `inner` (a period within it; None: every
        day of it), as at most two periods."""
        if inner is None:
            return [self]
        pieces = [(self.start, inner.start), (inner.end, self.end)]
        return [Period(start, end) for start, end in pieces if start < end]

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"

    @property
    def days(self) -> str:
        """The days it holds, first and last, as files and their titles name them: March is
        2026-03-01..2026-03-31 (its `key` ends on the day after, as the period does)."""
        return f"{self.start:%Y-%m-%d}..{self.end - dt.timedelta(days=1):%Y-%m-%d}"


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def minus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def month(year: int, month_no: int) -> Period:
    start = dt.date(year, month_no, 1)
    return Period(start, add_months(start, 1))


def quarter(year: int, quarter_no: int) -> Period:
    start = dt.date(year, 3 * (quarter_no - 1) + 1, 1)
    return Period(start, add_months(start, 3))


def year(year_no: int) -> Period:
    return Period(dt.date(year_no, 1, 1), dt.date(year_no + 1, 1, 1))


def last_12_months(today: dt.date | None = None) -> Period:
    """The current month and the eleven before it (month-aligned, so rollups serve it)."""
    today = today or timezone.localdate()
    end = add_months(today.replace(day=1), 1)
    return Period(add_months(end, -12), end)


def parse(value: str | None, today: dt.date | None = None) -> Period:
    """A period from a query string: 2026, 2026-Q1, 2026-03, 12m (default)."""
    key = parse_period(value)
    if key is None:
        return last_12_months(today)
    if key.kind == "year":
        return year(key.year)
    if key.kind == "quarter":
        return quarter(key.year, key.number)
    return month(key.year, key.number)
