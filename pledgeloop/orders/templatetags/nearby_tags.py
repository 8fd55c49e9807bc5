"""`{% nearby_cards nearby %}`: the cards of the member's nearby list, written in one pass.

Fifty cards of a dozen values each cost the template engine half a millisecond a card, two
thirds of the page's time (issue 17); here each card is one str.format of escaped texts.
The markup is the card's as the template had it (the head of orders/member/_card_head.html
written out, the claim button, the link to the order); the addresses are built from a
prefix reversed once, the words translated once.
"""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import template
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from pledgeloop.lib.icons import icon_for_emoji, icon_svg

from .order_tags import order_state

register = template.Library()

# A stand-in id, reversed once: the addresses of every order are its prefix and suffix.
_PK = 987654321
_ONE = Decimal(1)

CARD = (
    '\n<article class="card order-card" data-order="{pk}">\n'
    '  <p class="order-card-head"><a href="{url}"><strong>{icon} {category}</strong> #{pk}</a>'
    " {state}</p>\n"
    '  <p class="order-card-text">{text}</p>\n'
    '  <p class="hint">{community}{site}{walk}</p>\n'
    '  <div class="order-card-actions">\n'
    '    <form method="post" action="{claim}">{csrf}\n'
    '      <button type="submit" class="primary">{take}</button>\n'
    "    </form>\n"
    '    <a class="button" href="{url}">{details}</a>\n'
    "  </div>\n"
    "</article>\n"
)


def _around(url: str) -> tuple[str, str]:
    before, after = escape(url).split(str(_PK))
    return before, after


def _truncated(text: str) -> str:
    """|truncatechars:80 (Truncator.chars): the text in NFC, cut when longer than 80."""
    normal = unicodedata.normalize("NFC", text)
    return normal if len(normal) <= 80 else Truncator(text).chars(80)


@register.simple_tag(takes_context=True)
def nearby_cards(context, nearby) -> SafeString:
    """The cards of `nearby` (orders.selectors.NearbyOrder), nearest first. Every text is
    escaped as the template's autoescape would (html.escape, as django.utils.html.escape);
    the state and the icon are markup already (order_state, icon_svg)."""
    detail = _around(reverse("orders:member_order", args=[_PK]))
    claim = _around(reverse("orders:member_order_action", args=[_PK, "claim"]))
    csrf = csrf_input(context.request)
    take, details = escape(_("Take this order")), escape(_("Details"))
    walk = _("%(m)s min walk")
    icons: dict[str, str] = {}
    walks: dict[int, str] = {}
    states: dict[tuple[str, bool], str] = {}
    cards = []
    for item in nearby:
        order = item.order
        category = order.category
        icon = icons.get(category.icon)
        if icon is None:
            icon = icons[category.icon] = icon_svg(icon_for_emoji(category.icon))
        # order_state shows the state and whether it is overdue, nothing else of the order.
        shown = (order.state, order.overdue)
        state = states.get(shown)
        if state is None:
            state = states[shown] = order_state(order)
        minutes = ""
        if item.minutes is not None:
            # |floatformat:0 of the minutes is that of them rounded half up (as it rounds):
            # formatted once for each whole number of minutes the list shows.
            whole = int(Decimal(str(item.minutes)).quantize(_ONE, ROUND_HALF_UP))
            minutes = walks.get(whole)
            if minutes is None:
                shown = escape(walk % {"m": floatformat(whole, 0)})
                minutes = walks[whole] = f" · <strong>{shown}</strong>"
        cards.append(
            CARD.format(
                pk=order.pk,
                url=f"{detail[0]}{order.pk}{detail[1]}",
                icon=icon,
                category=escape(category.name),
                state=state,
                text=escape(_truncated(order.description)),
                community=escape(order.community.name),
                site=f" · {escape(str(order.site))}" if order.site else "",
                walk=minutes,
                claim=f"{claim[0]}{order.pk}{claim[1]}",
                csrf=csrf,
                take=take,
                details=details,
            )
        )
    return mark_safe("".join(cards))  # noqa: S308 - every text in it escaped above
