"""Suggested dispatch selectors: triaged orders and members into the engine and back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from pledgeloop.dispatch import engine, suggestions
from pledgeloop.orders import services
from pledgeloop.orders.tests.loop import category, new_member, triaged_order
from pledgeloop.orgs.models import Site
from pledgeloop.service.services import service_record_create

pytestmark = pytest.mark.django_db

NEAR = {"home_latitude": Decimal("31.956500"), "home_longitude": Decimal("120.942000")}
FARTHER = {"home_latitude": Decimal("31.960000"), "home_longitude": Decimal("120.942000")}
NEAREST = {"home_latitude": Decimal("31.956200"), "home_longitude": Decimal("120.941900")}


def skilled(member, *codes, world):
    member.skills.set([category(world, c) for c in codes])
    return member


@pytest.fixture
def team(world):
    """Two skilled repairers (one near, one farther) and a nearer neighbour with no skill."""
    near = skilled(new_member(world, "13900000201", "近师傅", **NEAR), "repairs", world=world)
    far = skilled(new_member(world, "13900000202", "远师傅", **FARTHER), "repairs", world=world)
    other = skilled(
        new_member(world, "13900000203", "隔壁", **NEAREST), "elderly-children", world=world
    )
    return near, far, other


def rows_by_order(suggestion):
    return {row.order.pk: row for row in suggestion.rows}


def test_the_nearest_skilled_member_is_suggested(world, team):
    near, far, other = team
    order = triaged_order(world)
    suggestion = suggestions.suggest(suggestions.triaged_orders(world.community_admin))
    row = rows_by_order(suggestion)[order.pk]
    assert row.choice.member == near
    assert row.choice.walk_minutes < 2
    assert row.choice.terms.load == 1.0  # first new order of an idle member
    assert [a.member for a in row.alternatives] == [far]
    assert row.suggested["walk"] == row.choice.terms.walk
    assert (suggestion.assigned, suggestion.orders) == (1, 1)


def test_an_order_nobody_skilled_can_reach_is_unassigned_with_the_skill_reason(world, team):
    order = triaged_order(world, code="legal")
    row = rows_by_order(suggestions.suggest(suggestions.triaged_orders(world.community_admin)))[
        order.pk
    ]
    assert row.choice is None
    assert row.reason == gettext(engine.Reason.NO_SKILLED_MEMBER_IN_RANGE.text)


def test_capacity_counts_the_members_current_load(world, team):
    near, far, _other = team
    near.capacity = 2
    near.save(update_fields=["capacity"])
    busy = triaged_order(world)
    services.order_dispatch(order=busy, member=near, by=world.community_admin)  # load 1
    first, second = triaged_order(world), triaged_order(world)
    suggestion = suggestions.suggest(suggestions.triaged_orders(world.community_admin))
    chosen = {row.order.pk: row.choice.member for row in suggestion.rows}
    assert sorted(m.pk for m in chosen.values()) == sorted([near.pk, far.pk])
    assert set(chosen) == {first.pk, second.pk}
    near_row = next(r for r in suggestion.rows if r.choice.member == near)
    assert near_row.choice.terms.load == 2.0  # load 1, so its next order costs 1 × (1 + 1)


def test_an_order_without_a_point_uses_its_building_or_reports_no_location(world, team):
    near, _far, _other = team
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.BUILDING,
        name="3幢",
        latitude=Decimal("31.956300"),
        longitude=Decimal("120.942000"),
    )
    at_site = triaged_order(world, latitude=None, longitude=None, site=site)
    lost = triaged_order(world, latitude=None, longitude=None)
    rows = rows_by_order(suggestions.suggest(suggestions.triaged_orders(world.community_admin)))
    assert rows[at_site.pk].choice.member == near
    assert rows[lost.pk].choice is None
    assert rows[lost.pk].reason == str(suggestions.NO_LOCATION)


@pytest.mark.usefixtures("team")
def test_the_member_who_last_served_the_resident_gets_the_continuity_bonus(world):
    # Three minutes' walk, against the nearest repairer's half minute: the 5-minute bonus wins.
    known = {"home_latitude": Decimal("31.958000"), "home_longitude": Decimal("120.942000")}
    far = skilled(new_member(world, "13900000204", "老熟人", **known), "repairs", world=world)
    start = timezone.now() - dt.timedelta(days=3)
    service_record_create(
        members=[far],
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        hours=Decimal("1"),
        by=world.community_admin,
        beneficiary=world.resident_here,
    )
    assert suggestions.last_served([world.resident_here.pk]) == {far.pk: {world.resident_here.pk}}
    order = triaged_order(world)  # the phone of world.resident_here
    assert order.resident_id == world.resident_here.pk
    row = rows_by_order(suggestions.suggest(suggestions.triaged_orders(world.community_admin)))[
        order.pk
    ]
    assert row.choice.member == far and row.choice.terms.continuity == 5.0


def test_the_scope_is_the_admins_communities_or_the_one_chosen(world, team):
    here = triaged_order(world)
    there = triaged_order(world, community=world.neighbour)
    triaged_order(world, community=world.faraway)
    ids = {o.pk for o in suggestions.triaged_orders(world.street_admin)}
    assert ids == {here.pk, there.pk}
    assert [o.pk for o in suggestions.triaged_orders(world.street_admin, world.neighbour.pk)] == [
        there.pk
    ]
    assert [o.pk for o in suggestions.triaged_orders(world.community_admin)] == [here.pk]


def test_an_orders_candidates_list_the_rules_the_others_break(world, team):
    near, far, other = team
    order = triaged_order(world)
    candidates = suggestions.candidates_for_order(order)
    assert [c.member for c in candidates] == [near, far, other]
    assert candidates[0].feasible and candidates[1].feasible
    assert candidates[2].broken == (str(suggestions.RULE_TEXT[engine.Rule.NO_SKILL]),)
