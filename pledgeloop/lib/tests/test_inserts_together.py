"""lib.inserts.ids_taken, Taken and insert_together: rows of several models in one statement,
with the ids and values it reads first, where the database draws ids as a statement runs
(PostgreSQL); group by group elsewhere."""

import pytest
from django.apps import apps
from django.db import (
    DEFAULT_DB_ALIAS,
    DataError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg import RawCursor

from pledgeloop.lib.inserts import (
    Taken,
    _cursor,
    _plain,
    _raw_cursors,
    ids_taken,
    insert_together,
    sequence_name,
)
from pledgeloop.lib.urls import reverse_one
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order, OrderEvent

from .test_inserts import new_order, stored

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ids drawn as the statement runs: PostgreSQL"
)


def taking(groups, *extra: str) -> tuple[str, list]:
    """A source row drawing the groups' ids (`ids_taken`), with `extra` columns; each row's
    id set to its Taken value."""
    columns, taken = ids_taken([(type(group[0]), len(group)) for group in groups], connection)
    for group, ids in zip(groups, taken, strict=True):
        for row, pk in zip(group, ids, strict=True):
            row.pk = pk
    return f"SELECT {', '.join([columns, *extra])}", []


def test_rows_without_a_source_go_group_by_group(world, django_assert_num_queries):
    now = timezone.now()
    order = new_order(world, now)
    event = OrderEvent(street_id=world.street.pk, order=order, to_state="submitted", at=now)
    with django_assert_num_queries(2):
        assert insert_together([[order], [event]]) is None
    assert OrderEvent.objects.get(pk=event.pk).order == order
    with pytest.raises(ValueError):  # a condition needs a source
        insert_together([[new_order(world)]], then=("true", []))


@postgresql_only
def test_rows_with_a_source_go_in_one_statement_with_their_links(world, django_assert_num_queries):
    """The ids drawn by the statement's own source row, the links between the groups taken
    from it too; the rows then hold their ids, and are stored as bulk_create stores them."""
    now = timezone.now()
    orders = [new_order(world, now), new_order(world, now, description="帮忙搬米上楼")]
    events = [
        OrderEvent(street_id=world.street.pk, order=order, to_state="submitted", at=now)
        for order in orders
    ]
    twin = new_order(world, now)
    Order.objects.bulk_create([twin])
    source = taking([orders, events])
    with django_assert_num_queries(1):
        found = insert_together([orders, events], source=source)
    assert found["i0_0"] == orders[0].pk < orders[1].pk == found["i0_1"]
    assert all(type(row.pk) is int and not row._state.adding for row in [*orders, *events])
    assert stored(orders[0]) == stored(twin)
    for order, event in zip(orders, events, strict=True):
        assert event.order_id == order.pk
        assert OrderEvent.objects.get(pk=event.pk).order == order


@postgresql_only
def test_a_text_takes_a_number_where_its_mark_stands(world):
    """A new order's number in a notification's title, link and JSON, written by the same
    statement that draws it; the instances hold the texts as written."""
    order = new_order(world)
    number = Taken("i0_0")
    notice = Notification(
        street_id=world.street.pk,
        user=world.community_admin,
        kind="order_new",
        title=f"新订单 {number}（{number}）",
        url=reverse_one("console:order_detail", number),
        params={"order": str(number), "kept": ["a", str(number)], "n": 1},
    )
    source = taking([[order], [notice]])
    insert_together([[order], [notice]], source=source)
    stored_notice = Notification.objects.get(pk=notice.pk)
    assert stored_notice.title == f"新订单 {order.pk}（{order.pk}）" == notice.title
    assert stored_notice.url == reverse_one("console:order_detail", order.pk) == notice.url
    params = {"order": str(order.pk), "kept": ["a", str(order.pk)], "n": 1}
    assert stored_notice.params == params == notice.params


@postgresql_only
def test_a_statement_with_a_source_is_all_or_nothing(world):
    first, second = new_order(world), new_order(world)
    source = taking([[first], [second]])
    second.tracking_token = first.tracking_token
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([[first], [second]], source=source)
    assert type(first.pk) is Taken and first._state.adding  # as they were, to write again
    assert not Order.objects.filter(tracking_token=first.tracking_token).exists()
    with pytest.raises(ValueError):  # a row whose id the statement does not take
        insert_together([[new_order(world)]], source=source)


