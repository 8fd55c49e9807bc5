"""Who may see and change reviews, assessments and annual scores: the one place these rules live.

- A review link is its own key (see links.py): no login.
- A member writes their own self-assessment only.
- Community admins (street admins: every community of their streets) assess the members of
  their communities and see those members' annual scores; street admins edit their street's
  weights. A member sees their own annual drill-down.
- Anything else is a 404, so that existence does not leak.
"""

from django.http import Http404

from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.access import communities_administered
from pledgeloop.people.models import Member, User
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import record_id_from_token


def get_record_for_token(token: str) -> ServiceRecord:
    record_id = record_id_from_token(token)
    if record_id is None:
        raise Http404
    try:
        return ServiceRecord.objects.select_related("category", "order", "community").get(
            pk=record_id
        )
    except ServiceRecord.DoesNotExist:
        raise Http404 from None


def get_own_member(user: User) -> Member:
    if not user.is_authenticated:
        raise Http404
    try:
        return Member.objects.select_related("user", "community", "street").get(user=user)
    except Member.DoesNotExist:
        raise Http404 from None


def get_community_to_assess(user: User, community_id: int) -> Community:
    try:
        return communities_administered(user).get(pk=community_id)
    except Community.DoesNotExist:
        raise Http404 from None


def get_street_administered(user: User, slug: str) -> Street:
    if not user.is_authenticated or not user.admin_street_ids():
        raise Http404
    try:
        return Street.objects.get(slug=slug, pk__in=user.admin_street_ids())
    except Street.DoesNotExist:
        raise Http404 from None


def annual_communities_for(user: User, street: Street) -> list[Community]:
    """The communities of `street` whose annual scores the user may see (none: 404), read
    once (the page's choice of community and its scope come from the same list)."""
    communities = list(communities_administered(user).filter(street=street))
    if not communities:
        raise Http404
    return communities


def get_member_for_annual(user: User, street: Street, member_id: int) -> Member:
    """A member's drill-down: the member themself, or an admin of the member's community."""
    if not user.is_authenticated:
        raise Http404
    try:
        member = Member.objects.select_related("user", "community", "street").get(
            pk=member_id, street=street
        )
    except Member.DoesNotExist:
        raise Http404 from None
    if member.user_id == user.pk:
        return member
    if member.community_id in user.admin_community_ids():
        return member
    raise Http404


def get_showcase_community(community_slug: str, street_slug: str | None) -> Community:
    """The public showcase's community. A community slug is unique within its street only:
    `?street=<slug>` chooses among streets; without it the first street (by id) wins."""
    qs = Community.objects.select_related("street").filter(slug=community_slug)
    if street_slug:
        qs = qs.filter(street__slug=street_slug)
    community = qs.order_by("street_id", "pk").first()
    if community is None:
        raise Http404
    return community
