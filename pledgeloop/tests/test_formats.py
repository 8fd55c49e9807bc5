"""Dates as people write them (DESIGN.md §10): 9月8日, as in 2026年9月8日, not Django's 09月8日."""

import datetime as dt

from django.utils import translation
from django.utils.formats import date_format


def test_a_month_and_day_read_as_people_write_them():
    day = dt.date(2026, 9, 8)
    with translation.override("zh-hans"):
        assert date_format(day, "MONTH_DAY_FORMAT") == "9月8日"
        assert date_format(day, "DATE_FORMAT") == "2026年9月8日"  # Django's own, unchanged
    with translation.override("en"):
        assert date_format(day, "MONTH_DAY_FORMAT") == "September 8"
