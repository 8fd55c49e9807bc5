"""The end of a transactional test empties the tables it wrote, and only needs to."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from pledgeloop.orgs.models import Street
from pledgeloop.testing_flush import KEPT, empty_written_tables, tables_with_rows

STREET = "flush-test-street"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_a_transactional_test_starts_empty_with_its_content_types(run, world):
    """Run twice: the second run finds nothing the first (or the world fixture) wrote, and
    the content types and permissions still there."""
    assert not Street.objects.filter(slug=STREET).exists()
    Street.objects.create(name="冲刷测试街道", slug=STREET)
    written = tables_with_rows(connection)
    assert Street._meta.db_table in written
    assert not KEPT & set(written)
    assert ContentType.objects.filter(app_label="orgs", model="street").exists()
    assert Permission.objects.filter(codename="view_street").exists()


@pytest.mark.django_db(transaction=True)
def test_emptying_leaves_every_table_empty_and_the_content_types(world):
    """The world's rows refer to each other across apps (streets, users, roles, members,
    orders' categories): emptied in one go, with the foreign keys checked at the commit on
    SQLite and TRUNCATE … CASCADE on PostgreSQL, nothing is left and nothing is refused. Not
    even the street versions, which SQLite's row triggers write again as rows are deleted."""
    before = tables_with_rows(connection)
    assert Street._meta.db_table in before and len(before) > 5
    empty_written_tables(connection)
    assert tables_with_rows(connection) == []
    assert ContentType.objects.filter(app_label="orgs", model="street").exists()
