"""A pledge's frequency as an RFC 5545 recurrence rule (python-dateutil): read, bound, explain.

Members pick a plain frequency (每周一次, 每月第一个周六, ...) or write a rule. Either way it is
stored as the RRULE value ("FREQ=MONTHLY;BYDAY=1SA"); the pledge's start date, end date and
visit time supply DTSTART and the bounds, so a written rule may not carry them itself.
"""

import calendar
import datetime as dt
import functools

from dateutil import rrule as dateutil_rrule
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CUSTOM = "custom"
PRESETS = [
    ("FREQ=WEEKLY", gettext_lazy("Once a week (on the start date's weekday)")),
    ("FREQ=WEEKLY;INTERVAL=2", gettext_lazy("Once every two weeks")),
    ("FREQ=WEEKLY;BYDAY=SA", gettext_lazy("Every Saturday")),
    ("FREQ=MONTHLY", gettext_lazy("Once a month (on the start date's day)")),
    ("FREQ=MONTHLY;BYDAY=1SA", gettext_lazy("On the first Saturday of every month")),
    ("FREQ=MONTHLY;BYDAY=-1SU", gettext_lazy("On the last Sunday of every month")),
    ("FREQ=MONTHLY;INTERVAL=3", gettext_lazy("Once a quarter")),
]
FREQUENCY_CHOICES = [*PRESETS, (CUSTOM, gettext_lazy("Other: write a recurrence rule"))]

ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
BOUND_PARTS = {"DTSTART", "UNTIL", "COUNT"}
TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Thirteen months of daily visits is already more than anyone can keep.
MOST_VISITS = 400


def normalise_rule(text: str) -> str:
    """'rrule: freq=weekly; byday=sa' -> 'FREQ=WEEKLY;BYDAY=SA'."""
    text = "".join((text or "").split()).upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    return text.strip(";")


def rule_parts(text: str) -> dict[str, str]:
    parts = {}
    for item in normalise_rule(text).split(";"):
        key, _sep, value = item.partition("=")
        parts[key] = value
    return parts


def without_bounds(text: str) -> str:
    """A rule from elsewhere (a recurring order) minus DTSTART, UNTIL and COUNT: a pledge's own
    dates bound it."""
    lines = [ln for ln in (text or "").splitlines() if not ln.strip().upper().startswith("DTSTART")]
    parts = rule_parts(" ".join(lines))
    return ";".join(f"{k}={v}" for k, v in parts.items() if k and k not in BOUND_PARTS)


