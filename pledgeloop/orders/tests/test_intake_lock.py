"""What intake does while SQLite's write lock is held: on SQLite the order's transaction
holds the database's one write lock, and every order of every street waits for it (issue 17).
Its rows' values are computed before it (lib/inserts.prepare), but for the notifications',
which carry the order's number."""

import pytest
from django.db import connection

from pledgeloop.lib.tests.test_inserts_prepared import computed  # noqa: F401 (a fixture)
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.people.models import Consent

from .test_intake import intake_url, order_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="SQLite's write lock (PostgreSQL: one statement, orders/tests/test_intake_wire.py)",
    ),
]


def test_the_orders_rows_are_computed_before_its_transaction(world, client, computed):  # noqa: F811
    client.get(intake_url(world))
    computed.clear()
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    models = {model for model, _inside in computed}
    inside = {model for model, inside in computed if inside}
    assert models == {Consent, Order, OrderEvent, Notification}
    assert inside == {Notification}
    order = Order.objects.select_related("consent").get()
    assert order.consent.phone == "13812345678" and order.events.get().action == "submit"
