"""HTML to PDF with WeasyPrint, the one place that loads it."""

from __future__ import annotations


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    # Imported on first use, not at start-up: WeasyPrint loads Pango and its fonts (about a
    # second), which only the few requests that print a PDF need. A third-party library, not
    # one of our layers, so this late import dodges no layer rule.
    from weasyprint import HTML  # noqa: PLC0415

    return HTML(string=html, base_url=base_url).write_pdf()
