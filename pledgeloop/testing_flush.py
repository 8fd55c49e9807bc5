"""A cheaper end for transactional tests: empty only the tables a test wrote to.

After each transactional test (`django_db(transaction=True)`, `transactional_db`, the browser
and worker tests), Django's TransactionTestCase flushes the database: it empties every table
(one TRUNCATE of all of them on PostgreSQL), then sends post_migrate, whose handlers write
every content type and permission again, the flush having emptied those tables too. On
PostgreSQL that is about half a second of database work per test, most of it rewriting the
same few hundred rows.

Here the end of such a test asks, in one query, which tables hold a row, and empties only
those (a DELETE each: see empty_written_tables); the content types and permissions, which no
test writes (they are what the migrations' post_migrate made), are left as they are, so
post_migrate is not needed. A test ends with the same database as before: every other table
empty, the content types and permissions those of the migrated schema.

Tests that flush a subset of apps, restore a serialized database or reset sequences keep
Django's own teardown. Installed by pledgeloop/conftest.py, for the test run only.
"""

from django.db import connections
from django.test import TransactionTestCase

from pledgeloop.orgs.versions import TABLE as VERSION_TABLE

# Written by post_migrate (from the models), never by a test: left in place.
KEPT = {"django_content_type", "auth_permission"}

_django_fixture_teardown = TransactionTestCase._fixture_teardown


def tables_with_rows(connection) -> list[str]:
    """The project's tables (KEPT aside) that hold at least one row: one query."""
    tables = sorted(
        set(connection.introspection.django_table_names(only_existing=True, include_views=False))
        - KEPT
    )
    if not tables:
        return []
    quote = connection.ops.quote_name
    # The names are the models' own tables, quoted: nothing from outside.
    query = " UNION ALL ".join(
        f"SELECT {n} WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608
        for n, table in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return [tables[n] for (n,) in cursor.fetchall()]


def empty_written_tables(connection) -> None:
    """Empty every table that holds a row (KEPT aside), in one transaction.

    A DELETE for each, on either engine, rather than Django's flush: on PostgreSQL a TRUNCATE
    makes new files for every table and index it empties (about half a second for a test's
    few dozen tables, most of the PostgreSQL run's teardown time), where deleting the
    handful of rows a test wrote costs a few milliseconds. Django's foreign keys are
    deferred to the commit on both engines, so the order of the tables does not matter, with
    one exception: the street versions (orgs/versions.py), which the triggers of the other
    tables write as their rows go, are emptied last. On SQLite, Django's flush would also work
    out which tables refer to which with a regular expression over the schema, table by
    table (some 40 ms a table, 10 s of CPU across the run)."""
    written = tables_with_rows(connection)
    if not written:
        return
    quote = connection.ops.quote_name
    tables = [*(table for table in written if table != VERSION_TABLE), VERSION_TABLE]
    # The names are the models' own tables, quoted: nothing from outside.
    connection.ops.execute_sql_flush([f"DELETE FROM {quote(table)}" for table in tables])  # noqa: S608


def _fixture_teardown(self) -> None:
    if self.available_apps is not None or self.serialized_rollback or self.reset_sequences:
        _django_fixture_teardown(self)
        return
    for db_name in self._databases_names(include_mirrors=False):
        empty_written_tables(connections[db_name])


def install() -> None:
    TransactionTestCase._fixture_teardown = _fixture_teardown
