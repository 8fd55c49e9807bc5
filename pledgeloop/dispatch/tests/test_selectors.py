"""The order page's member picker (dispatch.selectors.dispatch_candidates)."""

from decimal import Decimal

import pytest

from pledgeloop.dispatch import suggestions
from pledgeloop.dispatch.selectors import dispatch_candidates
from pledgeloop.orders import services
from pledgeloop.orders.selectors import member_load
from pledgeloop.orders.tests.loop import (
    HOME,
    category,
    dispatched_order,
    new_member,
    triaged_order,
)

pytestmark = pytest.mark.django_db


def test_member_picker_puts_the_community_and_skills_first(world):
    order = triaged_order(world, code="repairs")
    repairs = category(world, "repairs")
    near = new_member(world, "13900000201", "近邻", home_latitude=HOME[0], home_longitude=HOME[1])
    near.skills.add(repairs)
    far = new_member(
        world,
        "13900000202",
        "远亲",
        home_latitude=HOME[0] + Decimal("0.02"),
        home_longitude=HOME[1],
    )
    far.skills.add(repairs)
    neighbour = new_member(world, "13900000203", "邻社区", community=world.neighbour)
    neighbour.skills.add(repairs)
    stranger = new_member(world, "13900000204", "外街道", community=world.faraway)
    names = [c.member.name for c in dispatch_candidates(order)]
    assert names[:2] == ["近邻", "远亲"]
    assert names.index("张三") < names.index("邻社区")  # own community before skill
    assert stranger.name not in names
    first = dispatch_candidates(order)[0]
    assert first.skilled and first.minutes is not None and first.minutes < 1
    assert first.load == 0


def test_the_picker_fills_its_list_from_the_rest_of_the_street_after_the_community(world):
    """The order's community is ranked on its own first; the rest of the street fills the
    list only as far as the community leaves room, in the same order as one ranking would."""
    order = triaged_order(world)
    new_member(world, "13900000205", "邻社区", community=world.neighbour)
    every = dispatch_candidates(order, limit=None)
    here = sum(1 for c in every if c.same_community)
    assert here and every[here].member.name == "邻社区"
    assert dispatch_candidates(order, limit=here + 1) == every[: here + 1]
    assert all(c.same_community for c in dispatch_candidates(order, limit=here))
    assert dispatch_candidates(order, limit=1) == every[:1]


def test_member_picker_shows_load_and_capacity(world):
    busy = new_member(world, "13900000201", "忙人", capacity=1)
    order = triaged_order(world)
    services.order_claim(order=triaged_order(world), member=busy)
    candidate = next(c for c in dispatch_candidates(order) if c.member == busy)
    assert candidate.load == 1 and candidate.full


def test_the_picker_and_the_suggestions_count_load_as_the_services_do(world):
    """Orders taken plus offers waiting: orders.selectors.member_load, wherever it is read."""
    busy = new_member(world, "13900000201", "忙人", capacity=3)
    services.order_claim(order=triaged_order(world), member=busy)
    dispatched_order(world, member=busy)
    order = triaged_order(world)
    candidate = next(c for c in dispatch_candidates(order) if c.member == busy)
    suggested = next(m for m in suggestions.candidate_members([world.street.pk]) if m == busy)
    assert candidate.load == suggested.load == member_load(busy) == 2
    assert not candidate.full


@pytest.mark.parametrize("search", ["张三", "zhangsan", "zhang san", "ZS", "zs"])
def test_the_picker_finds_a_member_by_name_pinyin_or_initials(world, search):
    """As the members list and the wall do (DESIGN.md §10, "zs" finds 张三): the picker found
    nobody for initials."""
    order = triaged_order(world, code="repairs")
    new_member(world, "13900000205", "李四海")
    found = [c.member.name for c in dispatch_candidates(order, search=search)]
    assert found == ["张三"]
