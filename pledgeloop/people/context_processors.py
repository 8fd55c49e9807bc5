"""The member navigation (issue 14): one set of tabs, the same on every page a member sees.

A user who is a member and administers nothing gets the tabs under the top bar on every page
(base.html), and the pages' own top links are left out, so the menu never changes from page
to page. Admins keep their console links.
"""

from functools import cache

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Role

# (URL name, label, icon of lib.icons): reversed by name, so this app need not import the
# apps above it.
# Five tabs share a 360 px phone: the English labels are short ones of their own ("Nearby
# needs" showed as "Nearby n…", the current tab's bold "My pledges" as "My pledg…"); in
# Chinese they read 我的订单, 附近需求, 我的承诺, 我的服务 as before.
TABS = [
    ("people:member_home", _("Home"), "home"),
    ("orders:member_orders", pgettext_lazy("member tab", "Orders"), "clipboard-list"),
    ("orders:member_nearby", pgettext_lazy("member tab", "Nearby"), "map-pin"),
    ("pledges:mine", pgettext_lazy("member tab", "Pledges"), "heart-handshake"),
    ("service:mine", pgettext_lazy("member tab", "Service"), "clock"),
]


def member_tabs(path: str) -> list[dict]:
    tabs = [{"url": reverse(name), "label": label, "icon": icon} for name, label, icon in TABS]
    # The tab whose address is the longest start of the page's: /me/orders/nearby/ is
    # "nearby", /me/orders/3/ "my orders", /me/patrol/ home.
    current = max(
        (t for t in tabs if path.startswith(t["url"])), key=lambda t: len(t["url"]), default=None
    )
    for tab in tabs:
        tab["current"] = tab is current
    return tabs


def member_nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def tabs():
        # From the role grants alone (one query, cached on the user): a member who
        # administers nothing. The member pages themselves refuse a member who has left.
        roles = {grant.role for grant in user.grants}
        if Role.MEMBER not in roles or roles & {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}:
            return []
        return member_tabs(request.path)

    return {"member_tabs": tabs}
