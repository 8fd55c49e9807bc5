"""Excel and CSV downloads of every dashboard table (DESIGN.md §10: title, totals, BOM)."""

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.spreadsheets import (
    Sheet,
    build_csv,
    build_xlsx,
    build_xlsx_book,
    sheet_name,
    xlsx_response,
)

from .selectors import Table


def filename(table: Table, place: str, period_key: str, ext: str) -> str:
    place = place.replace(" · ", "-")
    return f"{place}-{table.title}-{period_key}-{timezone.localdate():%Y%m%d}.{ext}"


def _rows(table: Table) -> list[list]:
    return [["—" if v is None else v for v in row] for row in table.rows]


def table_response(table: Table, *, kind: str, place: str, period_key: str) -> HttpResponse:
    rows = _rows(table)
    title = f"{place} · {table.title} · {period_key}"
    if kind == "xlsx":
        # The sheet named by the table alone, as in the whole report: the title (place,
        # table, days) is longer than a sheet's 31 characters, and its days were cut off.
        content = build_xlsx(
            title=title,
            headers=table.headers,
            rows=rows,
            totals=table.totals,
            name=sheet_name(str(table.title)),
        )
        return xlsx_response(content, filename(table, place, period_key, "xlsx"))
    body_rows = rows + ([["" if v is None else v for v in table.totals]] if table.totals else [])
    response = HttpResponse(
        build_csv(headers=table.headers, rows=body_rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(filename(table, place, period_key, 'csv'))}"
    )
    return response


def report_response(tables: list[Table], *, place: str, period_key: str) -> HttpResponse:
    """Every table of the dashboard in one workbook, a sheet each, in the page's order: the
    quarter's report to the district in one download instead of eight."""
    sheets = [
        Sheet(
            title=f"{place} · {table.title} · {period_key}",
            headers=table.headers,
            rows=_rows(table),
            totals=table.totals,
            name=sheet_name(str(table.title)),
        )
        for table in tables
    ]
    place, report = place.replace(" · ", "-"), _("Indicator report")
    name = f"{place}-{report}-{period_key}-{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(build_xlsx_book(sheets), name)
