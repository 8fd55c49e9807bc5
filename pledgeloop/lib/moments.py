"""How a moment is written for people in text built by Python (messages, refusals, /my/): in
local time, in the active language's date-and-time format, 2026年9月5日 14:30 in Chinese
(DESIGN.md §10). Templates write the same with |date:"DATETIME_FORMAT"."""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format


def format_moment(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    """From `start` to `end` as people write it: the day once when both fall on it
    (2026年12月10日 09:00–16:00), else each moment whole."""
    first, last = timezone.localtime(start), timezone.localtime(end)
    if first.date() == last.date():
        return f"{format_moment(first)}–{date_format(last, 'H:i')}"
    return f"{format_moment(first)}–{format_moment(last)}"


def format_span_short(start: dt.datetime, end: dt.datetime) -> str:
    """The same span in as few characters as a text's parameter allows (notify.kinds): the
    day without its year and the hours when both fall on it (12月10日 09:00–16:00), else
    the days alone (12月10日–12月12日)."""
    first, last = timezone.localtime(start), timezone.localtime(end)
    if first.date() == last.date():
        day = date_format(first, "MONTH_DAY_FORMAT")
        return f"{day} {date_format(first, 'H:i')}–{date_format(last, 'H:i')}"
    return f"{date_format(first, 'MONTH_DAY_FORMAT')}–{date_format(last, 'MONTH_DAY_FORMAT')}"
