"""The community console's home pages: the street's overview and one community's desk.

Later capabilities (needs list, dispatch, pledges) hang their pages off these.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.notify.access import notifications_administered_by
from pledgeloop.notify.selectors import outbox_stalled
from pledgeloop.orders.selectors import community_order_counts
from pledgeloop.orgs.models import Community, Street
from pledgeloop.orgs.services import community_phone_set
from pledgeloop.people import access
from pledgeloop.people.models import Role


def _period_context() -> dict:
    """The current quarter and year, for links to showcases, assessments and annual reviews."""
    today = timezone.localdate()
    return {"quarter": f"{today.year}q{(today.month - 1) // 3 + 1}", "year": today.year}


def _community_table(community_ids) -> list[Community]:
    """The communities with their member and resident counts, and their orders open, waiting
    to be triaged and overdue (`order_counts`)."""
    communities = list(
        Community.objects.filter(pk__in=community_ids)
        .select_related("street")
        .annotate(
            member_count=Count("members", filter=Q(members__active=True), distinct=True),
            resident_count=Count("residents", distinct=True),
        )
        .order_by("street__slug", "slug")
    )
    counts = community_order_counts([c.pk for c in communities])
    for community in communities:
        community.order_counts = counts.get(community.pk, {})
    return communities


@login_required
def home(request):
    if not access.is_admin(request.user):
        raise PermissionDenied
    communities = _community_table(request.user.admin_community_ids())
    return render(
        request,
        "console/home.html",
        {
            "communities": communities,
            "stalled": outbox_stalled(notifications_administered_by(request.user)),
            **_period_context(),
        },
    )


@login_required
def street_home(request):
    if not request.user.has_role(Role.STREET_ADMIN):
        raise PermissionDenied
    streets = Street.objects.filter(pk__in=request.user.admin_street_ids())
    communities = _community_table(request.user.admin_community_ids())
    totals = {
        "members": sum(c.member_count for c in communities),
        "residents": sum(c.resident_count for c in communities),
        "communities": len(communities),
        "open": sum(c.order_counts.get("open", 0) for c in communities),
        "overdue": sum(c.order_counts.get("overdue", 0) for c in communities),
    }
    return render(
        request,
        "console/street_home.html",
        {
            "streets": streets,
            "communities": communities,
            "totals": totals,
            "stalled": outbox_stalled(notifications_administered_by(request.user)),
            **_period_context(),
        },
    )


@login_required
@require_POST
def community_phone(request, pk: int):
    """The number residents are given to call, set by an admin of the community."""
    if pk not in request.user.admin_community_ids():
        raise PermissionDenied
    community = get_object_or_404(Community, pk=pk)
    try:
        community_phone_set(community=community, phone=request.POST.get("phone", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if community.phone:
            messages.success(
                request,
                _("Residents of %(community)s are now given %(phone)s to call.")
                % {"community": community.name, "phone": community.phone},
            )
        else:
            messages.success(
                request,
                _("Residents of %(community)s are given no number now.")
                % {"community": community.name},
            )
    return redirect("console:home")
