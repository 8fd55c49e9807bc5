"""The intake desk: a community's reference data kept in memory, never stale across a change."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pledgeloop.conftest import make_user
from pledgeloop.notify.models import Notification
from pledgeloop.orders import desk as desk_module
from pledgeloop.orders.desk import desk_changed, intake_desk, intake_desk_at, revision
from pledgeloop.orders.models import DeskRevision, IntakeAttempt, Order, OrderEvent
from pledgeloop.orgs.models import Category, Site, StreetVersion
from pledgeloop.people.models import Consent, Role

from .test_intake import intake_url, make_sites, order_data

pytestmark = pytest.mark.django_db


def desk_of(world):
    return intake_desk(world.street.slug, world.community.slug)


def test_a_desk_holds_the_communitys_reference_data(world):
    desk = desk_of(world)
    assert desk.community == world.community and desk.street == world.street
    assert [c.code for c in desk.categories.values()] == list(
        Category.objects.filter(street=world.street, active=True).values_list("code", flat=True)
    )
    # The street's admin and this community's, not the neighbouring community's.
    assert {u.pk for u in desk.admins} == {world.street_admin.pk, world.community_admin.pk}
    assert intake_desk(world.street.slug, "nowhere") is None
    assert intake_desk(world.other_street.slug, world.community.slug) is None


def test_a_desk_is_reused_until_the_revision_changes(world, django_assert_num_queries):
    first = desk_of(world)
    with django_assert_num_queries(1):  # the revision token only
        assert desk_of(world) is first
    desk_changed()
    assert desk_of(world) is not first


def test_a_change_made_by_another_process_is_seen_through_the_token(world):
    """Another process's signals do not run here; the token it wrote to the database does."""
    desk = desk_of(world)
    repairs = next(c for c in desk.categories.values() if c.code == "repairs")
    Category.objects.filter(pk=repairs.pk).update(active=False)  # no signal
    assert repairs.pk in desk_of(world).categories  # nobody said anything yet
    DeskRevision.objects.filter(key="desk").update(token="written-by-another-process")
    assert repairs.pk not in desk_of(world).categories


def test_an_entry_expires_after_its_time_even_without_a_change(world, monkeypatch):
    first = desk_of(world)
    monkeypatch.setattr(desk_module, "DESK_TTL", -1.0)
    desk_module.desks_forget()
    second = desk_of(world)
    assert desk_of(world) is not second and second is not first


def test_saving_watched_data_changes_the_token_and_a_login_does_not(world):
    before = revision()
    Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.BUILDING,
        name="9幢",
        latitude=Decimal("31.957000"),
        longitude=Decimal("120.942000"),
    )
    after_site = revision()
    assert after_site != before
    world.community_admin.last_login = None
    world.community_admin.save(update_fields=["last_login"])
    world.member.name = "张三丰"
    world.member.save()  # a member, not an admin: the desk holds no members
    assert revision() == after_site
    world.community_admin.phone = "13900000109"
    world.community_admin.save()
    assert revision() != after_site


def test_a_new_building_is_accepted_at_once(world, client):
    assert client.get(intake_url(world)).status_code == 200  # the desk is now cached
    building = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.BUILDING,
        name="12幢",
        latitude=Decimal("31.957000"),
        longitude=Decimal("120.942000"),
    )
    response = client.post(intake_url(world), order_data(world, site=building.pk))
    assert response.status_code == 302
    assert Order.objects.get().site == building


def test_a_retired_category_is_refused_at_once(world, client):
    assert client.get(intake_url(world)).status_code == 200
    repairs = Category.objects.get(street=world.street, code="repairs")
    repairs.active = False
    repairs.save()
    response = client.post(intake_url(world), order_data(world))
    assert response.status_code == 200
    assert "请选择需要哪一类帮助" in response.content.decode()
    assert not Order.objects.exists()


def test_a_new_admin_hears_of_the_next_order(world, client):
    assert client.get(intake_url(world)).status_code == 200
    deputy = make_user(
        "13900000110", "星港湾副书记", Role.COMMUNITY_ADMIN, world.street, world.community
    )
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    told = set(Notification.objects.filter(kind="order_new").values_list("user_id", flat=True))
    assert told == {world.street_admin.pk, world.community_admin.pk, deputy.pk}


