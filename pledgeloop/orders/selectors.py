"""Reads of orders that more than one page needs: the needs list, nearby open orders, and a
member's load (what the dispatch picker, the suggestions and the services count)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pledgeloop.lib.geo import box_around, degrees_for_km, squared_degrees, walking_minutes
from pledgeloop.people.models import Member

from .models import Dispatch, Order, OrderEvent

# --- a member's load --------------------------------------------------------------------
# The one definition: orders the member holds now (taken: Order.TAKEN) plus offers still
# waiting for their answer. Capacity is measured against it.


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(Subquery(qs.values("n"), output_field=IntegerField()), Value(0))


def member_load_subquery() -> Coalesce:
    """The load as an expression, to annotate a Member queryset with
    (``.annotate(load=member_load_subquery())``).

    Asked by the member's street as well as the member (a member holds and is offered only
    their own street's orders): each count is then an index-only probe of a street-led
    partial index (order_taken_street_member, dispatch_offered_street_member), not a read of
    every order the member ever held, once per member of a street the picker sorts."""
    taken = (
        Order.objects.filter(
            street_id=OuterRef("street_id"),
            assigned_member=OuterRef("pk"),
            state__in=sorted(Order.TAKEN),
        )
        .order_by()
        .values("assigned_member")
        .annotate(n=Count("*"))
    )
    offered = (
        Dispatch.objects.filter(
            street_id=OuterRef("street_id"), member=OuterRef("pk"), state=Dispatch.State.OFFERED
        )
        .order_by()
        .values("member")
        .annotate(n=Count("*"))
    )
    return _count(taken) + _count(offered)


def member_load(member: Member) -> int:
    """One member's load now, read through the same expression (one query)."""
    return (
        Member.objects.filter(pk=member.pk)
        .annotate(load=member_load_subquery())
        .values_list("load", flat=True)
        .get()
    )


# --- the needs list ----------------------------------------------------------------------


def needs_list(
    qs: QuerySet[Order],
    *,
    category=None,
    state=None,
    community=None,
    channel=None,
    overdue: bool = False,
    now: datetime | None = None,
    search: str | None = None,
) -> QuerySet[Order]:
    if search:
        qs = qs.filter(needs_search_q(search))
    if category:
        qs = qs.filter(category_id=category)
    if state:
        qs = qs.filter(state=state)
    if community:
        qs = qs.filter(community_id=community)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue:
        qs = qs.filter(Order.overdue_q(now))
    return qs.select_related("category", "community", "assigned_member__user")


def with_offered_to(qs: QuerySet[Order]) -> QuerySet[Order]:
    """The orders, each with `offered_to`: the name of the member (or team) its open offer
    waits on, or None (the desk chases whom an order was dispatched to). A subquery per
    listed row, not per order of the street."""
    offer = Dispatch.objects.filter(order=OuterRef("pk"), state=Dispatch.State.OFFERED)
    name = Coalesce(F("member__user__name"), F("team__name"))
    return qs.annotate(
        offered_to=Subquery(offer.order_by("-offered_at").annotate(name=name).values("name")[:1])
    )


def needs_search_q(text: str) -> Q:
    """What a desk worker types to find an order: its number (#680 or 680), the phone's last
    four digits (尾号) or the whole number; else the resident's name or words of the request
    or its address (a bare number is not looked for in the words: "2" is in most addresses)."""
    text = text.strip()
    number = text.removeprefix("#")
    if number.isascii() and number.isdigit():
        q = Q(pk=int(number)) if len(number) <= 9 else Q(pk__in=[])  # within the id's range
        if len(number) == 4:
            q |= Q(phone__endswith=number)
        elif len(number) == 11:
            q |= Q(phone=number)
        return q
    return (
        Q(contact_name__icontains=text)
        | Q(resident__name__icontains=text)
        | Q(description__icontains=text)
        | Q(address__icontains=text)
    )


def state_counts(qs: QuerySet[Order], now: datetime | None = None) -> dict:
    # COUNT(*), not of the id: the (street, state) index then answers alone (an index-only
    # scan), without reading the street's orders themselves.
    counts = dict(qs.values_list("state").annotate(n=Count("*")).order_by())
    counts["overdue"] = overdue_count(qs, now)
    return counts


