"""Excel and CSV output as community workers expect it (DESIGN.md §10).

A title row, a header row (with Excel's filter buttons), the data, a totals row (合计); days,
times of day and moments are Excel dates (yyyy-mm-dd, hh:mm, yyyy-mm-dd hh:mm in local time),
which sort and filter as dates; cells that start with = + - @
are escaped with a leading apostrophe so that no spreadsheet runs them as formulas (C12),
and `unescape_cell` undoes that on import, so that a value survives a round trip unchanged
("=1+2" → "'=1+2" → "=1+2"). A value that itself starts with an apostrophe is escaped too,
so that undoing never eats a character that was really there.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


ESCAPE = "'"


def escape_cell(value):
    if isinstance(value, str) and value.startswith((*FORMULA_TRIGGERS, ESCAPE)):
        return ESCAPE + value
    return value


def unescape_cell(value):
    """The value `escape_cell` was given: for a cell read back from one of our exports."""
    if (
        isinstance(value, str)
        and len(value) > 1
        and value[0] == ESCAPE
        and value[1:].startswith((*FORMULA_TRIGGERS, ESCAPE))
    ):
        return value[1:]
    return value


DATE_FORMATS = {dt.datetime: "yyyy-mm-dd hh:mm", dt.date: "yyyy-mm-dd", dt.time: "hh:mm"}
# Excel refuses a sheet name over 31 characters.
SHEET_NAME_MAX = 31


def sheet_name(title: str) -> str:
    """The title as a sheet's name: whole up to 31 characters, else the part before its
    bracket (江海街道星港湾党员名单（…导出·完整手机号）→ 江海街道星港湾党员名单), else cut."""
    if len(title) <= SHEET_NAME_MAX:
        return title
    head = title.split("（")[0].split("(")[0].strip()
    return (head or title)[:SHEET_NAME_MAX]


def date_formats(book) -> dict:
    """The workbook's cell formats for days, times of day and moments, by their type."""
    return {kind: book.add_format({"num_format": f}) for kind, f in DATE_FORMATS.items()}


def excel_date(value):
    """A date, time or moment as Excel holds it (naive, local) with its type, to pick its
    format from `date_formats`; None for anything else."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None), dt.datetime
    if isinstance(value, dt.date):
        return value, dt.date
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None), dt.time
    return None


@dataclass(frozen=True)
class Sheet:
    """One worksheet's content: its title row, header row, rows and optional totals row.
    `name` is the tab's (sheet_name(title) when empty)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    totals: Sequence | None = None
    name: str = ""


def build_xlsx(
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    totals: Sequence | None = None,
    name: str = "",
) -> bytes:
    """One worksheet: title row, header row, rows, and an optional totals row; the sheet
    named `name` (at most 31 characters), else after the title (`sheet_name`)."""
    return build_xlsx_book([Sheet(title, headers, rows, totals, name=name)])


def build_xlsx_book(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of these sheets, in order, each laid out as build_xlsx lays out its one."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    title_format = book.add_format({"bold": True, "font_size": 14})
    formats = date_formats(book)
    for content in sheets:
        sheet = book.add_worksheet(content.name or sheet_name(content.title))
        _write_sheet(sheet, content, bold=bold, title_format=title_format, formats=formats)
    book.close()
    return buffer.getvalue()


def _write_sheet(sheet, content: Sheet, *, bold, title_format, formats) -> None:
    headers, totals = content.headers, content.totals
    sheet.merge_range(0, 0, 0, max(len(headers) - 1, 0), content.title, title_format)
    sheet.write_row(1, 0, list(headers), bold)
    widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
    row_index = 2
    for row in content.rows:
        for col, value in enumerate(row):
            value = escape_cell(value)
            when = excel_date(value)
            if value is None:
                sheet.write_blank(row_index, col, None)
            elif when is not None:
                sheet.write_datetime(row_index, col, when[0], formats[when[1]])
                widths[col] = max(widths[col], 17 if when[1] is dt.datetime else 11)
            elif isinstance(value, str):
                sheet.write_string(row_index, col, value)
                widths[col] = min(60, max(widths[col], len(value) * 2 + 2))
            else:
                sheet.write(row_index, col, value)
        row_index += 1
    if totals is not None:
        sheet.write(row_index, 0, _("Total"), bold)
        for col, value in enumerate(totals[1:], start=1):
            if value is not None:
                sheet.write(row_index, col, value, bold)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(2, 0)
    if row_index > 2:  # filter buttons on the header, over the data (not the totals)
        sheet.autofilter(1, 0, row_index - 1, max(len(headers) - 1, 0))


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def build_csv(*, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return ("\ufeff" + text.getvalue()).encode("utf-8")
