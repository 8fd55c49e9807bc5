"""Suggested dispatch (智能派单建议, DESIGN.md §6 and C3): the Django side of the engine.

Selectors turn triaged orders and the street's active members into the engine's plain data
(``engine.Order``, ``engine.Member``), run ``engine.suggest`` or ``engine.candidates_for``
and hand back rows the console shows. Nothing here writes: confirming a suggestion goes
through ``orders.services.order_dispatch`` in the view. A fixed number of queries per call,
however many orders or members there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.geo import box_around
from pledgeloop.orders import access
from pledgeloop.orders.models import Order
from pledgeloop.orders.selectors import member_load_subquery
from pledgeloop.people.models import Member
from pledgeloop.service.models import ServiceParticipant

from . import engine

CONFIG = engine.DispatchConfig()
NO_LOCATION = _("The order has no map location: no building and no map point.")
NO_MEMBERS = _("No active member of the street has a home point on the map.")
RULE_TEXT = {
    engine.Rule.NO_SKILL: _("no skill for this category"),
    engine.Rule.OUT_OF_RANGE: _("lives beyond the walking range"),
    engine.Rule.NOT_AVAILABLE: _("not available in the wanted time"),
    engine.Rule.AT_CAPACITY: _("already at capacity"),
}


# --- rows the console shows ----------------------------------------------------------------


@dataclass
class Option:
    """A member for an order, with the cost terms (minutes) the engine gave the pairing."""

    member: Member
    walk_minutes: float
    terms: engine.CostTerms
    has_room: bool = True
    broken: tuple[str, ...] = ()  # rule texts, for infeasible candidates

    @property
    def feasible(self) -> bool:
        return not self.broken

    @property
    def at_capacity(self) -> bool:
        return str(RULE_TEXT[engine.Rule.AT_CAPACITY]) in self.broken

    @property
    def cost_in_words(self) -> list[str]:
        """The engine's cost said as its reasons: the walk, the orders already in hand (the
        load term that spreads work), the bonus for having served the resident before, and
        the sum the engine compares (minutes; lower comes first)."""
        words = [gettext("about %(m)s min walk") % {"m": f"{self.walk_minutes:.1f}"}]
        load = getattr(self.member, "load", None)
        if load is not None:
            words.append(
                gettext("%(n)s orders in hand; taking this one counts as %(t)s min more walk")
                % {"n": load, "t": f"{self.terms.load:.1f}"}
            )
        else:
            words.append(
                gettext("taking this one counts as %(t)s min more walk")
                % {"t": f"{self.terms.load:.1f}"}
            )
        if self.terms.continuity:
            words.append(
                gettext("served this resident before, counted as %(t)s min less")
                % {"t": f"{self.terms.continuity:.1f}"}
            )
        words.append(gettext("%(t)s min in all") % {"t": f"{self.terms.total:.1f}"})
        return words


@dataclass
class Row:
    """One order of the review table: the suggested member, or why there is none."""

    order: Order
    choice: Option | None = None
    reason: str = ""
    alternatives: list[Option] = field(default_factory=list)

    @property
    def suggested(self) -> dict | None:
        """What Dispatch.suggested stores: the terms that decided the suggestion."""
        return terms_record(self.choice.terms, self.choice.walk_minutes) if self.choice else None


@dataclass
class Suggestion:
    rows: list[Row]
    assigned: int
    orders: int
    mean_walk_minutes: float

    @property
    def assigned_rows(self) -> list[Row]:
        return [r for r in self.rows if r.choice]

    @property
    def unassigned_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.choice]


def terms_record(terms: engine.CostTerms, walk_minutes: float) -> dict:
    return {
        "walk_minutes": walk_minutes,
        "walk": terms.walk,
        "load": terms.load,
        "continuity": terms.continuity,
        "total": terms.total,
    }


# --- selectors -----------------------------------------------------------------------------


def triaged_orders(user, community_id: int | None = None) -> list[Order]:
    """The triaged orders in the admin's scope (one community of it, if chosen)."""
    orders = access.orders_administered_by(user).filter(state=Order.State.TRIAGED)
    if community_id is not None:
        orders = orders.filter(community_id=community_id)
    return list(
        orders.select_related("category", "community", "site").order_by(
            "respond_by", "created_at", "pk"
        )
    )


def candidate_members(
    street_ids, *, near: tuple[float, float, float] | None = None
) -> list[Member]:
    """Active members of these streets, each with ``load`` (orders.selectors'
    member_load_subquery) and ``skill_ids``; two queries in all. ``near`` (latitude,
    longitude, km) keeps those whose home point lies in the box around that point."""
    members = Member.objects.filter(street_id__in=list(street_ids), active=True)
    if near is not None:
        lats, lngs = box_around(*near)
        members = members.filter(home_latitude__range=lats, home_longitude__range=lngs)
    members = list(
        members.select_related("user", "community")
        .annotate(load=member_load_subquery())
        .order_by("pk")
    )
    skills = defaultdict(set)
    through = Member.skills.through.objects.filter(member__in=[m.pk for m in members])
    for member_id, category_id in through.values_list("member_id", "category_id"):
        skills[member_id].add(category_id)
    for member in members:
        member.skill_ids = frozenset(skills[member.pk])
    return members


