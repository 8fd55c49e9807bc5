"""lib.inserts.number_ahead and insert_together: rows of several models in one statement
where the database gives ids ahead (PostgreSQL), group by group elsewhere."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pledgeloop.lib.inserts import insert_together, number_ahead
from pledgeloop.orders.models import Order, OrderEvent

from .test_inserts import new_order, stored


def test_rows_numbered_ahead_go_in_one_statement_with_their_links(world, django_assert_num_queries):
    """number_ahead gives ids where the database can (PostgreSQL) and insert_together then
    writes every group in one statement, links between them included; elsewhere it writes
    them group by group, each taking its ids as it is stored."""
    now = timezone.now()
    orders = [new_order(world, now), new_order(world, now, description="帮忙搬米上楼")]
    events = [
        OrderEvent(street_id=world.street.pk, order=order, to_state="submitted", at=now)
        for order in orders
    ]
    twin = new_order(world, now)
    Order.objects.bulk_create([twin])
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(1 if postgresql else 0):
        assert number_ahead([*orders, *events]) is postgresql
    assert all(row.pk for row in [*orders, *events]) is postgresql
    with django_assert_num_queries(1 if postgresql else 2):
        insert_together([orders, events])
    assert orders[0].pk < orders[1].pk and all(not o._state.adding for o in [*orders, *events])
    assert stored(orders[0]) == stored(twin)
    for order, event in zip(orders, events, strict=True):
        assert OrderEvent.objects.get(pk=event.pk).order == order
        assert Order.objects.get(pk=order.pk).description == order.description


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids ahead: PostgreSQL only")
def test_a_statement_of_rows_numbered_ahead_is_all_or_nothing(world):
    first, second = new_order(world), new_order(world)
    number_ahead([first, second])
    second.tracking_token = first.tracking_token
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([[first], [second]])
    assert not Order.objects.filter(pk__in=[first.pk, second.pk]).exists()
    with pytest.raises(ValueError):  # a mix of rows numbered ahead and not
        insert_together([[new_order(world)], [first]])
