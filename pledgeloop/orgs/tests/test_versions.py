"""The street's data version: every write to a shown table bumps it, in the database itself.

The triggers (orgs/versions.py, created by orgs/migrations/0005_street_versions.py) are
checked where they live, in the database's catalogue, and by writing in every way the
code writes: a model's save, QuerySet.update, bulk_create, delete, raw SQL.
"""

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orgs.models import Category, Street, StreetVersion
from pledgeloop.orgs.versions import tables_with_triggers, trigger_names
from pledgeloop.people.models import Member, PhoneView
from pledgeloop.pledges.models import Pledge
from pledgeloop.pledges.tests.conftest import make_member, make_pledge

pytestmark = pytest.mark.django_db

# Tables with a street that no cached page shows (orgs/pagecache.py: the wall, member pages,
# the showcase, the public figures, the needs list, an order, the member's home; the annual
# review's rows; the dashboard's figures, stats/figures_cache.py), and why: writing to them
# bumps nothing, so that the hot writes of logs and outboxes do not empty the cache.
NOT_SHOWN = {
    "api.ApiOrder": "another system's order reference; the order itself bumps",
    "api.ApiToken": "other systems' credentials",
    "api.WebhookDelivery": "the webhooks' outbox",
    "api.WebhookSubscription": "other systems' subscriptions",
    "api.WechatPublication": "the WeChat publishing log",
    "orgs.StreetVersion": "the versions themselves",
    "diary.Article": "the service diary's pages are not cached",
    "notify.Delivery": "the messages' outbox",
    "notify.Notification": "the in-app inbox (also the outbox)",
    "people.PhoneView": "the access log of whole numbers",
    "people.RoleGrant": "roles; the cached pages are anonymous, the annual rows keyed by scope",
    "pledges.PledgeEvent": "the pledge's audit trail (the pledge's own row bumps)",
    "privacy.DeletionRequest": "requests; carrying one out writes the shown tables",
    "service.SiteScreen": "a site screen's secret",
    "stats.DirtyDay": "marks for the rollups' refresh, which bumps through the rollup tables",
}


@pytest.fixture
def member(world) -> Member:
    return world.member.member


def expected_triggers(table: str) -> set[str]:
    names = set(trigger_names(table))
    if connection.vendor == "sqlite":  # row-level: no TRUNCATE in SQLite
        names.discard(f"{table}_sv_truncate")
    return names


def version(street) -> int:
    found = StreetVersion.objects.filter(street=street).values_list("n", flat=True).first()
    return found or 0


def test_every_table_with_a_street_has_the_triggers_or_a_reason():
    found = tables_with_triggers(connection)
    missing, stale = [], []
    for model in apps.get_models():
        label = model._meta.label
        if not any(f.name == "street" and f.concrete for f in model._meta.get_fields()):
            continue
        table = model._meta.db_table
        has = expected_triggers(table) <= found.get(table, set())
        if label in NOT_SHOWN:
            if found.get(table):
                stale.append(f"{label} has triggers but is listed as not shown")
        elif not has:
            missing.append(label)
    assert not missing, (
        f"tables with a street but no street-version triggers: {missing}. Give them "
        "StreetVersionTriggers in a migration (orgs/versions.py), or list them in NOT_SHOWN "
        "with the reason no cached page shows them."
    )
    assert not stale, stale
    labels = {m._meta.label for m in apps.get_models()}
    assert set(NOT_SHOWN) <= labels, set(NOT_SHOWN) - labels
    # The street itself (name, slug) and the user's shown fields.
    assert expected_triggers("orgs_street") <= found["orgs_street"]
    assert "people_user_sv_update" in found["people_user"]


def test_each_kind_of_write_bumps_its_street_and_no_other(world, member):
    here, there = world.street, world.other_street
    steps = [
        ("save", lambda: make_pledge(member, title="每周测血压")),
        ("update", lambda: Pledge.objects.filter(member=member).update(title="每周量血压")),
        (
            "bulk_create",
            lambda: Category.objects.bulk_create(
                [Category(street=here, code=f"extra-{n}", name=f"类别{n}") for n in range(3)]
            ),
        ),
        ("delete", lambda: Category.objects.filter(code__startswith="extra-").delete()),
        ("raw SQL", lambda: raw("UPDATE orgs_community SET name = name || '社区' WHERE id = %s")),
    ]

    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [world.community.pk])

    for kind, write in steps:
        before_here, before_there = version(here), version(there)
        write()
        assert version(here) > before_here, kind
        assert version(there) == before_there, kind


def test_a_statement_bumps_once_on_postgresql_however_many_rows(world, member):
    before = version(world.street)
    Category.objects.bulk_create(
        [Category(street=world.street, code=f"bulk-{n}", name=f"批量{n}") for n in range(50)]
    )
    bumped = version(world.street) - before
    # PostgreSQL: one statement-level trigger; SQLite: one row-level trigger a row.
    assert bumped == (1 if connection.vendor == "postgresql" else 50)


def test_moving_a_row_to_another_street_bumps_both(world):
    mover = make_member(world, "13900000301", "周搬家")
    before_here, before_there = version(world.street), version(world.other_street)
    Member.objects.filter(pk=mover.pk).update(street=world.other_street)
    assert version(world.street) > before_here
    assert version(world.other_street) > before_there


def test_a_user_bumps_their_members_streets_only_when_a_shown_field_changes(world, member):
    user = member.user
    before, before_there = version(world.street), version(world.other_street)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])  # every sign-in
    user.email = "zhang@example.com"
    user.save()  # a whole-row save that changes nothing shown
    assert version(world.street) == before
    user.name = "张三丰"
    user.save()
    assert version(world.street) > before
    assert version(world.other_street) == before_there


def test_logs_and_outboxes_bump_nothing(world, member):
    before = version(world.street)
    Notification.objects.create(street=world.street, user=world.member, kind="t", title="提醒")
    PhoneView.objects.create(
        street=world.street, viewer=world.community_admin, resident=world.resident_here
    )
    assert version(world.street) == before


def test_an_order_event_bumps_its_street(world):
    """An order's history shows on the order page, cached for its admins
    (pagecache.signed_in_page): a note written without touching the order row bumps too."""
    order = Order.objects.create(
        street=world.street,
        community=world.community,
        category=Category.objects.filter(street=world.street).first(),
        description="楼道灯坏了",
        phone="13812345678",
    )
    before, before_there = version(world.street), version(world.other_street)
    OrderEvent.objects.create(
        street=world.street, order=order, to_state=order.state, action="note", source="system"
    )
    assert version(world.street) > before
    assert version(world.other_street) == before_there


def test_a_members_skills_bump_their_street_when_added_or_taken(world, member):
    """Member skills live in a link table without a street of their own (people.Member_skills):
    its trigger bumps the member's street, whoever writes it (an import sets only skills)."""
    category = Category.objects.filter(street=world.street).first()
    before, before_there = version(world.street), version(world.other_street)
    member.skills.add(category)
    added = version(world.street)
    assert added > before
    member.skills.remove(category)
    assert version(world.street) > added
    assert version(world.other_street) == before_there


def test_a_new_street_starts_with_its_version_row():
    street = Street.objects.create(name="新街道", slug="xin")
    assert version(street) == 1
    Street.objects.filter(pk=street.pk).update(name="新城街道")
    assert version(street) == 2
