"""Intake's read (orders/services._intake_read, and on PostgreSQL the source row of the order's
one statement, _intake_source): its statement is built once a database and shape, as every
order asks the same one, and what it finds does not depend on it."""

import pytest
from django.db import connection

from pledgeloop.orders import services
from pledgeloop.orders.models import Order, OrderError, OrderEvent
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
    built, ids_taken = [], services.ids_taken
    monkeypatch.setattr(services, "ids_taken", lambda *args: built.append(args) or ids_taken(*args))
    shape = {"same": (category.pk, "楼道灯坏了"), "desk": True}
    first = _intake_read("key-read-1", world.community, "13811110001", **shape)
    again = _intake_read("key-read-2", world.community, "13811110001", **shape)
    other = _intake_read("key-read-3", world.community, "13822220002", **shape)
    # The form's key, then the same request again under a new key, then another number's.
    assert [first[0], again[0], other[0]] == [filed.pk, filed.pk, None]
    # The desk's token is read each time.
    assert first[3] == again[3] == other[3] is not None
    assert services._intake_read_text.cache_info().misses == 1 and built == []
    # As a source row with new ids, where the database draws them as a statement runs: the
    # same statement and values, and the ids' columns.
    ahead = ((Order, 1), (OrderEvent, 1))
    sources = [
        services._intake_source(key, world.community, "13811110001", shape["same"], True, ahead)
        for key in ("key-read-1", "key-read-2")
    ]
    if connection.vendor == "postgresql":
        (sql, values), taken = sources[0]
        assert sql.startswith(
            services._intake_read_text(connection.alias, True, True, (), True)[0][:60]
        )
        assert [[t.column for t in ids] for ids in taken] == [["i0_0"], ["i1_0"]]
        assert len(values) == len(sources[1][0][1]) and len(built) == 1
    else:
        assert sources == [None, None]
    assert services._intake_read_text.cache_info().misses == 2
    # Another shape is built once too.
    _intake_read("", world.community, "13811110001")
    _intake_read("", world.community, "13822220002")
    assert services._intake_read_text.cache_info().misses == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one statement: PostgreSQL")
def test_a_statement_stopped_for_no_reason_left_is_tried_again_then_refused(world, monkeypatch):
    """On PostgreSQL the order's statement stops (intake_go()) where its read finds this
    form's order; the read alone then says why. Where it no longer finds any reason (the
    order it found changed in between), the statement runs again, and, stopped once more,
    the resident is asked to try again later, nothing written."""
    category = Category.objects.get(street=world.street, code="repairs")
    fields = {
        "community": world.community,
        "category": category,
        "description": "楼道灯坏了",
        "phone": "13811110001",
        "consent": True,
        "address": "3幢",
        "submission_key": "key-stopped",
    }
    filed = order_submit(**fields)
    assert order_submit(**fields) == filed  # stopped, and the read found the form's order
    reads = []
    monkeypatch.setattr(
        services, "_intake_read", lambda *args: reads.append(args) or (None, None, None, None)
    )
    with pytest.raises(OrderError, match="请稍后再试"):
        order_submit(**fields)
    assert len(reads) == 2 and Order.objects.count() == 1


def test_the_order_filed_holds_its_rows_and_its_event_links_to_it(world, django_assert_num_queries):
    """The order is built by its ids (lib/inserts.new), its linked rows kept on it: a caller
    reading them asks nothing; its event, written with it, links to it and to who filed it."""
    category = Category.objects.get(street=world.street, code="repairs")
    by = world.community_admin
    filed = order_submit(
        community=world.community,
        category=category,
        description="楼道灯坏了",
        phone="13811110003",
        consent=True,
        address="3幢",
        by=by,
        submission_key="key-links-1",
    )
    with django_assert_num_queries(0):
        assert (filed.community, filed.category, filed.created_by) == (
            world.community,
            category,
            by,
        )
        assert filed.site is None and filed.requested_member is None
    stored = Order.objects.get(pk=filed.pk)
    assert (stored.community_id, stored.category_id, stored.created_by_id) == (
        world.community.pk,
        category.pk,
        by.pk,
    )
    event = OrderEvent.objects.get(order=stored)
    assert (event.by_id, event.action, event.to_state) == (by.pk, "submit", Order.State.SUBMITTED)
