"""Intake's per-order read finds its rows through indexes, not by reading the street's orders.

The form's key was looked up by the street alone on SQLite, which uses the keys' partial
unique index only when the query states the index's condition: every order read all the
orders of its street (2,000 rows near the end of a bench run, 50,000 in a city's street),
and the resident was matched by reading the community's residents. SQLite's planner is
deterministic without statistics, so its plan is checked here; PostgreSQL proves the partial
index's condition itself and chooses by its statistics (EXPLAIN at scale, issue 17's note).
"""

import pytest
from django.db import connection

from pledgeloop.orders.desk import revision
from pledgeloop.orders.models import Order
from pledgeloop.orders.services import _intake_read, order_submit
from pledgeloop.orgs.models import Category

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL plans by statistics"
)


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


def test_the_intake_read_finds_the_key_and_the_resident_through_their_indexes(world):
    category = Category.objects.get(street=world.street, code="repairs")
    filed = [
        order_submit(
            community=world.community,
            category=category,
            description="楼道灯坏了",
            phone=f"1381111{n:04d}",
            consent=True,
            address="3幢",
            submission_key=f"key-{n}",
        )
        for n in range(3)
    ]
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        found = _intake_read(
            "key-1", world.community, "13811110001", same=(category.pk, "楼道灯坏了"), desk=True
        )
    assert found[0] == filed[1].pk
    [(sql, params)] = statements
    plan = _plan(sql, params)
    assert "USING INDEX order_submitted_once (street_id=? AND submission_key=?)" in plan, plan
    assert "USING INDEX resident_community_phone (street_id=? AND community_id=? AND phone=?)" in (
        plan
    ), plan
    # The same request again (the resident's form): through the number's index.
    assert "USING INDEX order_phone (phone=?)" in plan, plan
    # The intake desk's token (orders/desk.py), through its key's unique index.
    assert "USING INDEX sqlite_autoindex_orders_deskrevision_1 (key=?)" in plan, plan
    assert found[3] == revision() != ""
    assert Order.objects.count() == 3