def last_served(resident_ids) -> dict[int, set[int]]:
    """Member id → residents whose most recent service record lists that member."""
    resident_ids = [r for r in set(resident_ids) if r is not None]
    if not resident_ids:
        return {}
    rows = (
        ServiceParticipant.objects.filter(record__beneficiary_id__in=resident_ids)
        .order_by("record__beneficiary_id", "-record__started_at", "-record_id")
        .values_list("record__beneficiary_id", "record_id", "member_id")
    )
    latest: dict[int, int] = {}
    served = defaultdict(set)
    for resident_id, record_id, member_id in rows:
        if latest.setdefault(resident_id, record_id) == record_id:
            served[member_id].add(resident_id)
    return served


def order_point(order: Order) -> tuple[float, float] | None:
    """The order's own map point, else its building's; None when it has neither."""
    if order.latitude is not None and order.longitude is not None:
        return float(order.latitude), float(order.longitude)
    if order.site_id and order.site.latitude is not None and order.site.longitude is not None:
        return float(order.site.latitude), float(order.site.longitude)
    return None


def to_engine_order(order: Order) -> engine.Order | None:
    point = order_point(order)
    if point is None:
        return None
    local = timezone.localtime
    return engine.Order(
        id=order.pk,
        category=order.category_id,
        lat=point[0],
        lng=point[1],
        window_start=local(order.window_start) if order.window_start else None,
        window_end=local(order.window_end) if order.window_end else None,
        deadline=order.respond_by,
        beneficiary_id=order.resident_id,
    )


def to_engine_members(members: list[Member], served: dict[int, set[int]]) -> list[engine.Member]:
    """Members with a home point; people.Member stores {} for "not set", which here means
    "any time" (the engine reads {} as never)."""
    return [
        engine.Member(
            id=m.pk,
            skills=m.skill_ids,
            lat=float(m.home_latitude),
            lng=float(m.home_longitude),
            availability=m.availability or None,
            capacity=m.capacity,
            load=m.load,
            last_served=frozenset(served.get(m.pk, ())),
        )
        for m in members
        if m.home_latitude is not None and m.home_longitude is not None
    ]


# --- the batch suggestion ------------------------------------------------------------------


def suggest(orders: list[Order], config: engine.DispatchConfig = CONFIG) -> Suggestion:
    """Run the engine over these orders (one batch per street, since members serve only their
    own street) and return the review table's rows in the orders' order."""
    members = candidate_members({o.street_id for o in orders})
    by_pk = {m.pk: m for m in members}
    served = last_served(o.resident_id for o in orders)
    rows = {o.pk: Row(order=o) for o in orders}
    for street_id in sorted({o.street_id for o in orders}):
        batch, plain = [], []
        for order in orders:
            if order.street_id != street_id:
                continue
            item = to_engine_order(order)
            if item is None:
                rows[order.pk].reason = str(NO_LOCATION)
            else:
                batch.append(order)
                plain.append(item)
        street_members = to_engine_members([m for m in members if m.street_id == street_id], served)
        if not plain:
            continue
        if not street_members:
            for order in batch:
                rows[order.pk].reason = str(NO_MEMBERS)
            continue
        assignment = engine.suggest(plain, street_members, config)
        for order, result in zip(batch, assignment.results, strict=True):
            row = rows[order.pk]
            if result.member_id is not None:
                row.choice = Option(by_pk[result.member_id], result.walk_minutes, result.terms)
            else:
                row.reason = gettext(result.reason.text)
            row.alternatives = [
                Option(by_pk[a.member_id], a.walk_minutes, a.terms, a.has_room)
                for a in result.alternatives
            ]
    listed = list(rows.values())
    walks = [r.choice.walk_minutes for r in listed if r.choice]
    return Suggestion(
        rows=listed,
        assigned=len(walks),
        orders=len(listed),
        mean_walk_minutes=round(sum(walks) / len(walks), 1) if walks else 0.0,
    )


# --- one order -----------------------------------------------------------------------------


def candidates_for_order(
    order: Order, *, limit: int = 5, config: engine.DispatchConfig = CONFIG
) -> list[Option]:
    """The order page's top candidates: feasible members by cost, then the others with the
    rules they break. Empty when the order has no location or no member has a home point."""
    item = to_engine_order(order)
    if item is None:
        return []
    # Only members within walking range can be feasible: those are read (a box around the
    # order's point, a little wider than the range), and the whole street only when fewer
    # than ``limit`` live in it, so that the infeasible ones still fill the list.
    members = candidate_members(
        [order.street_id], near=(item.lat, item.lng, config.max_walk_km * 1.05)
    )
    if len(members) < limit:
        members = candidate_members([order.street_id])
    plain = to_engine_members(members, last_served([order.resident_id]))
    by_pk = {m.pk: m for m in members}
    return [
        Option(
            member=by_pk[c.member_id],
            walk_minutes=c.walk_minutes,
            terms=c.terms,
            broken=tuple(str(RULE_TEXT[rule]) for rule in c.broken),
        )
        for c in engine.candidates_for(item, plain, config, limit=limit)
    ]


def pairing_terms(
    order: Order,
    member: Member,
    served: dict[int, set[int]],
    pending: dict[int, int],
    config: engine.DispatchConfig = CONFIG,
) -> dict | None:
    """The terms of giving this order to this member now, as the engine costs them (with
    ``pending`` orders already given to members in this confirmation); None without points."""
    item = to_engine_order(order)
    plain = to_engine_members([member], served)
    if item is None or not plain:
        return None
    (candidate,) = engine.candidates_for(item, plain, config, limit=1, pending=pending)
    return terms_record(candidate.terms, candidate.walk_minutes)
