"""How a moment is written for people in text built by Python (messages, refusals, /my/): in
local time, in the active language's date-and-time format, 2026年9月5日 14:30 in Chinese
(DESIGN.md §10). Templates write the same with |date:"DATETIME_FORMAT"."""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format


def format_moment(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
