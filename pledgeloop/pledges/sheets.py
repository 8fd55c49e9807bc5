"""A printable A4 PDF of every member's QR card for a community (WeasyPrint, Noto CJK)."""

from django.template.loader import render_to_string
from django.utils import timezone

from pledgeloop.lib.pdf import html_to_pdf
from pledgeloop.lib.qr import qr_svg_data_uri

CARDS_PER_PAGE = 4


def qr_cards_pdf(*, community, members, url_for) -> bytes:
    """`url_for(member)` gives the absolute address each card's QR code opens."""
    cards = [{"member": m, "url": url_for(m), "qr": qr_svg_data_uri(url_for(m))} for m in members]
    # Four cards to an A4 page, laid out page by page: sturdier than leaving it to pagination.
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    html = render_to_string(
        "pledges/qr_cards_pdf.html",
        {"community": community, "pages": pages, "printed_on": timezone.localdate()},
    )
    return html_to_pdf(html)
