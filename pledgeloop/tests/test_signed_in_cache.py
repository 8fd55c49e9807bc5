"""The signed-in pages' cache (orgs/pagecache.signed_in_page, issue 17): the needs list, an
order's page, the member's home and nearby needs, the dashboard and the annual review are
kept for their viewer alone, never behind a write.

The first test is the guard: every table such a page reads is either bumped by the database
on every write (orgs/versions.py's triggers) or is in the page's key some other way (KEYED).
A page that starts reading a new table fails it, naming the table.
"""

import re
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledgeloop.conftest import make_user
from pledgeloop.notify.services import notify
from pledgeloop.notify.viewer import viewer
from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age, member_of, new_order
from pledgeloop.orgs.pagecache import signed_in_page
from pledgeloop.orgs.versions import tables_with_triggers
from pledgeloop.people.models import Role, RoleGrant
from pledgeloop.stats.rollups import rollups_refresh

pytestmark = pytest.mark.django_db

# Tables the cached pages read that no street version follows, and how the key follows them.
KEYED = {
    "orgs_streetversion": "the versions themselves, in the key",
    "people_session": "who is asking: the session is read before the cache",
    "people_rolegrant": "the viewer's roles and scopes are in the key (notify/viewer.py)",
    "notify_notification": "the viewer's unread count is in the key (the inbox badge)",
    # The viewer's own name is in the key; a member's shown fields bump their street
    # (StreetVersionUserTrigger). An admin who is no member and renames themselves shows
    # under the old name on another's order page until the entry expires (a minute).
    "people_user": "the viewer's name in the key, members' names bump their street",
    # The dashboard's check that its rollups are fresh (stats/rollups.py) reads its marks;
    # the rollups follow the raw tables, whose writes bump the version read before the check
    # (stats/figures_cache.py says why that order makes a copy never older than its key).
    "stats_dirtyday": "the rollups' marks: the raw tables they follow bump",
    "stats_rollupstate": "the rollups' state: the raw tables they follow bump",
    # The annual review's summary kept for every worker process under its cache key, which
    # holds the street's version (reviews/shared.py).
    "reviews_sharedannualsummary": "the annual review's summary, under a key with the version",
}
# Writes that only fill a cache (a copy answered without them loses nothing): the annual
# review's summary stored for the other worker processes (reviews/shared.py).
CACHE_FILLS = ("reviews_sharedannualsummary",)
TABLE = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"')
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def orders(world):
    """An order waiting on the needs list, one offered to the member, one done by them."""
    member = member_of(world)
    waiting = new_order(world)
    order_services.order_triage(order=waiting, by=world.community_admin)
    offered = new_order(world, description="需要陪同就医")
    order_services.order_triage(order=offered, by=world.community_admin)
    order_services.order_dispatch(order=offered, member=member, by=world.community_admin)
    done = new_order(world, description="帮忙买菜")
    order_services.order_triage(order=done, by=world.community_admin)
    done = order_services.order_claim(order=done, member=member)
    age(done)
    done, _record = order_services.order_finish(order=done, member=member, hours=Decimal("1.5"))
    # The figures' rollups brought up to date, as the tasks worker keeps them, so that the
    # dashboard's first request does not refresh them (a write, which bumps the version).
    rollups_refresh()
    return {"waiting": waiting, "offered": offered, "done": done}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(world, orders) -> list[tuple[object, str]]:
    return [
        (world.community_admin, "/console/needs/"),
        (world.street_admin, f"/console/needs/?category={orders['waiting'].category_id}"),
        (world.community_admin, f"/console/orders/{orders['waiting'].pk}/"),
        (world.community_admin, f"/console/orders/{orders['done'].pk}/"),
        (world.member, "/me/"),
        (world.member, "/me/orders/nearby/"),
        (world.street_admin, "/console/stats/"),
        (world.community_admin, f"/console/stats/?community={world.community.pk}&period=ytd"),
        (world.street_admin, f"/annual/{world.street.slug}/{timezone.localdate().year}/"),
    ]


