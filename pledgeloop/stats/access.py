"""Who may see which indicators: the one place these rules live (STYLE.md).

The dashboard is for street admins (any community of their streets, or the whole street) and
community admins (their own community only). Members, residents and outsiders get 403; the
public headline page needs no sign-in and shows no personal data.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.models import Role, User


@dataclass
class DashboardScope:
    street: Street
    community: Community | None  # None: the whole street
    communities: list[Community]  # the ones this user may choose from
    whole_street_allowed: bool


def dashboard_scope_for(user: User, *, community_id: int | None = None) -> DashboardScope:
    if not user.is_authenticated:
        raise PermissionDenied
    street_ids = user.admin_street_ids()
    community_ids = user.admin_community_ids()
    if not community_ids and not street_ids:
        raise PermissionDenied
    communities = list(
        Community.objects.filter(pk__in=community_ids)
        .select_related("street")
        .order_by("street__slug", "slug")
    )
    chosen = None
    if community_id:
        chosen = next((c for c in communities if c.pk == community_id), None)
        if chosen is None:
            raise Http404
    if chosen is None and not street_ids:
        chosen = communities[0]  # a community admin sees their own community only
    if chosen:
        street = chosen.street
    else:  # the street of the admin's grant (read with it), not read again
        first = min(street_ids)
        street = next(
            g.street for g in user.grants if g.role == Role.STREET_ADMIN and g.street_id == first
        )
    return DashboardScope(
        street=street,
        community=chosen,
        communities=[c for c in communities if c.street_id == street.pk],
        whole_street_allowed=street.pk in street_ids,
    )
