"""Reads for dispatching by hand: the order page's member picker (DESIGN.md C3, §6)."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from pledgeloop.lib.geo import walking_minutes
from pledgeloop.orders.models import Order
from pledgeloop.orders.selectors import member_load_subquery
from pledgeloop.people.models import Member


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
            self.member.user.name_pinyin,
        )


def dispatch_candidates(order: Order) -> list[Candidate]:
    """Active members of the order's street: its community first, skill match, spare capacity,
    then walking minutes from their home point (DESIGN.md §6 distances). One query."""
    skill = Member.skills.through.objects.filter(
        member_id=OuterRef("pk"), category_id=order.category_id
    )
    members = (
        Member.objects.filter(street_id=order.street_id, active=True)
        .select_related("user", "community")
        .annotate(skilled=Exists(skill), load=member_load_subquery())
    )
    point = (order.latitude, order.longitude)
    candidates = []
    for member in members:
        minutes = None
        if None not in (*point, member.home_latitude, member.home_longitude):
            minutes = walking_minutes(
                float(member.home_latitude),
                float(member.home_longitude),
                float(point[0]),
                float(point[1]),
            )
        candidates.append(
            Candidate(
                member=member,
                same_community=member.community_id == order.community_id,
                skilled=member.skilled,
                load=member.load,
                minutes=minutes,
            )
        )
    candidates.sort(key=lambda c: c.sort_key)
    return candidates
