"""HTML to PDF with WeasyPrint, the one place that loads it.

Our PDFs are drawn from our own HTML, their pictures (the QR codes) inlined as data: URLs, so
WeasyPrint is let fetch nothing else: no address in a page can make the server ask another
(or itself) for anything while it prints. That also spares each PDF WeasyPrint's default
fetcher, which loaded the system's certificate store for HTTPS every time (50 ms, a third of
a QR sheet's CPU).
"""

from __future__ import annotations

import ssl


def html_to_pdf(html: str) -> bytes:
    # Imported on first use, not at start-up: WeasyPrint loads Pango and its fonts (about a
    # second), which only the few requests that print a PDF need. A third-party library, not
    # one of our layers, so this late import dodges no layer rule.
    from weasyprint import HTML, URLFetcher  # noqa: PLC0415

    # The TLS context is never used (only data: URLs are fetched), but given, so that the
    # fetcher does not build the default one, the system's certificates loaded.
    no_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    fetcher = URLFetcher(allowed_protocols={"data"}, ssl_context=no_tls)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
