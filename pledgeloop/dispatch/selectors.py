"""Reads for dispatching by hand: the order page's member picker (DESIGN.md C3, §6)."""

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)

from pledgeloop.lib.geo import squared_degrees, walking_minutes
from pledgeloop.lib.pinyin import pinyin_search_q
from pledgeloop.orders.models import Order
from pledgeloop.orders.selectors import member_load_subquery
from pledgeloop.people.models import Member

from .engine import COST_SCALE

# How many members the picker offers at most: a street holds thousands, and an admin picks
# among the nearest few (or searches for anyone else by name or member code).
PICKER_LIMIT = 30


@dataclass
class Candidate:
    """A member the admin may dispatch to, with what the picker shows about them."""

    member: Member
    same_community: bool
    skilled: bool
    load: int
    minutes: float | None

    @property
    def full(self) -> bool:
        return self.load >= self.member.capacity

    @property
    def sort_key(self) -> tuple:
        return (
            not self.same_community,
            not self.skilled,
            self.full,
            self.minutes is None,
            self.minutes or 0,
            self.member.user.name_sort,
        )


def dispatch_candidates(
    order: Order, *, search: str = "", limit: int | None = PICKER_LIMIT
) -> list[Candidate]:
    """Active members of the order's street: its community first, skill match, spare capacity,
    then walking minutes from their home point (DESIGN.md §6 distances); the first ``limit``
    of them (None: all); with ``search``, only those whose name or its pinyin holds it, whose
    initials start with it ("zs": 张三) or whose member code it is. Ordered and cut in the
    database: one query when the order's community fills the list, a second for the rest of
    the street when it does not."""
    skill = Member.skills.through.objects.filter(
        member_id=OuterRef("pk"), category_id=order.category_id
    )
    members = (
        Member.objects.filter(street_id=order.street_id, active=True)
        .select_related("user", "community")
        .annotate(
            skilled=Exists(skill),
            load=member_load_subquery(),
            same_community=Case(
                When(community_id=order.community_id, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .annotate(full=ExpressionWrapper(Q(load__gte=F("capacity")), output_field=BooleanField()))
    )
    search = search.strip()
    if search:
        members = members.filter(pinyin_search_q(search, prefix="user__") | Q(code__iexact=search))
    point = (order.latitude, order.longitude)
    order_by = [F("same_community").desc(), F("skilled").desc(), F("full").asc()]
    if None not in point:
        members = members.annotate(
            distance=squared_degrees(
                "home_latitude", "home_longitude", float(point[0]), float(point[1])
            )
        )
        order_by.append(F("distance").asc(nulls_last=True))
    members = members.order_by(*order_by, "user__name_sort", "pk")
    # The order's community comes first: its members are ranked on their own, and the rest
    # of the street only when they do not fill the list, so that the picker ranks a
    # community's members (some 200) rather than a whole street's (thousands).
    ranked = members.filter(community_id=order.community_id)
    if limit is not None:
        ranked = ranked[:limit]
    found = list(ranked)
    if limit is None or len(found) < limit:
        others = members.exclude(community_id=order.community_id)
        if limit is not None:
            others = others[: limit - len(found)]
        found += list(others)
    candidates = []
    for member in found:
        minutes = None
        if None not in (*point, member.home_latitude, member.home_longitude):
            walk = walking_minutes(
                float(member.home_latitude),
                float(member.home_longitude),
                float(point[0]),
                float(point[1]),
            )
            # To the hundredth of a minute, as the engine costs a walk: the page's "best
            # members" beside this list then show the same tenth for the same walk.
            minutes = round(walk * COST_SCALE) / COST_SCALE
        candidates.append(
            Candidate(
                member=member,
                same_community=member.same_community,
                skilled=member.skilled,
                load=member.load,
                minutes=minutes,
            )
        )
    candidates.sort(key=lambda c: c.sort_key)
    return candidates
