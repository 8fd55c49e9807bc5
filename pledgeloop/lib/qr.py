"""QR codes (segno), the one place that draws them: intake codes, tracking links, member pages,
check-in codes.

    svg = qr_svg(url, title="星港湾")   # <svg …> text with a viewBox: inline it, size it in CSS
    png = qr_png(url)                   # PNG bytes, to download or print
    uri = qr_svg_data_uri(url)          # for PDFs (WeasyPrint draws it as a vector image)

Error correction level M survives a scuffed or partly covered print on a notice board and
keeps the code small enough to scan from a phone.
"""

import functools
import io

import segno

ERROR = "m"
BORDER = 4


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR, micro=False)


@functools.lru_cache(maxsize=4096)
def qr_svg(url: str, *, title: str = "", scale: int = 4) -> str:
    """A standalone SVG without an XML declaration, to embed inline or serve as a file.

    It carries a viewBox and a natural width and height (attributes, not a style: CSP-safe),
    so CSS may resize it freely. Cached: a wall of sixty members would otherwise encode sixty
    codes on every view.
    """
    code = _code(url)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=scale,
        border=BORDER,
        xmldecl=False,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=title or None,
    )
    width, height = code.symbol_size(scale=scale, border=BORDER)
    svg = buffer.getvalue().decode("utf-8")
    return svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_svg_data_uri(url: str) -> str:
    return _code(url).svg_data_uri(scale=1, border=BORDER, omitsize=True)
