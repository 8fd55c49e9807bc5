"""The API order list's kept answers (api/answers.py, issue 17): each token's answer kept
under its street's data version, byte for byte what ninja renders, never behind a write, the
token checked and counted on every request.

The first test is the guard: every table the list reads is either bumped by the database on
every write (orgs/versions.py's triggers) or is in the key some other way (KEYED), for every
kind of token. A list that starts reading a new table fails it, naming the table.
"""

import datetime as dt
import gzip
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledgeloop.api.models import ApiToken, Scope
from pledgeloop.api.tokens import api_token_revoke, token_find
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import dispatched_order, member_of, new_order, triaged_order
from pledgeloop.orgs.models import Community
from pledgeloop.orgs.versions import tables_with_triggers
from pledgeloop.people.models import Role, RoleGrant, User

from .helpers import bearer, personal_token, token_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/orders"
# Tables the list reads that no street version follows, and how the key follows them.
KEYED = {
    "api_apitoken": "the token: in the key, found and checked on every request",
    "people_rolegrant": "the maker's roles: checked on every request, before the cache",
    "orgs_streetversion": "the versions themselves, in the key",
    # The maker is read on every request (still active?); members' names, which the list
    # shows masked, bump their street (StreetVersionUserTrigger).
    "people_user": "the maker checked on every request, members' names bump their street",
    # Which orders a filing token filed (access.orders_for_token): written only together with
    # the order's insert, in one transaction (api/filing.order_file), which bumps the street.
    "api_apiorder": "a filing is written only with its order, whose insert bumps",
}
# The queries of a kept answer: the token with its maker's roles and the street's version,
# and the rate limit's count; a personal token's member is checked to be active as well.
KEPT = {"street": 2, "community": 2, "hotline": 2, "personal": 3}
TABLE = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"')
# What the test client sends as a browser would: gzip accepted.
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}


