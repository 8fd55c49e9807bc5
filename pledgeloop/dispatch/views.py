"""Suggested dispatch in the community console (智能派单建议, DESIGN.md C3).

GET shows the engine's suggestion for the admin's triaged orders as a review table; POST
confirms the rows the admin kept ticked, one ``order_dispatch`` (its own transaction) per
row. Posted ids are never trusted: each order is looked up again within the admin's scope,
and the service re-checks its state, the member's street and room under a lock.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from pledgeloop.lib.params import MAX_IDS, parse_id, query_id, query_int
from pledgeloop.orders import access, services
from pledgeloop.orders.models import OrderError, OrderEvent
from pledgeloop.people import access as people_access

from . import suggestions
from .forms import DEFAULT_RESPONSE_HOURS, RESPONSE_HOURS


def _require_admin(user) -> None:
    if not people_access.is_admin(user):
        raise PermissionDenied


def _chosen_community(pk: int | None, communities) -> int | None:
    """A community of the admin's scope, or None for all of it (a street admin's street)."""
    return next((c.pk for c in communities if c.pk == pk), None)


@login_required
def suggest(request):
    _require_admin(request.user)
    if request.method == "POST":
        return _confirm(request)
    communities = list(people_access.communities_administered(request.user).order_by("slug"))
    chosen = _chosen_community(query_id(request.GET, "community"), communities)
    orders = suggestions.triaged_orders(request.user, chosen)
    context = {
        "suggestion": suggestions.suggest(orders),
        "communities": communities,
        "chosen": chosen,
        "show_community": len(communities) > 1,
        "hours_choices": RESPONSE_HOURS,
        "default_hours": DEFAULT_RESPONSE_HOURS,
        "next": request.get_full_path(),
        "continuity_bonus": f"{suggestions.CONFIG.continuity_bonus:g}",
    }
    return render(request, "dispatch/suggest.html", context)


def _picks(request) -> list[tuple[int, int]]:
    """Posted "order:member" pairs, first one per order; anything malformed is dropped."""
    picks, seen = [], set()
    for value in request.POST.getlist("pick")[:MAX_IDS]:
        order_text, _sep, member_text = value.partition(":")
        order_id, member_id = parse_id(order_text), parse_id(member_text)
        if order_id is not None and member_id is not None and order_id not in seen:
            seen.add(order_id)
            picks.append((order_id, member_id))
    return picks


def _hours(request) -> int:
    hours = query_int(request.POST, "hours", default=DEFAULT_RESPONSE_HOURS, minimum=1, maximum=48)
    return hours if hours in RESPONSE_HOURS else DEFAULT_RESPONSE_HOURS


def _confirm(request):
    picks = _picks(request)
    if not picks:
        messages.error(request, _("Tick at least one suggestion to confirm."))
        return _back(request)
    orders = {
        o.pk: o
        for o in access.orders_administered_by(request.user)
        .filter(pk__in=[order_id for order_id, _m in picks])
        .select_related("category", "community", "site")
    }
    members = {
        m.pk: m for m in suggestions.candidate_members({o.street_id for o in orders.values()})
    }
    served = suggestions.last_served(o.resident_id for o in orders.values())
    respond_by = services.reply_deadline(timezone.now(), timedelta(hours=_hours(request)))
    pending: dict[int, int] = {}
    done, refused = [], []
    for order_id, member_id in picks:
        order = orders.get(order_id)
        if order is None:
            refused.append(_("#%(n)s: this order is not in your communities.") % {"n": order_id})
            continue
        member = members.get(member_id)
        if member is None or member.street_id != order.street_id:
            refused.append(
                _("#%(n)s: that member is not an active member of this street.") % {"n": order_id}
            )
            continue
        terms = suggestions.pairing_terms(order, member, served, pending)
        try:
            services.order_dispatch(
                order=order,
                member=member,
                by=request.user,
                respond_by=respond_by,
                source=OrderEvent.Source.CONSOLE,
                suggested=terms,
            )
        except OrderError as error:
            refused.append(_("#%(n)s: %(reason)s") % {"n": order_id, "reason": error})
        else:
            pending[member_id] = pending.get(member_id, 0) + 1
            done.append(f"#{order_id} → {member.name}")
    if done:
        messages.success(
            request,
            _("Dispatched %(n)s orders: %(list)s.") % {"n": len(done), "list": _(", ").join(done)},
        )
    for line in refused:
        messages.error(request, line)
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    if safe and target.startswith(reverse("console:home")):
        return redirect(target)
    url = reverse("console:dispatch:suggest")
    community = query_id(request.POST, "community")
    return redirect(url + ("?" + urlencode({"community": community}) if community else ""))
