"""Who may see and change which people: the one place these rules live (STYLE.md)."""

from django.db.models import QuerySet
from django.http import Http404

from pledgeloop.lib.params import parse_id
from pledgeloop.orgs.models import Community

from .models import Member, PhoneView, Resident, Role, User


def communities_administered(user: User) -> QuerySet[Community]:
    if not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(pk__in=user.admin_community_ids()).select_related("street")


def is_admin(user: User) -> bool:
    return user.is_authenticated and (
        user.has_role(Role.STREET_ADMIN) or user.has_role(Role.COMMUNITY_ADMIN)
    )


def residents_visible_to(user: User) -> QuerySet[Resident]:
    """The resident directory is staff's: admins see their communities' residents (street
    admins every community of their streets). Members have no directory (need to know,
    issue 13): they see a resident's details only on the orders they hold or held
    (orders.access.member_sees_contact) and on their own pledges; everyone else sees none."""
    if not user.is_authenticated:
        return Resident.objects.none()
    return Resident.objects.filter(community_id__in=user.admin_community_ids())


def members_visible_to(user: User) -> QuerySet[Member]:
    if not user.is_authenticated:
        return Member.objects.none()
    community_ids = user.admin_community_ids() | user.member_community_ids()
    return Member.objects.filter(community_id__in=community_ids)


def get_resident_for_user(user: User, pk: int) -> Resident:
    try:
        return residents_visible_to(user).select_related("community", "site").get(pk=pk)
    except Resident.DoesNotExist:
        raise Http404 from None


def get_member_for_user(user: User, pk: int) -> Member:
    try:
        return members_visible_to(user).select_related("user", "community").get(pk=pk)
    except Member.DoesNotExist:
        raise Http404 from None


def can_see_full_phone(user: User, resident: Resident) -> bool:
    """Only the admins of the resident's community (or its street) see the whole number."""
    return user.is_authenticated and resident.community_id in user.admin_community_ids()


def phone_views_visible_to(user: User) -> QuerySet[PhoneView]:
    """The access log of whole numbers: admins read their communities' rows (street admins
    every community of their streets); nobody else reads any."""
    if not is_admin(user):
        return PhoneView.objects.none()
    return PhoneView.objects.filter(community_id__in=user.admin_community_ids())


def get_community_for_admin(user: User, slug_or_pk) -> Community:
    """A community the user administers, or 404: used by imports and exports."""
    qs = communities_administered(user)
    pk = parse_id(str(slug_or_pk))
    lookup = {"pk": pk} if pk is not None else {"slug": slug_or_pk}
    try:
        return qs.get(**lookup)
    except (Community.DoesNotExist, Community.MultipleObjectsReturned):
        raise Http404 from None
