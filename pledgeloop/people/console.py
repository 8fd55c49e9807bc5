"""Console page: the access log of whole phone numbers (issue 13), for the admins of the
communities it concerns (mounted under /console/people/phone-views/ by console/urls.py)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from pledgeloop.lib.params import query_id

from . import access


@login_required
def phone_views(request):
    """Who saw whose whole number, why, where and when: a community admin reads their
    community's rows, a street admin those of every community of their streets."""
    if not access.is_admin(request.user):
        raise PermissionDenied
    rows = access.phone_views_visible_to(request.user)
    community = query_id(request.GET, "community")
    if community is not None:
        rows = rows.filter(community_id=community)
    rows = rows.select_related("viewer", "community").order_by("-viewed_at", "-id")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "people/phone_views.html",
        {
            "page": page,
            "community": "" if community is None else str(community),
            "communities": access.communities_administered(request.user).order_by("slug"),
        },
    )