@pytest.mark.parametrize("public", ["", "1"])
@pytest.mark.parametrize("submission", ["", "Kx7_-" * 5])
def test_an_intake_post_with_a_warm_desk_makes_few_queries(
    world, client, django_assert_num_queries, public, submission
):
    client.get(intake_url(world))
    data = {**order_data(world, phone="13811112222"), "public": public, "submission": submission}
    # The order this form's key already filed, the resident match and the desk's token (one
    # statement, with or without the key: the desk kept is taken unread, and the token read
    # with it tells whether the desk is current); then in the transaction (a savepoint inside
    # the test's own) the attempt counted under the limits, the consent rows (which notice version
    # was agreed; with the separate consent to appear publicly, both in one INSERT), the
    # order, its event, and the admins' notifications with the resident's text (one INSERT).
    # The community, categories, sites and admins come from memory. On PostgreSQL the read
    # (with the new rows' ids), the rows and the limits' check and count (its two advisory
    # locks, so that simultaneous submissions cannot pass the per-phone limit) are one
    # statement, with no transaction of its own (here a savepoint in the test's; on the wire,
    # without one: test_an_order_is_one_round_trip_to_postgresql).
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(3 if postgresql else 8):
        response = client.post(intake_url(world), data)
    assert response.status_code == 302
    order = Order.objects.get()
    given = Consent.objects.filter(phone="13811112222").order_by("pk")
    purposes = ["data_use", "public"] if public else ["data_use"]
    assert [c.purpose for c in given] == purposes
    assert order.consent == given[0] and order.consent.given_at == order.created_at


def repeated_indexes(model) -> list[tuple[str, str]]:
    """(index, the index it repeats): the table's indexes, as the database has them, whose
    columns lead another index of the table that is whole (not partial) and so finds the
    same rows. A unique index is never counted as repeated: it keeps its rule."""
    partial = {
        index.name
        for index in [*model._meta.indexes, *model._meta.constraints]
        if getattr(index, "condition", None) is not None
    }
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexes = {
        name: (tuple(c["columns"]), c["unique"])
        for name, c in found.items()
        if (c["index"] or c["unique"]) and not c["primary_key"] and c["columns"]
    }
    repeated = {
        name: other
        for name, (columns, unique) in indexes.items()
        if not unique
        for other, (longer, _unique) in indexes.items()
        if other not in partial and len(longer) > len(columns) and longer[: len(columns)] == columns
    }
    return sorted(repeated.items())


@pytest.mark.parametrize("model", [Order, OrderEvent, Notification, Consent, IntakeAttempt])
def test_the_tables_an_order_writes_repeat_no_index(model):
    # Every index is one more page an order writes (and, on SQLite, copies to its log): the
    # street's foreign-key index alone repeated the composite indexes that lead with it.
    assert repeated_indexes(model) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django's LIKE indexes: PostgreSQL")
