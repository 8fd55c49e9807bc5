"""/my/ finds a person's rows by their number alone, in every street at once: each of those
reads goes through an index, never through a whole table (issue 17: a city holds a million
orders, and the sign-in page asks for an unknown number as readily as for a known one).

Each statement the pages run is explained by the engine itself: on PostgreSQL with sequential
scans and merge and hash joins priced out, so that a scan left in the plan is one no index
could replace, whatever the size of the test's tables; on SQLite by its query plan.
"""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import new_order
from pledgeloop.people.models import Consent, Resident
from pledgeloop.privacy.models import DeletionRequest
from pledgeloop.teams.models import Registration, Volunteer

from .conftest import sign_in_by_code

PHONE = "13812345678"  # world.resident_here's number, which new_order uses
# The tables that grow with the city and hold a number.
GROWING = {m._meta.db_table for m in (Order, Resident, Consent, Registration, Volunteer)} | {
    DeletionRequest._meta.db_table
}


def _leading(index: str) -> tuple[str, str | None]:
    """An index's table and its first column (None for an expression)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_class c"
            " JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid"
            " LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            " WHERE c.relname = %s",
            [index],
        )
        return cursor.fetchone()


def _pg_scans(plan: dict) -> set[str]:
    """The tables a plan reads whole: a sequential scan, or an index walked end to end (no
    condition on the index, only a filter on the rows; or a condition on a later column of
    it, which PostgreSQL 15 checks entry by entry through the whole index)."""
    found = set()
    kind = plan.get("Node Type")
    if kind == "Seq Scan":
        found.add(plan["Relation Name"])
    elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        table, column = _leading(plan["Index Name"])
        condition = plan.get("Index Cond", "")
        led = column is None or re.search(
            rf"\b{re.escape(column)}\b\)?(::[\w ]+)?\)? = ", condition
        )
        if not led:
            found.add(table)
    for child in plan.get("Plans", []):
        found |= _pg_scans(child)
    return found


def scanned(sql: str) -> set[str]:
    """The growing tables this statement reads whole."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A city's plan, not one for the test's few rows: the tables' statistics as if
            # never gathered (rolled back with the test). With the statistics autovacuum
            # gathers during the run, of a handful of rows, PostgreSQL would rather walk a
            # primary key than look the number up in its index.
            tables = sorted(GROWING)
            cursor.execute(
                "DELETE FROM pg_statistic WHERE starelid = ANY(%s::regclass[])", [tables]
            )
            cursor.execute(
                "UPDATE pg_class SET reltuples = -1 WHERE oid = ANY(%s::regclass[])", [tables]
            )
            # Joins as nested loops, so that a joined table too is read by its key's index
            # (a merge or hash join would walk it whole, as the planner may choose for a few
            # rows: then a table with no index on the key would pass unseen).
            for setting in ("enable_seqscan", "enable_mergejoin", "enable_hashjoin"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return _pg_scans(plan[0]["Plan"]) & GROWING
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        details = [row[-1] for row in cursor.fetchall()]
    # "SCAN t" reads the table whole, "SCAN t USING [COVERING] INDEX i" the whole index.
    return {m[1] for d in details if (m := re.match(r"SCAN (\w+)", d))} & GROWING


def test_my_pages_reach_a_persons_rows_through_indexes(world, client, texts):
    new_order(world)
    with CaptureQueriesContext(connection) as asked:
        # A number the city holds nothing for, then the person's own: the sign-in looks for
        # the street that holds each.
        client.post("/my/sign-in/", {"phone": "13600000000"})
        sign_in_by_code(client, texts, PHONE)
        for page in ["/my/", "/my/export.json", "/my/export.xlsx"]:
            assert client.get(page).status_code == 200
    reads = [q["sql"] for q in asked.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    assert any('"orders_order"' in sql and "13600000000" in sql for sql in reads)
    scans = {sql[:160]: tables for sql in reads if (tables := scanned(sql))}
    assert not scans, scans


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_a_scan_is_seen(db, vendor):
    """The check itself: a read by a column that no index leads with is caught."""
    if connection.vendor != vendor:
        pytest.skip(f"explained by {vendor}")
    assert scanned("SELECT id FROM orders_order WHERE description = 'x'") == {"orders_order"}
    # The newest such row: an index walked backwards to the first match is a scan too.
    newest = "SELECT id FROM orders_order WHERE description = 'x' ORDER BY id DESC LIMIT 1"
    assert scanned(newest) == {"orders_order"}


def test_my_page_asks_the_same_queries_however_much_the_person_holds(world, client, texts):
    """Each kind of record is read once, with the resident records' ids read first and
    shared (issue 17: query counts do not grow with data)."""
    new_order(world)
    sign_in_by_code(client, texts, PHONE)

    def asked() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/my/").status_code == 200
        return len(queries.captured_queries)

    few = asked()
    for _ in range(3):
        new_order(world)
    new_order(world, community=world.neighbour)
    assert asked() == few
    assert few <= 10, few
