"""Annual review exports: Excel (XlsxWriter, via lib.spreadsheets) and PDF (WeasyPrint).

The PDF names its font "Noto Sans CJK SC" (Debian's fonts-noto-cjk) so that Chinese renders.
Both print the figures of `AnnualScore` as they are (already rounded by annual.one_decimal),
so the page, the Excel and the PDF cannot disagree on a number.
"""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from pledgeloop.lib.pdf import html_to_pdf
from pledgeloop.lib.spreadsheets import build_xlsx

from .annual import COMPONENT_LABELS, NO_RECORD, AnnualScore
from .models import ReviewWeights


def _cell(value: Decimal | None):
    """A rounded figure as the page prints it (no second rounding), or 无记录."""
    return str(NO_RECORD) if value is None else float(value)


def annual_xlsx(*, scores: list[AnnualScore], weights: ReviewWeights, title: str) -> bytes:
    headers = [
        _("Community"),
        _("Member"),
        *[f"{COMPONENT_LABELS[k]} ({getattr(weights, k)}%)" for k in ReviewWeights.COMPONENTS],
        _("Score"),
        _("Grade"),
    ]
    rows = [
        [
            s.member.community.name,
            s.member.name,
            *[_cell(p) for p in s.percents],
            None if s.score is None else float(s.score),
            str(s.grade),
        ]
        for s in scores
    ]
    totals = [_("Total"), str(len(scores))] + [None] * (len(headers) - 2)
    return build_xlsx(title=title, headers=headers, rows=rows, totals=totals)


def annual_pdf(*, scores: list[AnnualScore], weights: ReviewWeights, title: str, request) -> bytes:
    html = render_to_string(
        "reviews/annual_pdf.html",
        {
            "scores": scores,
            "weights": weights,
            "title": title,
            "labels": [COMPONENT_LABELS[k] for k in ReviewWeights.COMPONENTS],
            "keys": ReviewWeights.COMPONENTS,
        },
        request=request,
    )
    return html_to_pdf(html)
