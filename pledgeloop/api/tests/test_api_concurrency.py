"""Exactly one winner through the API (issue 16): members' personal tokens claim one order at
once, each request in its own thread with its own connection; the order services' row locks
decide. PostgreSQL only, like orders/tests/test_concurrency.py (SQLite takes one writer at a
time, so a race cannot even be staged there)."""

import pytest

from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.tests.loop import new_member, triaged_order
from pledgeloop.orders.tests.test_concurrency import race_clients

from ..models import Scope
from .helpers import bearer, token_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
CLAIMERS = 12


def _claims(order, tokens: list[str]) -> list:
    url = f"/api/v1/me/orders/{order.pk}/claim"
    return race_clients([(lambda c: None, lambda c, t=t: c.post(url, **bearer(t))) for t in tokens])


def test_two_members_claiming_one_order_through_the_api_give_exactly_one_winner(world):
    for claimers in (2, CLAIMERS):
        order = triaged_order(world)
        members = [
            new_member(world, f"1371{claimers:02d}0{i:04d}", f"党员{i}") for i in range(claimers)
        ]
        tokens = [
            token_for(m.user, world.street, world.community, [Scope.OWN_RECORDS], personal=True)
            for m in members
        ]
        results = _claims(order, tokens)
        assert not [r for r in results if isinstance(r, Exception)], results
        codes = sorted(r.status_code for r in results)
        assert codes == [200] + [409] * (claimers - 1), codes
        losers = [r.json()["error"] for r in results if r.status_code == 409]
        assert {(e["code"], e["message"]) for e in losers} == {
            ("conflict", "这个订单已经被其他党员接走了。")
        }
        [won] = [r.json() for r in results if r.status_code == 200]
        order.refresh_from_db()
        assert order.state == Order.State.ACCEPTED and won["state"] == "accepted"
        [claim] = OrderEvent.objects.filter(order=order, action="claim")
        assert claim.source == "api" and claim.by == order.assigned_member.user