@postgresql_only
def test_rows_written_under_a_condition_are_written_only_when_it_holds(world):
    """`then`: the statement selects the expression over its source row, its values numbered
    after the rows'; one that raises (intake's limits) leaves nothing written."""
    kept, refused = new_order(world), new_order(world, description="帮忙搬米上楼")
    source = (taking([[kept]], "%s::int AS two")[0], [2])
    found = insert_together([[kept]], source=source, then=("src.two + %s::int", [1]))
    assert Order.objects.filter(pk=kept.pk).exists()
    assert found["two"] == 2 and list(found.values())[-1] == 3
    source = taking([[refused]], "%s::int AS zero")
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        insert_together([[refused]], source=(source[0], [0]), then=("1 / src.zero", []))
    assert not Order.objects.filter(description="帮忙搬米上楼").exists()


def test_ids_taken_name_a_column_for_each_id():
    """ids_taken's columns go into the caller's source row where the database draws ids as a
    statement runs (PostgreSQL; else None), each its own nextval() of a sequence named in the
    text, with a Taken value for each, group by group in order."""
    drawn = ids_taken([(Order, 2), (OrderEvent, 1)], connection)
    if connection.vendor != "postgresql":
        assert drawn is None
        return
    columns, taken = drawn
    assert columns.count("nextval('\"orders_order_id_seq\"'::regclass)") == 2
    assert columns.count("nextval('\"orders_orderevent_id_seq\"'::regclass)") == 1
    assert "pg_get_serial_sequence" not in columns
    assert [[t.column for t in ids] for ids in taken] == [["i0_0", "i0_1"], ["i1_0"]]
    with pytest.raises(ValueError):
        Taken("i0_0; DROP TABLE orders_order")


@pytest.mark.postgres_only("PostgreSQL's sequences")
@pytest.mark.django_db
def test_every_plain_model_is_numbered_by_the_sequence_ids_taken_names():
    """ids_taken names each table's sequence as PostgreSQL named its identity column's; a
    table renamed later would keep the old name, which this finds (the migration renaming the
    table should rename its sequence too)."""
    plain = [model for model in apps.get_models() if _plain(model) and model._meta.managed]
    assert Order in plain and len(plain) > 30
    with connection.cursor() as cursor:
        for model in plain:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            assert cursor.fetchone()[0] == f"public.{sequence_name(model)}", model


@postgresql_only
def test_the_same_statement_again_runs_on_the_kept_cursor_with_what_psycopg_found_out(world):
    """Intake's statement, request after request, goes through one RawCursor kept for the
    connection, sent as the same bytes: psycopg keeps its Transformer (the values' dumpers,
    the result's loaders) while a cursor runs the same query object again, where a new cursor
    found them out anew (4 % of an order's request). The log still reads it as text; a
    statement that failed leaves the cursor usable; a new connection gets a cursor of its
    own."""

    def write(description: str) -> dict:
        order = new_order(world, description=description)
        with transaction.atomic():
            return insert_together([[order]], source=taking([[order]]))

    with CaptureQueriesContext(connection) as logged:
        write("帮忙搬米上楼")
    kept = _cursor(connections[DEFAULT_DB_ALIAS]).cursor
    transformer = kept._tx
    write("楼道灯坏了")
    assert _cursor(connections[DEFAULT_DB_ALIAS]).cursor is kept and kept._tx is transformer
    assert type(kept._last_query) is bytes
    [sent] = [q["sql"] for q in logged.captured_queries if "INSERT" in q["sql"]]
    assert sent.startswith("WITH src AS MATERIALIZED")
    with pytest.raises(IntegrityError), transaction.atomic():
        order = new_order(world)
        order.tracking_token = Order.objects.first().tracking_token
        insert_together([[order]], source=taking([[order]]))
    write("厨房水龙头漏水")
    assert Order.objects.filter(description="厨房水龙头漏水").exists()
    kept.close()  # closed: a new one
    write("窗户关不上")
    wrapper = connections[DEFAULT_DB_ALIAS]
    again = _cursor(wrapper).cursor
    assert again is not kept and again.connection is wrapper.connection
    # One kept for a connection since closed (Django connected again): a new one.
    other = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        _raw_cursors[wrapper] = RawCursor(other)
        assert _cursor(wrapper).cursor.connection is wrapper.connection
    finally:
        other.close()
    write("门锁坏了")
