"""Exactly one winner when a team's leaders answer one offer at once (DESIGN.md C3, C7).

PostgreSQL only, like orders/tests/test_concurrency.py: there the row locks decide.
"""

import pytest
from django.utils import translation

from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orders.tests.loop import triaged_order
from pledgeloop.orders.tests.test_concurrency import race
from pledgeloop.teams import services

from .helpers import team_with_leaders

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
LEADERS = 8


def test_leaders_accepting_one_team_offer_at_once_give_exactly_one_winner(world):
    team, heads = team_with_leaders(world, leaders=LEADERS)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    # Each leader gives the order to themself, so the winner is visible on the order.
    results = race(
        [
            lambda h=h: (
                services.team_dispatch_take(
                    dispatch=dispatch, leader=h, assignee=h
                ).assigned_member_id
            )
            for h in heads
        ]
    )
    assert [kind for kind, _ in results].count("error") == 0, results
    winners = [value for kind, value in results if kind == "won"]
    assert len(winners) == 1, results
    with translation.override("zh-hans"):
        taken = translation.gettext("Another leader of the team has already accepted this order.")
    assert {value for kind, value in results if kind == "refused"} == {taken}
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member_id == winners[0]
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.ACCEPTED and dispatch.member_id == winners[0]
    assert order.events.filter(action="accept").count() == 1
