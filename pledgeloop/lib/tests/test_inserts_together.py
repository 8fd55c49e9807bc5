"""lib.inserts.ids_ahead, number_with and insert_together: rows of several models in one
statement where the database gives ids ahead (PostgreSQL), group by group elsewhere."""

import pytest
from django.apps import apps
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from pledgeloop.lib.inserts import _plain, ids_ahead, insert_together, number_with, sequence_name
from pledgeloop.orders.models import Order, OrderEvent

from .test_inserts import new_order, stored


def numbered(groups) -> bool:
    """Give each group's rows (of one model) ids ahead, in a read of their own, as intake's
    read asks for them: True where the database gives them (PostgreSQL), else nothing."""
    ahead = ids_ahead([(type(group[0]), len(group)) for group in groups], connection)
    if ahead is None:
        return False
    columns, params = ahead
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", params)  # noqa: S608 (no value in the text)
        number_with(groups, cursor.fetchone())
    return True


def test_rows_numbered_ahead_go_in_one_statement_with_their_links(world, django_assert_num_queries):
    """Ids asked ahead where the database gives them (PostgreSQL) and insert_together then
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
        assert numbered([orders, events]) is postgresql
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
    numbered([[first, second]])
    second.tracking_token = first.tracking_token
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([[first], [second]])
    assert not Order.objects.filter(pk__in=[first.pk, second.pk]).exists()
    with pytest.raises(ValueError):  # a mix of rows numbered ahead and not
        insert_together([[new_order(world)], [first]])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids ahead: PostgreSQL only")
def test_rows_written_under_a_condition_are_written_only_when_it_holds(world):
    """`then`: the statement selects the expression, its values numbered after the rows';
    one that raises (intake's limits) leaves nothing written."""
    kept, refused = new_order(world), new_order(world, description="帮忙搬米上楼")
    numbered([[kept, refused]])
    insert_together([[kept]], then=("%s::int + %s::int = 2", [1, 1]))
    assert Order.objects.filter(pk=kept.pk).exists()
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        insert_together([[refused]], then=("1 / %s::int", [0]))
    assert not Order.objects.filter(pk=refused.pk).exists()
    with pytest.raises(ValueError):  # a condition holds only for rows numbered ahead
        insert_together([[new_order(world)]], then=("true", []))


def test_ids_asked_ahead_are_handed_out_in_full_to_new_rows_only():
    """ids_ahead's columns go into a read of the caller's where the database gives ids ahead
    (PostgreSQL; else None); number_with hands each group its array's ids in order, and
    refuses a group of another size than its array, or a row that has an id already."""
    ahead = ids_ahead([(Order, 2), (OrderEvent, 1)], connection)
    if connection.vendor == "postgresql":
        columns, params = ahead
        # Each id its own nextval() of a sequence named in the text: no look-up a call.
        assert columns.count("nextval('\"orders_order_id_seq\"'::regclass)") == 2
        assert columns.count("nextval('\"orders_orderevent_id_seq\"'::regclass)") == 1
        assert "pg_get_serial_sequence" not in columns and params == []
    else:
        assert ahead is None
    orders, event = [Order(), Order()], OrderEvent()
    number_with([orders, [event]], [[12, 11], [7]])
    assert [order.pk for order in orders] == [11, 12] and event.pk == 7
    with pytest.raises(ValueError):
        number_with([[Order()]], [[1, 2]])
    with pytest.raises(ValueError):
        number_with([orders], [[3, 4]])


@pytest.mark.postgres_only("PostgreSQL's sequences")
@pytest.mark.django_db
def test_every_plain_model_is_numbered_by_the_sequence_ids_ahead_names():
    """ids_ahead names each table's sequence as PostgreSQL named its identity column's; a
    table renamed later would keep the old name, which this finds (the migration renaming the
    table should rename its sequence too)."""
    plain = [model for model in apps.get_models() if _plain(model) and model._meta.managed]
    assert Order in plain and len(plain) > 30
    with connection.cursor() as cursor:
        for model in plain:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            assert cursor.fetchone()[0] == f"public.{sequence_name(model)}", model
