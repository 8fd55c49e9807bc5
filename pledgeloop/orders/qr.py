"""QR codes that open the resident intake page (DESIGN.md C2) and tracking links, with segno.

    url = intake_url_for_site(request, site)        # https://host/order/site/42/?via=qr
    svg = qr_svg(url)                               # <svg …> text, inline or as a .svg file
    png = qr_png(url)                               # PNG bytes

`?via=qr` marks the order's channel as "QR code" when it is filed from the printed code.
"""

import io

import segno
from django.urls import reverse

from pledgeloop.orgs.models import Community, Site

VIA_QR = "qr"


def intake_url_for_community(request, community: Community) -> str:
    path = reverse("orders:new_in_community", args=[community.street.slug, community.slug])
    return request.build_absolute_uri(f"{path}?via={VIA_QR}")


def intake_url_for_site(request, site: Site) -> str:
    path = reverse("orders:new_at_site", args=[site.pk])
    return request.build_absolute_uri(f"{path}?via={VIA_QR}")


def _code(url: str) -> segno.QRCode:
    # Level M survives a scuffed or partly covered print and stays small enough to scan.
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, scale: int = 4, title: str = "") -> str:
    """A standalone SVG (with its namespace, without an XML declaration): embed or serve.

    It carries both a viewBox and a natural width and height, so CSS may resize it freely.
    """
    code = _code(url)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        omitsize=True,
        svgclass="qr",
        title=title or None,
    )
    width, height = code.symbol_size(scale=scale, border=4)
    svg = buffer.getvalue().decode("utf-8")
    return svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
