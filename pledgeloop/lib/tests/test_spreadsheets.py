"""The formula escape of exports and its undoing on import: a value survives a round trip."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from pledgeloop.lib.spreadsheets import build_xlsx, escape_cell, unescape_cell


@pytest.mark.parametrize(
    "value", ["=1+2", "+86", "-5", "@home", "'=1+2", "'already quoted", "''", "'", "张三", ""]
)
def test_escaping_then_unescaping_gives_the_value_back(value):
    assert unescape_cell(escape_cell(value)) == value


def test_formulas_are_escaped_and_plain_text_is_not():
    assert escape_cell("=1+2") == "'=1+2"
    assert escape_cell("张三") == "张三"
    assert escape_cell(3) == 3
    # A typed value that merely starts with an apostrophe and a letter is left as typed.
    assert unescape_cell("'abc") == "'abc"


def test_days_times_and_moments_are_excel_dates_with_filters_on_the_header():
    """Dates were text (2026-11-03, 12:00), which Excel sorts and filters as words."""
    moment = timezone.make_aware(dt.datetime(2026, 11, 3, 8, 30))  # local (Asia/Shanghai)
    content = build_xlsx(
        title="江海街道星港湾党员名单（2026年11月30日导出·完整手机号，请妥善保管）",
        headers=["日", "时", "时刻", "名"],
        rows=[[dt.date(2026, 11, 3), dt.time(12, 0), moment, "张三"], [None, None, None, "李四"]],
        totals=[None, None, None, None],
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet.title == "江海街道星港湾党员名单"  # whole, not cut inside the bracket
    day, time, when, name = sheet[3]
    assert day.is_date and day.value == dt.datetime(2026, 11, 3)
    assert day.number_format == "yyyy-mm-dd"
    assert time.is_date and time.value == dt.time(12, 0) and time.number_format == "hh:mm"
    assert when.value == dt.datetime(2026, 11, 3, 8, 30)  # local, as the page shows it
    assert when.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.auto_filter.ref == "A2:D4"  # the header and the rows, not the totals
