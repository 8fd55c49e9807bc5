"""QR codes (segno) that open a member's page: SVG on pages, PNG to download."""

import functools
import io

import segno
from django.urls import reverse

# Error correction M survives a scuffed print on a notice board and keeps codes small.
ERROR = "m"


def member_url(request, member) -> str:
    """The absolute address a member's QR code opens."""
    return request.build_absolute_uri(reverse("pledges:member_page", args=[member.code]))


@functools.lru_cache(maxsize=2048)
def qr_svg(url: str, label: str = "") -> str:
    """An inline SVG scaled by CSS (no width/height, no style attribute: CSP-safe).

    Cached: a wall of 60 members would otherwise encode 60 codes on every view.
    """
    return segno.make(url, error=ERROR, micro=False).svg_inline(
        scale=1, omitsize=True, svgclass="qr", lineclass=None, title=label or None
    )


def qr_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error=ERROR, micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg_data_uri(url: str) -> str:
    """For the PDF sheet, where WeasyPrint draws it as a vector image."""
    return segno.make(url, error=ERROR, micro=False).svg_data_uri(scale=1, omitsize=True)