@pytest.fixture(autouse=True)
def early_in_a_minute():
    """Each test runs from five seconds into the next minute, its clock going: the tests count
    the queries of API requests, and a minute turning between two requests made the second
    start the token's new rate-limit minute with one more UPDATE (2 -> 3 queries), as it did
    to test_page_queries in a fresh clone's run (session 30)."""
    start = timezone.now().replace(second=5, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture
def orders(world):
    """An order waiting, one offered to the member, one the member holds, one in the
    neighbouring community."""
    member = member_of(world)
    waiting = new_order(world)
    offered, _offer = dispatched_order(world, member, description="需要陪同就医")
    held = triaged_order(world, description="帮忙买菜")
    held = order_services.order_claim(order=held, member=member)
    there = new_order(world, community=world.neighbour, description="腾飞的灯坏了")
    return {"waiting": waiting, "offered": offered, "held": held, "there": there}


@pytest.fixture
def street_token(world) -> str:
    return token_for(world.street_admin, world.street, None, [Scope.ACT_COMMUNITY])


def ask(text: str, path: str = LIST, **headers) -> tuple[bytes, list[str]]:
    """The list's body (unzipped if it came zipped) and the queries answering it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path, **bearer(text), **headers)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body, [q["sql"] for q in queries.captured_queries]


def drawn(queries: list[str]) -> bool:
    """Whether the answer was drawn (it read the orders), not taken from the cache."""
    return any('"orders_order"' in sql for sql in queries)


def descriptions(body: bytes) -> set[str]:
    return {order["description"] for order in json.loads(body)["items"]}


def fresh(text: str, settings, path: str = LIST, **headers) -> bytes:
    """The list as ninja renders it with nothing kept."""
    seconds = settings.SIGNED_IN_PAGE_CACHE_SECONDS
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 0
    try:
        return ask(text, path, **headers)[0]
    finally:
        settings.SIGNED_IN_PAGE_CACHE_SECONDS = seconds


def tokens(world) -> dict[str, str]:
    return {
        "street": token_for(world.street_admin, world.street, None, [Scope.ACT_COMMUNITY]),
        "community": token_for(
            world.community_admin, world.street, world.community, [Scope.ACT_COMMUNITY]
        ),
        "hotline": token_for(
            world.community_admin, world.street, world.community, [Scope.FILE_ORDERS]
        ),
        "personal": personal_token(world),
    }


def test_every_table_the_list_reads_is_versioned_or_keyed(world, orders):
    versioned = set(tables_with_triggers(connection))
    for name, text in tokens(world).items():
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(LIST, **bearer(text))
        assert response.status_code == 200, name
        read = {table for q in queries.captured_queries for table in TABLE.findall(q["sql"])}
        assert "orders_order" in read, name
        unfollowed = read - versioned - set(KEYED)
        assert not unfollowed, f"{name} reads {sorted(unfollowed)}: no version follows them"


def test_a_kept_answer_is_the_one_ninja_renders(world, orders, settings):
    for name, text in tokens(world).items():
        first, first_queries = ask(text)
        again, queries = ask(text)
        zipped, zipped_queries = ask(text, **GZIP)
        assert len(queries) == len(zipped_queries) == KEPT[name], name
        assert drawn(first_queries) and not drawn(queries) and not drawn(zipped_queries)
        assert again == zipped == first == fresh(text, settings), name
    listed = descriptions(ask(tokens(world)["street"])[0])
    assert {"需要陪同就医", "腾飞的灯坏了"} <= listed


def test_a_kept_answer_comes_zipped_as_the_middleware_zips_it(world, orders, street_token):
    client = Client()
    rendered = client.get(LIST, **bearer(street_token), **GZIP)
    kept = client.get(LIST, **bearer(street_token), **GZIP)
    plain = client.get(LIST, **bearer(street_token))
    for response in (rendered, kept):
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content)
    assert kept["Content-Type"] == rendered["Content-Type"]
    assert vary(kept) == vary(rendered)
    assert gzip.decompress(kept.content) == gzip.decompress(rendered.content) == plain.content
    assert not plain.has_header("Content-Encoding")


def vary(response) -> set[str]:
    return {name.strip() for name in response["Vary"].split(",")}


@pytest.mark.parametrize("write", ["triage", "history", "update", "rename", "community"])
def test_a_write_to_the_street_shows_at_once(world, orders, settings, street_token, write):
    before, _ = ask(street_token)
    ask(street_token)
    order = orders["waiting"]
    if write == "triage":
        order_services.order_triage(order=order, by=world.community_admin)
    elif write == "history":  # the answer shows each order's history
        order_services.order_reject(order=order, by=world.community_admin, reason="重复提交")
    elif write == "update":  # a write that no service makes: the trigger bumps all the same
        Order.objects.filter(pk=order.pk).update(description="楼道灯坏了")
    elif write == "rename":  # the member who holds an order, shown by name (masked)
        User.objects.filter(pk=world.member.pk).update(name="李建国")
    else:
        Community.objects.filter(pk=world.community.pk).update(slug="xgw")
    after, queries = ask(street_token)
    assert drawn(queries)
    assert after != before
    assert after == fresh(street_token, settings)


def test_a_write_to_another_street_keeps_the_answer(world, orders, street_token):
    ask(street_token)
    new_order(world, community=world.faraway)
    assert len(ask(street_token)[1]) == 2


def test_the_rate_limit_counts_kept_answers(world, orders):
    text = token_for(world.street_admin, world.street, None, [Scope.ACT_COMMUNITY], rate_limit=3)
    client = Client()
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        assert [client.get(LIST, **bearer(text)).status_code for _ in range(4)] == [
            200,
            200,
            200,
            429,
        ]
        refused = client.get(LIST, **bearer(text))
    assert refused.json()["error"]["code"] == "rate_limited"
    assert ApiToken.objects.get(prefix=text[:10]).rate_count == 3


def test_a_revoked_token_is_refused_at_once(world, orders, street_token):
    ask(street_token)
    token = ApiToken.objects.get(prefix=street_token[:10])
    api_token_revoke(token=token, by=world.street_admin)
    response = Client().get(LIST, **bearer(street_token))
    assert response.status_code == 401


def test_a_maker_who_lost_the_role_is_refused_at_once(world, orders, street_token):
    ask(street_token)
    RoleGrant.objects.filter(user=world.street_admin, role=Role.STREET_ADMIN).delete()
    assert Client().get(LIST, **bearer(street_token)).status_code == 401


def test_no_token_is_answered_with_another_tokens_copy(world, orders):
    street = token_for(world.street_admin, world.street, None, [Scope.ACT_COMMUNITY])
    community = token_for(
        world.community_admin, world.street, world.community, [Scope.ACT_COMMUNITY]
    )
    twin = token_for(world.street_admin, world.street, None, [Scope.ACT_COMMUNITY])
    everything, _ = ask(street)
    mine, queries = ask(community)
    assert drawn(queries) and "腾飞的灯坏了" in descriptions(everything)
    assert "腾飞的灯坏了" not in descriptions(mine)
    # the same reach, another token: its own answer, drawn for it
    assert drawn(ask(twin)[1])


def test_the_query_and_the_language_are_in_the_key(world, orders, settings, street_token):
    everything, _ = ask(street_token)
    waiting, queries = ask(street_token, f"{LIST}?state=submitted")
    assert drawn(queries) and waiting != everything
    assert waiting == fresh(street_token, settings, f"{LIST}?state=submitted")
    chinese, _ = ask(street_token, HTTP_ACCEPT_LANGUAGE="zh-hans")
    english, queries = ask(street_token, HTTP_ACCEPT_LANGUAGE="en")
    assert drawn(queries)
    labels = {json.loads(body)["items"][0]["state_label"] for body in (chinese, english)}
    assert labels == {"Waiting to be accepted", "待受理"}


def test_an_answer_that_is_no_200_is_not_kept(world, orders, street_token):
    path = f"{LIST}?created_after=yesterday"
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(path, **bearer(street_token))
        assert response.status_code == 422
    assert len(queries) == 2  # the token and its count: refused before any order is read
    ask(street_token)
    assert len(ask(street_token)[1]) == 2


def test_kept_answers_expire_with_the_clock(world, orders, settings, street_token):
    """What the list says of time (`overdue`) is at most SIGNED_IN_PAGE_CACHE_SECONDS behind."""
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 60
    # At a minute's start, so that the rate limit's minute stays the same for 59 seconds.
    with time_machine.travel(timezone.now().replace(second=0), tick=False) as clock:
        ask(street_token)
        clock.shift(59)
        assert len(ask(street_token)[1]) == 2
        clock.shift(2)
        assert drawn(ask(street_token)[1])


def test_nothing_is_kept_when_turned_off(world, orders, settings, street_token):
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 0
    ask(street_token)
    assert drawn(ask(street_token)[1])


def test_the_token_is_found_with_its_makers_roles_as_the_orm_reads_them(world):
    """token_find's one hand-written query makes the token and its maker as the ORM does."""
    text = token_for(world.community_admin, world.street, world.community, [Scope.READ_PUBLIC])
    found = token_find(text)
    stored = ApiToken.objects.select_related("user").get(pk=found.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(stored, field.attname), field.name
    for field in User._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(stored.user, field.attname)
    assert [(g.pk, g.role, g.street_id, g.community_id) for g in found.user.grants] == [
        (g.pk, g.role, g.street_id, g.community_id) for g in stored.user.grants
    ]
    assert found.street == world.street and found.community == world.community
    assert isinstance(found.scopes, list) and found.user.is_active is True
    assert found.created_at.tzinfo is not None and found.street_version > 0