def check_rule(text: str) -> str:
    """The normalised rule, or a ValidationError that says what to change."""
    rule = normalise_rule(text)
    example = "FREQ=WEEKLY;BYDAY=SA"
    if not rule:
        raise ValidationError(
            _("Choose a frequency, or write a rule such as %(example)s.") % {"example": example},
            code="rule_missing",
        )
    parts = rule_parts(rule)
    bound = sorted(part for part in BOUND_PARTS if part in rule)
    if bound:
        raise ValidationError(
            _("Leave %(parts)s out of the rule: the pledge's start and end dates bound it.")
            % {"parts": ", ".join(bound)},
            code="rule_bounds",
        )
    timed = sorted(TIME_PARTS & parts.keys())
    if timed:
        raise ValidationError(
            _("Leave %(parts)s out of the rule: the time of each visit is set separately.")
            % {"parts": ", ".join(timed)},
            code="rule_time",
        )
    unknown = sorted(parts.keys() - ALLOWED_PARTS)
    if unknown:
        raise ValidationError(
            _(
                "%(parts)s cannot be used here. A rule may use FREQ, INTERVAL, BYDAY, "
                "BYMONTHDAY, BYMONTH, BYSETPOS and WKST, e.g. %(example)s."
            )
            % {"parts": ", ".join(unknown), "example": example},
            code="rule_unknown_part",
        )
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise ValidationError(
            _(
                "Start the rule with FREQ=DAILY, FREQ=WEEKLY, FREQ=MONTHLY or FREQ=YEARLY, "
                "e.g. %(example)s."
            )
            % {"example": example},
            code="rule_freq",
        )
    try:
        dateutil_rrule.rrulestr(rule, dtstart=dt.datetime(2026, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValidationError(
            _("This rule could not be read (%(error)s). Write it like %(example)s.")
            % {"error": error, "example": example},
            code="rule_invalid",
        ) from None
    return rule


# dateutil searches for a rule's next moment after UNTIL up to the year 9999 before it gives
# up, so a rule that never occurs again (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) costs seconds of
# CPU. The rule is therefore run on the latest years before 9999 whose calendar is the same as
# the pledge's years, where that search ends within a few decades, and the moments are moved
# back. The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks),
# so such years always exist. Only dateutil's public API is used (rrulestr, replace, xafter).
# The twin years end by 9998: a weekly rule's last week of 9999 reaches into the year 10000,
# which dateutil cannot build (see _moments).
LAST_TWIN_YEAR = dt.MAXYEAR - 1


def _same_calendar(year: int, twin: int) -> bool:
    return calendar.isleap(year) == calendar.isleap(twin)


@functools.cache
def calendar_twin_offset(first_year: int, last_year: int) -> int:
    """Years to add to first_year..last_year to reach the latest run of years (ending by 9998)
    with the same calendar: the same weekday on 1 January and the same leap years, so that
    every date falls on the same weekday and the days between any two dates stay the same."""
    weekday = dt.date(first_year, 1, 1).weekday()
    for offset in range(LAST_TWIN_YEAR - last_year, -1, -1):
        if dt.date(first_year + offset, 1, 1).weekday() == weekday and all(
            _same_calendar(year, year + offset) for year in range(first_year, last_year + 1)
        ):
            return offset
    raise ValueError(f"no calendar twin for {first_year}..{last_year}")  # offset 0 always is


def _moved(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years)


def _moments(rule: dateutil_rrule.rrule, first: dt.datetime):
    """rule.xafter(first, inc=True), ending where dateutil would step into the year 10000.

    That happens only past the twin years (which end by 9998), so past every moment wanted.
    """
    moments = rule.xafter(first, inc=True)
    while True:
        try:
            yield next(moments)
        except StopIteration:
            return
        except ValueError:  # "year 10000 is out of range", from datetime.date.fromordinal
            return


def occurrences(
    rule: str,
    *,
    starts_on: dt.date,
    ends_on: dt.date,
    at: dt.time,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dt.datetime]:
    """The rule's moments (naive, local time) from `since` to `until` within the pledge's dates.

    DTSTART is the start date at the visit time, as RFC 5545 anchors weekly and monthly rules.
    """
    since = max(since or starts_on, starts_on)
    until = min(until or ends_on, ends_on)
    if until < since:
        return []
    years = calendar_twin_offset(starts_on.year, until.year)
    last = dt.datetime.combine(_moved(until, years), dt.time.max)
    bounded = dateutil_rrule.rrulestr(
        check_rule(rule), dtstart=dt.datetime.combine(_moved(starts_on, years), at)
    ).replace(until=last)
    found = []
    for moment in _moments(bounded, dt.datetime.combine(_moved(since, years), dt.time.min)):
        if moment > last or len(found) > MOST_VISITS:
            break
        found.append(moment.replace(year=moment.year - years))
    return found


# --- saying a rule in words ---------------------------------------------------------------


def _weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday")] + [
        _("Saturday"),
        _("Sunday"),
    ]


def _ordinal(n: int) -> str | None:
    return {
        1: _("first"),
        2: _("second"),
        3: _("third"),
        4: _("fourth"),
        5: _("fifth"),
        -1: _("last"),
    }.get(n)


def _join(items: list[str]) -> str:
    return _(", ").join(items)


def describe_rule(rule: str, starts_on: dt.date | None = None) -> str:
    """The rule in plain words: 每周六, 每月第一个周六, 每两周的周三, 每3周的周三 ...; else the
    rule itself."""
    rule = normalise_rule(rule)
    parts = rule_parts(rule)
    freq = parts.get("FREQ")
    try:
        interval = int(parts.get("INTERVAL") or 1)
    except ValueError:
        interval = 0
    extra = parts.keys() - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "WKST"}
    custom = _("Custom rule: %(rule)s") % {"rule": rule}
    if extra or interval < 1:
        return custom
    names = _weekday_names()
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    try:
        if freq == "DAILY" and not days and "BYMONTHDAY" not in parts:
            if interval == 1:
                return _("Every day")
            if interval == 2:
                return _("Every other day")
            return _("Every %(n)s days") % {"n": interval}
        if freq == "WEEKLY" and "BYMONTHDAY" not in parts:
            if not days and starts_on:
                days = [WEEKDAY_CODES[starts_on.weekday()]]
            words = _join([names[WEEKDAY_CODES.index(d)] for d in days])
            if interval == 1:
                return _("Every week on %(days)s") % {"days": words}
            if interval == 2:
                return _("Every other week on %(days)s") % {"days": words}
            return _("Every %(n)s weeks on %(days)s") % {"n": interval, "days": words}
        if freq == "MONTHLY":
            whens = []
            for day in days:
                nth, code = int(day[:-2] or 0), day[-2:]
                if not _ordinal(nth):
                    return custom
                whens.append(
                    _("the %(ordinal)s %(weekday)s")
                    % {"ordinal": _ordinal(nth), "weekday": names[WEEKDAY_CODES.index(code)]}
                )
            monthdays = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
            if not days and not monthdays and starts_on:
                monthdays = [starts_on.day]
            whens += [_("day %(n)s") % {"n": d} for d in monthdays if d > 0]
            if not whens or (days and monthdays):
                return custom
            if interval == 1:
                return _("Every month on %(when)s") % {"when": _join(whens)}
            if interval == 2:
                return _("Every other month on %(when)s") % {"when": _join(whens)}
            return _("Every %(n)s months on %(when)s") % {"n": interval, "when": _join(whens)}
        if freq == "YEARLY" and not days and "BYMONTHDAY" not in parts and starts_on:
            when = formats.date_format(starts_on, "MONTH_DAY_FORMAT")
            if interval == 1:
                return _("Every year on %(date)s") % {"date": when}
            if interval == 2:
                return _("Every other year on %(date)s") % {"date": when}
            return _("Every %(n)s years on %(date)s") % {"n": interval, "date": when}
    except ValueError:
        return custom
    return custom
