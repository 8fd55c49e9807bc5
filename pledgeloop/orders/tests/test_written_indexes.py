"""The indexes of the links a new order leaves empty cover only the rows that have one
(lib/indexes.py), and still find the rows whenever a link is followed.

A resident's order has no assigned member, no filing user, no resident record yet; its event
no user and no categories; its consent no resident; its text no user. In whole indexes each
of these NULLs was an entry, one more page an order wrote (issue 17). The queries that follow
such a link ask for a value (`= x`; `IN (…)`, as Django's deletions do), which both databases
answer from the partial index.
"""

import re

import pytest
from django.db import connection
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.services import order_submit
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Consent, Member

# (model, field, its index): every link a resident's new order leaves empty.
EMPTY_AT_FILING = [
    (Order, "resident", "order_resident"),
    (Order, "requested_member", "order_requested_member"),
    (Order, "assigned_member", "order_assigned_member"),
    (Order, "created_by", "order_created_by"),
    (OrderEvent, "by", "orderevent_by"),
    (OrderEvent, "from_category", "orderevent_from_category"),
    (OrderEvent, "to_category", "orderevent_to_category"),
    (Consent, "resident", "consent_resident"),
    (Notification, "user", "notification_user"),
]
# Set only once the order is done.
EMPTY_AT_FILING_BY_STREET = [(Order, "done_at", "order_street_done")]


def _file(world) -> Order:
    return order_submit(
        community=world.community,
        category=Category.objects.get(street=world.street, code="repairs"),
        description="楼道灯坏了",
        phone="13811112222",  # no resident record, no account
        consent=True,
        address="3幢201室",
    )


def _entries(index: str) -> int:
    """The entries of an index, counted from its pages (SQLite's dbstat table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(ncell), 0) FROM dbstat WHERE name = %s AND pagetype = 'leaf'",
            [index],
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="counted from SQLite's pages")
def test_filing_an_order_writes_no_entry_for_the_links_it_leaves_empty(world):
    indexes = [index for _m, _f, index in [*EMPTY_AT_FILING, *EMPTY_AT_FILING_BY_STREET]]
    # The world's own rows (its residents' consents, its users' notifications) have some.
    before = {index: _entries(index) for index in indexes}
    inboxes = Notification.objects.filter(user__isnull=False).count()
    order = _file(world)
    assert order.resident_id is None and order.assigned_member_id is None
    # The resident's text has no user: only the admins' notifications, each in an inbox,
    # have their entries.
    assert Notification.objects.filter(user=None, phone=order.phone).count() == 1
    admins = Notification.objects.filter(user__isnull=False).count() - inboxes
    assert admins > 0
    before["notification_user"] += admins
    assert {index: _entries(index) for index in indexes} == before
    # A link that is set has its entry: the count would see one.
    member = Member.objects.get(user=world.member)
    Order.objects.filter(pk=order.pk).update(assigned_member=member)
    assert _entries("order_assigned_member") == before["order_assigned_member"] + 1


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tables this small are read whole by choice: asked not to, the planner shows
            # whether the partial index can answer at all (it must prove the query implies
            # the index's condition).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            return plan
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.parametrize(("model", "field", "index"), EMPTY_AT_FILING)
def test_following_a_link_reads_its_partial_index(world, model, field, index):
    column = model._meta.get_field(field).attname
    # A page's "this member's orders" and a deletion's look-up of the rows that point at
    # the deleted ones.
    for lookup, value in ((column, 7), (f"{column}__in", [7, 8])):
        plan = _plan(model.objects.filter(**{lookup: value}).values("pk"))
        assert re.search(rf"\b{index}\b", plan), plan


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL chooses among the street's indexes by its statistics",
)
def test_a_streets_orders_done_in_a_time_read_the_done_index(world):
    now = timezone.now()
    queryset = Order.objects.filter(street=world.street, done_at__gte=now, done_at__lt=now).values(
        "pk"
    )
    plan = _plan(queryset)
    assert re.search(r"\border_street_done\b", plan), plan
