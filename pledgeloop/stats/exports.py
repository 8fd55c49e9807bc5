"""Excel and CSV downloads of every dashboard table (DESIGN.md §10: title, totals, BOM)."""

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

from pledgeloop.lib.spreadsheets import build_csv, build_xlsx, xlsx_response

from .selectors import Table


def filename(table: Table, place: str, period_key: str, ext: str) -> str:
    place = place.replace(" · ", "-")
    return f"{place}-{table.title}-{period_key}-{timezone.localdate():%Y%m%d}.{ext}"


def table_response(table: Table, *, kind: str, place: str, period_key: str) -> HttpResponse:
    rows = [["—" if v is None else v for v in row] for row in table.rows]
    title = f"{place} · {table.title} · {period_key}"
    if kind == "xlsx":
        content = build_xlsx(title=title, headers=table.headers, rows=rows, totals=table.totals)
        return xlsx_response(content, filename(table, place, period_key, "xlsx"))
    body_rows = rows + ([["" if v is None else v for v in table.totals]] if table.totals else [])
    response = HttpResponse(
        build_csv(headers=table.headers, rows=body_rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(filename(table, place, period_key, 'csv'))}"
    )
    return response
