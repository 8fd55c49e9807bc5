"""Who may see and act on which orders: the one place these rules live."""

import operator
import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from functools import reduce

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pledgeloop.orgs.models import Community
from pledgeloop.people.consents import appears_publicly
from pledgeloop.people.models import Member, Role, User
from pledgeloop.service.models import ServicePhoto, ServiceRecord

from .models import Dispatch, Order, OrderEvent


def orders_administered_by(user: User) -> QuerySet[Order]:
    """Street admins: every community of their streets; community admins: their own."""
    if not user.is_authenticated:
        return Order.objects.none()
    # By street for a street admin (no list of its communities to read), and a community
    # admin's communities within their street: the street is the key the hot indexes lead
    # with, such as the needs list's newest open orders (order_open_street_newest), and an
    # equality on it lets an index give the rows in its order.
    streets = user.admin_street_ids()
    communities = defaultdict(set)
    for grant in user.grants:
        if grant.role == Role.COMMUNITY_ADMIN and grant.street_id not in streets:
            communities[grant.street_id].add(grant.community_id)
    scopes = [Q(street_id=street_id) for street_id in sorted(streets)]
    scopes += [
        Q(street_id=street_id, community_id__in=sorted(ids))
        for street_id, ids in sorted(communities.items())
    ]
    if not scopes:
        return Order.objects.none()
    return Order.objects.filter(reduce(operator.or_, scopes))


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
    """A member opens orders assigned to them, offered to them, or open in their street;
    any other order is a 404. Opening one is not seeing its resident: what of the person the
    page shows is member_sees_contact's to say."""
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


def get_order_to_claim(member: Member, pk: int) -> Order:
    """An order of the member's street that has been on the needs list, whatever its state
    now: a claim that lost the race (or came late) is answered by order_claim's message
    ("another member has taken it"), not a 404 (issue 12). Orders members never saw listed
    (not yet accepted by the community, or of another street) stay a 404."""
    try:
        return Order.objects.get(pk=pk, street_id=member.street_id, triaged_at__isnull=False)
    except Order.DoesNotExist:
        raise Http404 from None


def member_sees_contact(
    member: Member | None, order: Order, *, now: datetime | None = None
) -> bool:
    """Need to know (issue 13): the resident's name, address and number (masked) only for
    the member holding the order, and for MEMBER_CONTACT_DAYS_AFTER_DONE days after they
    finished it. An order open on the needs list, offered, handed back or finished longer
    ago shows the compound and the need, not the person."""
    if member is None or order.assigned_member_id != member.pk:
        return False
    if order.state in Order.TAKEN:
        return True
    if order.state in (Order.State.DONE, Order.State.REVIEWED) and order.done_at is not None:
        kept = timedelta(days=settings.MEMBER_CONTACT_DAYS_AFTER_DONE)
        return (now or timezone.now()) - order.done_at <= kept
    return False


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


# --- photos (DESIGN.md C12) --------------------------------------------------------------------
#
# A photo of an order (a resident's or a patrol report's) or of a service is shown to the
# people who need it and to nobody else; everyone else gets a 404. The tracking link's token
# stands for the resident who filed the order, without an account.


def _token_matches(token: str, order: Order | None) -> bool:
    return bool(token) and order is not None and secrets.compare_digest(token, order.tracking_token)


def _held_order(user: User, order: Order) -> bool:
    """The user's member holds the order now, took it once (claimed or accepted an offer), or
    served in one of its records."""
    if order.assigned_member_id and order.assigned_member.user_id == user.pk:
        return True
    took = OrderEvent.objects.filter(order=order, by=user, action__in=["claim", "accept"])
    served = ServiceRecord.objects.filter(order=order, participants__member__user=user)
    return took.exists() or served.exists()


def order_photo_visible(user: User, order: Order, *, token: str = "") -> bool:
    """The order's community admins (street admins included), the member who holds or held
    it, whoever filed it (a patrolling member, the staff at the desk, the resident signed in)
    and the resident through the tracking link. Order photos never appear on public pages."""
    if not order.photo:
        return False
    if _token_matches(token, order):
        return True
    if not user.is_authenticated:
        return False
    if order.community_id in user.admin_community_ids():
        return True
    if order.created_by_id == user.pk:
        return True
    if order.resident_id and order.resident.user_id == user.pk:
        return True
    return _held_order(user, order)


def service_photo_visible(user: User, photo: ServicePhoto, *, token: str = "") -> bool:
    """The record's community admins, the members who served and whoever logged it, the
    member who held its order and the resident through that order's tracking link; anyone
    when the beneficiary gave (and has not withdrawn) consent to appear on public pages."""
    record = photo.record
    order = record.order
    if _token_matches(token, order):
        return True
    if record.beneficiary_id and appears_publicly(record.beneficiary):
        return True
    if not user.is_authenticated:
        return False
    if record.community_id in user.admin_community_ids():
        return True
    if record.created_by_id == user.pk:
        return True
    if record.participants.filter(member__user=user).exists():
        return True
    return order is not None and _held_order(user, order)