def ask(client: Client, path: str) -> tuple[str, int]:
    """The page's text and how many queries answering it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode(), len(queries)


def test_every_table_a_cached_page_reads_is_versioned_or_keyed(world, orders):
    versioned = set(tables_with_triggers(connection))
    for user, path in pages(world, orders):
        caches[settings.PUBLIC_PAGE_CACHE].clear()
        client = signed_in(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200, path
        read = {table for q in queries.captured_queries for table in TABLE.findall(q["sql"])}
        assert read, path
        unfollowed = read - versioned - set(KEYED)
        assert not unfollowed, f"{path} reads {sorted(unfollowed)}: no version follows them"
        # a GET answered from a copy must have had nothing to write (an audit row, say)
        writes = [
            q["sql"][:80]
            for q in queries.captured_queries
            if WRITE.match(q["sql"])
            and "people_session" not in q["sql"]
            and not any(table in q["sql"] for table in CACHE_FILLS)
        ]
        assert not writes, f"{path} writes on a GET: {writes}"


def test_a_second_request_is_answered_from_the_viewers_copy(world, orders):
    for user, path in pages(world, orders):
        client = signed_in(user)
        first, first_queries = ask(client, path)
        again, queries = ask(client, path)
        # the session with its user, their roles, versions and unread count
        assert queries == 1 < first_queries, path
        # the same page, each answer with a form token of its own (masked afresh)
        assert TOKEN.sub("", again) == TOKEN.sub("", first)


def test_a_write_shows_on_the_next_request(world, orders):
    client = signed_in(world.community_admin)
    path = f"/console/orders/{orders['waiting'].pk}/"
    ask(client, path)
    order_services.order_reject(order=orders["waiting"], by=world.street_admin, reason="重复提交")
    page, queries = ask(client, path)
    assert "重复提交" in page and queries > 3
    needs, _ = ask(client, "/console/needs/")
    offered = orders["offered"]
    order_services.order_cancel(order=offered, by=world.community_admin, reason="居民已自行解决")
    assert ask(client, "/console/needs/")[0] != needs


def test_the_members_home_follows_an_offer(world, orders):
    client = signed_in(world.member)
    home, _ = ask(client, "/me/")
    assert "需要陪同就医" in home
    order_services.order_cancel(
        order=orders["offered"], by=world.community_admin, reason="居民已自行解决"
    )
    assert "需要陪同就医" not in ask(client, "/me/")[0]


def test_nobody_is_served_another_persons_copy(world, orders):
    other = make_user("13900000777", "钱主任", Role.COMMUNITY_ADMIN, world.street, world.community)
    mine, _ = ask(signed_in(world.community_admin), "/console/needs/")
    theirs, queries = ask(signed_in(other), "/console/needs/")
    assert "钱主任" in theirs and "钱主任" not in mine
    assert queries > 3  # rendered for them, not taken from the first admin's copy


def test_a_new_message_shows_on_the_badge(world, orders):
    client = signed_in(world.member)
    before, _ = ask(client, "/me/")
    notify(user=world.member, kind="test", title="新的派单", url="/me/")
    after, queries = ask(client, "/me/")
    assert queries > 3
    badge = re.compile(r'class="badge">(\d+)<')
    assert int(badge.search(after).group(1)) == int((badge.search(before) or [0, "0"])[1]) + 1


def test_a_role_taken_away_is_refused_at_once(world, orders):
    client = signed_in(world.community_admin)
    ask(client, "/console/needs/")
    RoleGrant.objects.filter(user=world.community_admin).update(role=Role.RESIDENT)
    assert client.get("/console/needs/").status_code == 403


def test_each_visitor_gets_their_own_form_token(world, orders):
    """The page's forms carry a CSRF token of the visitor's own session, from the cache too:
    the same person on a phone and a computer has two."""
    phone, desk = signed_in(world.community_admin), signed_in(world.community_admin)
    path = f"/console/orders/{orders['waiting'].pk}/"
    ask(phone, path)
    page, queries = ask(desk, path)
    assert queries == 1  # the phone's render, answered to the desk
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert tokens
    secret = desk.cookies[settings.CSRF_COOKIE_NAME].value
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    response = desk.post(f"/console/orders/{orders['waiting'].pk}/triage/")
    assert response.status_code in (302, 200)


def test_a_pending_message_is_shown_not_a_copy_without_it(world, orders):
    client = signed_in(world.community_admin)
    ask(client, "/console/needs/")
    response = client.post(
        "/console/needs/bulk/", {"ids": [orders["waiting"].pk], "action": "triage"}, follow=True
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="msg') >= 1


def test_copies_expire_with_the_clock(world, orders, settings):
    """What the pages say of time ("overdue") is at most SIGNED_IN_PAGE_CACHE_SECONDS behind."""
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 60
    # At noon: a copy is kept for its day too (the key holds the date), and a minute's shift
    # that crossed midnight made the test fail when run in the last minute of a day.
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=False) as clock:
        client = signed_in(world.community_admin)
        ask(client, "/console/needs/")
        clock.shift(59)
        assert ask(client, "/console/needs/")[1] == 1
        clock.shift(2)
        assert ask(client, "/console/needs/")[1] > 3


def test_no_cache_when_turned_off(world, orders, settings):
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 0
    client = signed_in(world.community_admin)
    ask(client, "/console/needs/")
    assert ask(client, "/console/needs/")[1] > 3


@pytest.mark.parametrize("vary, stored", [("HX-Request", False), ("Cookie, Accept-Language", True)])
def test_a_page_that_varies_by_a_header_outside_the_key_is_not_stored(rf, world, vary, stored):
    drawn = []

    @signed_in_page(viewer)
    def page(request):
        drawn.append(request)
        response = HttpResponse("<p>名单</p>")
        response["Vary"] = vary
        return response

    for _ in range(2):
        request = rf.get("/console/x/")
        request.user, request.session = world.community_admin, SessionStore()
        request._messages = default_storage(request)
        assert page(request).content == "<p>名单</p>".encode()
    assert len(drawn) == (1 if stored else 2)
