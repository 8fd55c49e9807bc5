"""The person's copy of their data (PIPL art. 45): JSON for machines, Excel for people."""

import datetime as dt
import io
import json

import xlsxwriter
from django.utils import timezone

from pledgeloop.lib.spreadsheets import date_formats, escape_cell, excel_date, sheet_name

from .selectors import Moment, Section


def data_json(sections: list[Section], *, phone: str) -> bytes:
    document = {
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "phone": phone,
        **{
            s.key: [{key: row.get(key) for key, _label in s.fields} for row in s.rows]
            for s in sections
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def data_xlsx(sections: list[Section]) -> bytes:
    """One worksheet per section: its title, the column labels, the rows. Times and days are
    Excel dates (a time in local time, to the minute), which sort and filter as such."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    formats = date_formats(book)
    for section in sections:
        sheet = book.add_worksheet(sheet_name(str(section.title)))
        sheet.write_row(0, 0, section.labels, bold)
        for index, row in enumerate(section.table(), start=1):
            for col, value in enumerate(row):
                if isinstance(value, Moment):  # to the minute, as the page and the JSON
                    at, kind = excel_date(value.value)
                    if kind is dt.datetime:
                        at = at.replace(second=0, microsecond=0)
                    sheet.write_datetime(index, col, at, formats[kind])
                    continue
                value = escape_cell(value)
                if value is None or value == "":
                    sheet.write_blank(index, col, None)
                elif isinstance(value, int | float):
                    sheet.write_number(index, col, value)
                else:
                    sheet.write_string(index, col, str(value))
        sheet.set_column(0, max(len(section.fields) - 1, 0), 18)
    book.close()
    return buffer.getvalue()
