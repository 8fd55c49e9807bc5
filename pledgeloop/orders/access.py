"""Who may see and act on which orders: the one place these rules live."""

from django.db.models import QuerySet
from django.http import Http404

from pledgeloop.orgs.models import Community
from pledgeloop.people.models import Member, User

from .models import Dispatch, Order


def orders_administered_by(user: User) -> QuerySet[Order]:
    """Street admins: every community of their streets; community admins: their own."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(community_id__in=user.admin_community_ids())


def get_order_for_admin(user: User, pk: int) -> Order:
    try:
        return (
            orders_administered_by(user)
            .select_related("category", "community", "site", "assigned_member__user", "resident")
            .get(pk=pk)
        )
    except Order.DoesNotExist:
        raise Http404 from None


def member_of(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user, active=True).select_related("community").first()


def get_order_for_member(member: Member, pk: int) -> Order:
    """A member sees orders assigned to them, offered to them, or open in their street."""
    qs = Order.objects.select_related("category", "community", "site", "resident")
    try:
        order = qs.get(pk=pk, street_id=member.street_id)
    except Order.DoesNotExist:
        raise Http404 from None
    if order.assigned_member_id == member.pk or order.state == Order.State.TRIAGED:
        return order
    if Dispatch.objects.filter(order=order, member=member).exists():
        return order
    raise Http404


def member_sees_full_phone(member: Member | None, order: Order) -> bool:
    """Only the assigned member (while they hold the order) sees the resident's whole number."""
    return (
        member is not None and order.assigned_member_id == member.pk and order.state in Order.TAKEN
    )


def get_offer_for_member(member: Member, dispatch_id: int) -> Dispatch:
    try:
        return Dispatch.objects.select_related("order").get(pk=dispatch_id, member=member)
    except Dispatch.DoesNotExist:
        raise Http404 from None


def admin_sees_full_phone(user: User, order: Order) -> bool:
    """Admins of the order's community (or its street) may reveal the whole number, logged."""
    return user.is_authenticated and order.community_id in user.admin_community_ids()


def patrol_communities(member: Member) -> QuerySet[Community]:
    """A patrolling member (红骑士) reports problems in any community of their street."""
    return Community.objects.filter(street_id=member.street_id).order_by("slug")