@pytest.mark.parametrize("model", [Order, OrderEvent, Notification, Consent, IntakeAttempt])
def test_the_tables_an_order_writes_have_no_index_for_like(model):
    """A text field's db_index on PostgreSQL comes with a second index (varchar_pattern_ops)
    for LIKE, which no query asks of a token or a number: one more entry an order writes.
    The tracking token and the consent's number have indexes of their models instead."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [model._meta.db_table, "%pattern_ops%"],
        )
        assert cursor.fetchall() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids asked ahead: PostgreSQL")
def test_the_street_versioned_rows_are_the_transactions_last_statement(world, client):
    """Their triggers lock the street's version row until commit (orgs/versions.py): written
    last and together, the other orders of the street wait only for that statement and the
    commit. The version still moves with the order."""
    client.get(intake_url(world))
    before = StreetVersion.objects.get(street=world.street).n
    with CaptureQueriesContext(connection) as queries:
        response = client.post(intake_url(world), order_data(world, phone="13811112222"))
    assert response.status_code == 302
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "WITH"))]
    tables = ('"people_consent"', '"orders_order"', '"orders_orderevent"', '"notify_notification"')
    assert all(table in writes[-1] for table in tables)
    assert not any(table in write for write in writes[:-1] for table in tables)
    assert queries[-1]["sql"].startswith("RELEASE SAVEPOINT")
    order = Order.objects.select_related("consent").get()
    assert order.consent.phone == "13811112222" and order.events.get().action == "submit"
    assert StreetVersion.objects.get(street=world.street).n > before
    # The texts, written before the order and numbered with it, name the order stored.
    notices = Notification.objects.filter(kind="order_new")
    assert {n.url for n in notices} == {reverse("console:order_detail", args=[order.pk])}
    text = Notification.objects.get(kind="order_filed")
    assert f"单号{order.pk}" in text.title and text.params["order"] == str(order.pk)
    assert text.url == reverse("orders:track", args=[order.tracking_token])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_intake_read_is_planned_once_not_for_every_order(world, client):
    """A statement run again is prepared (settings: POSTGRES_PREPARE_THRESHOLD), and PostgreSQL
    then keeps one generic plan where it costs no more than each call's own. With the count
    of ids asked ahead as a parameter (generate_series of an unknown length, a thousand rows
    to the planner) the generic plan looked dearer, so the read was planned anew for every
    order: 0.6 ms of the database's CPU an order, more than the read itself (issue 17)."""
    client.get(intake_url(world))
    for n in range(14):
        response = client.post(intake_url(world), order_data(world, phone=f"1381111{n:04d}"))
        assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%nextval(%"],
        )
        plans = cursor.fetchall()
    assert plans and all(generic > 0 for generic, _custom in plans), plans


def test_a_qr_codes_place_is_kept_with_the_desk(world, django_assert_num_queries):
    sites = make_sites(world)
    url = reverse("orders:new_at_site", args=[sites["b2"].pk])
    assert Client().get(url).status_code == 200
    with django_assert_num_queries(1):  # the revision: the place and its desk from memory
        found = intake_desk_at(sites["b2"].pk)
    assert found == (desk_of(world), sites["b2"])
    with django_assert_num_queries(1):  # and the page from the cache
        page = Client().get(url)
    assert re.search(rf'value="{sites["b2"].pk}"[^>]*selected', page.content.decode())

    # A change to the place is seen at the next request; a place gone is a plain 404.
    sites["b2"].name = "2号楼"
    sites["b2"].save()
    assert "阳光花园 2号楼" in Client().get(url).content.decode()
    sites["b2"].delete()
    gone = Client().get(url)
    assert gone.status_code == 404 and "没有找到这个社区" in gone.content.decode()
    # A made-up place is not kept.
    assert intake_desk_at(999_999) is None and 999_999 not in desk_module._places


def test_a_posted_order_takes_the_kept_desk_unread_and_is_checked_again_after_a_change(
    world, django_assert_num_queries
):
    sites = make_sites(world)
    url = reverse("orders:new_at_site", args=[sites["b2"].pk])
    client = Client()
    assert client.get(url).status_code == 200  # the place and its desk are now kept
    desk = desk_of(world)
    with django_assert_num_queries(0):
        assert intake_desk_at(sites["b2"].pk, kept=True) == (desk, sites["b2"])
        assert intake_desk(world.street.slug, world.community.slug, kept=True) is desk
    assert intake_desk(world.street.slug, "nowhere", kept=True) is None
    with django_assert_num_queries(1):  # a kept "no such community" is never taken unread
        assert intake_desk(world.street.slug, "nowhere", kept=True) is None

    # A category retired after the page was opened: the order's read sees the new token,
    # and the order is checked again at the current desk, which refuses it.
    repairs = Category.objects.get(street=world.street, code="repairs")
    repairs.active = False
    repairs.save()
    refused = client.post(url, order_data(world, site=sites["b2"].pk))
    assert refused.status_code == 200 and "请选择需要哪一类帮助" in refused.content.decode()
    assert not Order.objects.exists()

    # The place deleted after its page was opened: a plain 404, and nothing written.
    assert client.get(url).status_code == 200
    place = sites["b2"].pk
    sites["b2"].delete()
    other = Category.objects.filter(street=world.street, active=True).first()
    gone = client.post(url, order_data(world, site=place, category=other.pk))
    assert gone.status_code == 404
    assert not Order.objects.exists()
