"""lib.transitions: the one way a recorded state changes (bound here to orders' tables)."""

import pytest
from django.utils import timezone

from pledgeloop.lib.transitions import Transitions
from pledgeloop.orders.models import Order, OrderError, OrderEvent
from pledgeloop.orders.tests.loop import new_order

pytestmark = pytest.mark.django_db

MOVES = Transitions(
    moves=Order.TRANSITIONS,
    event_model=OrderEvent,
    subject="order",
    error=OrderError,
    refusal=lambda order, to: f"{order.state} may not become {to}",
    always_saved=("updated_at",),
)


def test_an_allowed_move_saves_the_state_and_the_named_fields_and_writes_the_event(world):
    order = new_order(world)
    now = timezone.now()
    order.triaged_at = now
    order.description = "只在内存里改了"  # not named: not saved
    event = MOVES.move(
        order,
        Order.State.TRIAGED,
        by=world.community_admin,
        at=now,
        fields=["triaged_at"],
        action="triage",
        source=OrderEvent.Source.CONSOLE,
    )
    fresh = Order.objects.get(pk=order.pk)
    assert fresh.state == Order.State.TRIAGED and fresh.triaged_at == now
    assert fresh.description != "只在内存里改了"
    assert fresh.updated_at >= now
    assert OrderEvent.objects.get(pk=event.pk, order=fresh) == event
    assert (event.from_state, event.to_state, event.action, event.source) == (
        "submitted",
        "triaged",
        "triage",
        "console",
    )
    assert event.by == world.community_admin and event.at == now
    assert event.street_id == order.street_id


def test_a_refused_move_raises_the_apps_error_and_changes_nothing(world):
    order = new_order(world)
    assert MOVES.allows(order, Order.State.TRIAGED)
    assert not MOVES.allows(order, Order.State.DONE)
    with pytest.raises(OrderError, match="^submitted may not become done$"):
        MOVES.move(order, Order.State.DONE, by=None, action="finish", source="system")
    assert order.state == Order.State.SUBMITTED
    assert Order.objects.get(pk=order.pk).state == Order.State.SUBMITTED
    assert list(order.events.values_list("action", flat=True)) == ["submit"]
