"""lib/lookups.py: `__among` finds what `__in` finds, in a statement whose text does not grow
with the values on PostgreSQL."""

import pytest
from django.db import connection

from pledgeloop.notify.models import Notification, ShortLink
from pledgeloop.notify.services import notify


@pytest.fixture
def notices(world) -> list[Notification]:
    for n in range(5):
        notify(user=world.community_admin, kind="order_new", title=f"第{n}条")
    return list(Notification.objects.filter(user=world.community_admin).order_by("pk"))


def statements(query) -> tuple[list, list[str]]:
    """What the query finds, and the statements' texts as sent (before any value is in)."""
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        found = list(query)
    return found, sent


def test_among_finds_what_in_finds_by_ids_links_and_texts(world, notices):
    ids = [n.pk for n in notices[1:4]]
    assert list(Notification.objects.filter(pk__among=ids).order_by("pk")) == notices[1:4]
    assert list(
        Notification.objects.filter(user_id__among=[world.community_admin.pk, 0]).order_by("pk")
    ) == list(Notification.objects.filter(user_id__in=[world.community_admin.pk, 0]).order_by("pk"))
    ShortLink.objects.create(code="amongAAAA1", path="/t/a/")
    ShortLink.objects.create(code="amongBBBB2", path="/t/b/")
    found = ShortLink.objects.filter(path__among=["/t/b/", "/t/c/", "/t/b/"]).values_list("code")
    assert list(found) == [("amongBBBB2",)]
    # Nothing to look for finds nothing, and asks the database nothing, as `__in`.
    assert statements(Notification.objects.filter(pk__among=[])) == ([], [])
    # An update by it writes those rows only.
    assert Notification.objects.filter(pk__among=ids).update(title="改") == 3
    assert Notification.objects.filter(title="改").count() == 3


def test_on_postgresql_the_statement_is_one_text_for_any_number_of_values(world, notices):
    (few,) = statements(Notification.objects.filter(pk__among=[notices[0].pk]))[1]
    found, (many,) = statements(Notification.objects.filter(pk__among=list(range(1, 2**40, 2**30))))
    assert found == [n for n in notices if n.pk < 2**40 and (n.pk - 1) % 2**30 == 0]
    if connection.vendor == "postgresql":
        # One text, the values one array of the column's type, small ids or large.
        assert few == many and few.count("%s") == 1 and "= ANY(%s::bigint[])" in few
    else:  # SQLite has no arrays: `__in`'s placeholders
        assert " IN (%s)" in few and many.count("%s") == 1024