def overdue_count(qs: QuerySet[Order], now: datetime | None = None) -> int:
    """How many of these orders are overdue (Order.overdue_q), in one query that reads
    indexes only: the waiting orders past either deadline, plus the taken orders past their
    finish deadline (two disjoint sets), each from its own street-led partial index
    (order_waiting_street_deadlines, order_taken_street_member) rather than the street's
    every order, which Order.overdue_q's one OR made PostgreSQL read. The two halves are
    Order.DEADLINES spelled out (OPEN_STATES = WAITING + TAKEN); orders/tests/
    test_selectors.py holds them to overdue_q's answer."""
    now = now or timezone.now()
    waiting = qs.filter(
        Q(respond_by__lt=now) | Q(finish_by__lt=now), state__in=sorted(Order.WAITING)
    )
    taken = qs.filter(finish_by__lt=now, state__in=sorted(Order.TAKEN))
    return (
        waiting.order_by()
        .values("street_id")
        .union(taken.order_by().values("street_id"), all=True)
        .count()
    )


@dataclass
class NearbyOrder:
    order: Order
    minutes: float | None


# Nearby orders are first looked for within this distance of the member's home (an index on
# the needs list's points finds them); the whole street is ordered only when fewer lie in it.
NEARBY_KM = 2.0


def open_orders_near(member: Member, *, limit: int = 50) -> list[NearbyOrder]:
    """Orders on the needs list in the member's street, nearest first by walking time: the
    first ``limit``, ordered and cut in the database.

    Orders without a point sort after those with one; ties go to the older order. Without
    a home point, the oldest first.
    """
    open_orders = Order.objects.filter(street_id=member.street_id, state=Order.State.TRIAGED)
    # The site with its compound: the list names both (Site.__str__).
    related = ("category", "community", "site__parent")
    home = (member.home_latitude, member.home_longitude)
    if None in home:
        orders = list(open_orders.select_related(*related).order_by("created_at", "pk")[:limit])
        return [NearbyOrder(order, None) for order in orders]
    lat, lng = float(home[0]), float(home[1])
    distance = squared_degrees("latitude", "longitude", lat, lng)
    nearest_first = (F("distance").asc(nulls_last=True), "created_at", "pk")

    def first(candidates) -> list[Order]:
        # The first `limit` chosen among the orders' own rows, then only those read whole
        # with their category, community and site, in any order (sorted below): joined
        # before the cut, every candidate was (the box's hundreds of orders, issue 17).
        chosen = candidates.order_by(*nearest_first).values("pk")[:limit]
        return list(Order.objects.filter(pk__in=chosen).select_related(*related))

    # Those in the box around home that lie within NEARBY_KM are nearer than any outside
    # it: when there are ``limit`` of them, they are the answer.
    lats, lngs = box_around(lat, lng, NEARBY_KM)
    by_distance = open_orders.alias(distance=distance)
    inside = by_distance.filter(
        latitude__range=lats, longitude__range=lngs, distance__lte=degrees_for_km(NEARBY_KM)
    )
    orders = first(inside)
    if len(orders) < limit:
        orders = first(by_distance)
    results = []
    for order in orders:
        minutes = None
        if order.latitude is not None and order.longitude is not None:
            minutes = walking_minutes(lat, lng, float(order.latitude), float(order.longitude))
        results.append(NearbyOrder(order, minutes))
    # Nearest first as the database chose them (the same distance, or none: the older, then
    # the first filed).
    results.sort(key=lambda r: (r.minutes is None, r.minutes or 0, r.order.created_at, r.order.pk))
    return results


def service_pressed_at(order: Order) -> datetime | None:
    """When the member holding the order last pressed "start service" since taking it (the
    start its service record counts from, when the member gives none), or None."""
    if order.accepted_at is None:
        return None
    return (
        OrderEvent.objects.filter(
            order=order, to_state=Order.State.IN_SERVICE, at__gte=order.accepted_at
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def offers_for(member: Member) -> QuerySet[Dispatch]:
    return (
        Dispatch.objects.filter(
            street_id=member.street_id, member=member, state=Dispatch.State.OFFERED
        )
        .select_related("order__category", "order__community")
        .order_by("respond_by")
    )


def orders_held_by(member: Member) -> QuerySet[Order]:
    return (
        Order.objects.filter(
            street_id=member.street_id, assigned_member=member, state__in=sorted(Order.TAKEN)
        )
        .select_related("category", "community")
        .order_by(F("finish_by").asc(nulls_last=True))
    )


def community_order_counts(community_ids) -> dict[int, dict]:
    """For the console's desk: per community, orders open, waiting to be triaged, overdue."""
    now = timezone.now()
    rows = (
        Order.objects.filter(community_id__in=community_ids, state__in=list(Order.OPEN_STATES))
        .values("community_id")
        .annotate(
            open=Count("id"),
            waiting=Count("id", filter=Q(state=Order.State.SUBMITTED)),
            overdue=Count("id", filter=Order.overdue_q(now)),
        )
        .order_by()
    )
    return {row["community_id"]: row for row in rows}
