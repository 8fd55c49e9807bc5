"""Intake's one read (orders/services._intake_read): its statement is built once a database
and shape, as every order asks the same one, and what it finds does not depend on it."""

from django.db import connection

from pledgeloop.orders import services
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.services import _intake_read, order_submit
from pledgeloop.orgs.models import Category


def test_the_read_is_built_once_a_shape_and_finds_each_orders_own(world, monkeypatch):
    category = Category.objects.get(street=world.street, code="repairs")
    filed = order_submit(
        community=world.community,
        category=category,
        description="楼道灯坏了",
        phone="13811110001",
        consent=True,
        address="3幢",
        submission_key="key-read-1",
    )
    services._intake_read_text.cache_clear()
    built, ids_ahead = [], services.ids_ahead
    monkeypatch.setattr(services, "ids_ahead", lambda *args: built.append(args) or ids_ahead(*args))
    ahead = [(Order, 1), (OrderEvent, 1)]
    shape = {"same": (category.pk, "楼道灯坏了"), "ahead": ahead, "desk": True}
    first = _intake_read("key-read-1", world.community, "13811110001", **shape)
    again = _intake_read("key-read-2", world.community, "13811110001", **shape)
    other = _intake_read("key-read-3", world.community, "13822220002", **shape)
    # The form's key, then the same request again under a new key, then another number's.
    assert [first[0], again[0], other[0]] == [filed.pk, filed.pk, None]
    # The desk's token is read each time; ids ahead come where the database gives them.
    assert first[4] == again[4] == other[4]
    gives_ids = connection.vendor == "postgresql"
    assert all((found[3] is not None) == gives_ids for found in (first, again, other))
    assert len(built) == 1 and services._intake_read_text.cache_info().misses == 1
    # Another shape is built once too.
    _intake_read("", world.community, "13811110001")
    _intake_read("", world.community, "13822220002")
    assert services._intake_read_text.cache_info().misses == 2
