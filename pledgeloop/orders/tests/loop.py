"""Test helpers for the order loop: orders and members made through the real services."""

import datetime as dt
from decimal import Decimal

from django.db.models import F

from pledgeloop.conftest import make_user
from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, Role

HOME = (Decimal("31.956200"), Decimal("120.941800"))


def category(world, code: str = "repairs") -> Category:
    return Category.objects.get(street=world.street, code=code)


def new_order(world, *, community=None, code: str = "repairs", **fields) -> Order:
    community = community or world.community
    values = {
        "community": community,
        "category": Category.objects.get(street=community.street, code=code),
        "description": "厨房水龙头漏水，请帮忙修一下",
        "phone": "13812345678",
        "consent": True,
        "address": "阳光花园3幢201室",
        "latitude": HOME[0],
        "longitude": HOME[1],
        "contact_name": "王阿姨",
    }
    values.update(fields)
    return services.order_submit(**values)


def new_member(world, phone: str, name: str, *, community=None, capacity: int = 3, **fields):
    community = community or world.community
    user = make_user(phone, name, Role.MEMBER, community.street, community)
    return Member.objects.create(
        user=user,
        street=community.street,
        community=community,
        kind=Member.Kind.VOLUNTEER,
        capacity=capacity,
        **fields,
    )


def member_of(world) -> Member:
    return Member.objects.select_related("user").get(user=world.member)


def offer_of(order: Order) -> Dispatch | None:
    return order.dispatches.order_by("-offered_at", "-id").first()


def age(order: Order, hours: float = 3) -> Order:
    """The order's whole road so far moved `hours` into the past, as if it had been filed and
    taken that long ago: service hours can only count time since it was taken."""
    back = dt.timedelta(hours=hours)
    Order.objects.filter(pk=order.pk).update(
        created_at=F("created_at") - back,
        consent_at=F("consent_at") - back,
        triaged_at=F("triaged_at") - back,
        accepted_at=F("accepted_at") - back,
        respond_by=F("respond_by") - back,
        finish_by=F("finish_by") - back,
    )
    OrderEvent.objects.filter(order=order).update(at=F("at") - back)
    Dispatch.objects.filter(order=order).update(
        offered_at=F("offered_at") - back,
        respond_by=F("respond_by") - back,
        responded_at=F("responded_at") - back,
    )
    return Order.objects.get(pk=order.pk)


def triaged_order(world, **fields) -> Order:
    order = new_order(world, **fields)
    return services.order_triage(order=order, by=world.community_admin)


def dispatched_order(world, member: Member | None = None, **fields) -> tuple[Order, Dispatch]:
    order = triaged_order(world, **fields)
    dispatch = services.order_dispatch(
        order=order, member=member or member_of(world), by=world.community_admin
    )
    return Order.objects.get(pk=order.pk), dispatch


def bring_to(world, state: str) -> Order:
    """An order in `state`, reached through the services along the usual road.

    Where the road can pass a dispatch it does, so that answering an offer can be tried from
    every state: `triaged` (and the side exits after it) carry a declined offer, `cancelled`
    a withdrawn one.
    """
    admin, member = world.community_admin, member_of(world)
    order = new_order(world)
    if state == Order.State.SUBMITTED:
        return order
    order = services.order_triage(order=order, by=admin)
    dispatch = services.order_dispatch(order=order, member=member, by=admin)
    if state == Order.State.DISPATCHED:
        return Order.objects.get(pk=order.pk)
    if state == Order.State.CANCELLED:
        return services.order_cancel(order=order, reason="不需要了")
    if state in {Order.State.TRIAGED, Order.State.REJECTED, Order.State.EXPIRED}:
        order = services.dispatch_decline(dispatch=dispatch, member=member, reason="出差")
        if state == Order.State.REJECTED:
            order = services.order_reject(order=order, by=admin, reason="不在服务范围")
        elif state == Order.State.EXPIRED:
            order = services.order_expire(order=order, reason="期望时间已过")
        return order
    order = services.dispatch_accept(dispatch=dispatch, member=member)
    if state == Order.State.ACCEPTED:
        return order
    order = services.order_start(order=order, member=member)
    if state == Order.State.IN_SERVICE:
        return order
    order = age(order)
    order, _record = services.order_finish(order=order, member=member, hours=Decimal("1.5"))
    if state == Order.State.DONE:
        return order
    assert state == Order.State.REVIEWED
    return services.order_mark_reviewed(order=order, by_label="王阿姨")
