"""The access-control matrix: each token scope × each resource × own community / another
community of the street / another street. Allowed answers 2xx; everything else is refused
(403 for a scope the token lacks, 404 or 422 for a row out of its reach) and changes nothing.
"""

import datetime as dt

import pytest

from pledgeloop.api.models import APPLICATION_SCOPES, Scope
from pledgeloop.conftest import make_user
from pledgeloop.orders import services
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import age, bring_to, new_order
from pledgeloop.people.models import Member, Role, User
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_token_for

from .helpers import bearer, personal_token, token_for

pytestmark = pytest.mark.django_db

WHERE = ["own", "neighbour", "faraway"]
MEMBER = Scope.OWN_RECORDS  # the member's actions: personal tokens only
TOKENS = [*APPLICATION_SCOPES, "personal"]


def _setup(world):
    """An order in each community, a done order with a record in each, a public member in
    each, and one token per scope (of the community admin of 星港湾; personal: 张三)."""
    faraway_admin = make_user(
        "13900000199", "桃园书记", Role.COMMUNITY_ADMIN, world.other_street, world.faraway
    )
    places = {"own": world.community, "neighbour": world.neighbour, "faraway": world.faraway}
    orders, records, members = {}, {}, {}
    for where, community in places.items():
        orders[where] = new_order(world, community=community)
        done = bring_to(world, Order.State.DONE) if where == "own" else None
        if done is None:
            record = ServiceRecord.objects.create(
                street=community.street,
                community=community,
                category=orders[where].category,
                started_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
                ended_at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC),
                hours=1,
            )
        else:
            record = ServiceRecord.objects.get(order=done)
        records[where] = record
        user = make_user(
            f"1390000020{len(members)}", f"队员{where}", Role.MEMBER, community.street, community
        )
        members[where] = Member.objects.create(
            user=user, street=community.street, community=community, kind="volunteer"
        )
    tokens = {
        scope: token_for(world.community_admin, world.street, world.community, [scope])
        for scope in APPLICATION_SCOPES
    }
    tokens["personal"] = personal_token(world)
    assert faraway_admin
    acts = _orders_to_act_on(world, places, members)
    return places, orders, records, members, tokens, acts


def _orders_to_act_on(world, places, members) -> dict:
    """For the state actions, in each community: an order on the needs list (to dispatch,
    to claim), one offered (to accept, to decline) and two taken (to finish, to hand back),
    offered to or taken by the personal token's member in their own community (张三) and by
    that community's member elsewhere. Each action has its own order, so that one token's
    success leaves the next token's try meaningful."""
    admins = {"own": world.community_admin, "neighbour": world.outsider}
    Member.objects.update(capacity=20)
    acts = {}
    for where, community in places.items():
        admin = admins.get(where) or User.objects.get(name="桃园书记")
        holder = Member.objects.get(user=world.member) if where == "own" else members[where]

        def triaged(community=community, admin=admin):
            return services.order_triage(order=new_order(world, community=community), by=admin)

        def offered(holder=holder, admin=admin):
            order = triaged()
            services.order_dispatch(order=order, member=holder, by=admin)
            return order

        def taken(holder=holder):
            return services.order_claim(order=triaged(), member=holder)

        acts[where] = {
            "dispatch": triaged(),
            "claim": triaged(),
            "accept": offered(),
            "decline": offered(),
            "finish": age(taken()),
            "hand back": taken(),
        }
    return acts


def _requests(places, orders, records, members, acts):
    """(resource, where, scope it needs, method, path, body)."""
    out = []
    for where, community in places.items():
        order = orders[where]
        act = {name: o.pk for name, o in acts[where].items()}
        out += [
            (
                "positions",
                where,
                Scope.READ_PUBLIC,
                "get",
                f"/api/v1/positions?community={community.slug}",
                None,
            ),
            (
                "dispatch",
                where,
                Scope.ACT_COMMUNITY,
                "post",
                f"/api/v1/orders/{act['dispatch']}/dispatch",
                {"member": members[where].code},
            ),
            (
                "recategorise",
                where,
                Scope.ACT_COMMUNITY,
                "post",
                f"/api/v1/orders/{order.pk}/recategorise",
                {"category": "environment"},
            ),
            ("claim", where, MEMBER, "post", f"/api/v1/me/orders/{act['claim']}/claim", None),
            ("accept", where, MEMBER, "post", f"/api/v1/me/orders/{act['accept']}/accept", None),
            (
                "decline",
                where,
                MEMBER,
                "post",
                f"/api/v1/me/orders/{act['decline']}/decline",
                {"reason": "出差"},
            ),
            (
                "finish",
                where,
                MEMBER,
                "post",
                f"/api/v1/me/orders/{act['finish']}/finish",
                {"hours": 1, "note": "修好了"},
            ),
            (
                "hand back",
                where,
                MEMBER,
                "post",
                f"/api/v1/me/orders/{act['hand back']}/hand-back",
                {"reason": "腰不好"},
            ),
            (
                "sites",
                where,
                Scope.READ_PUBLIC,
                "get",
                f"/api/v1/sites?community={community.slug}",
                None,
            ),
            (
                "pledges",
                where,
                Scope.READ_PUBLIC,
                "get",
                f"/api/v1/pledges?community={community.slug}",
                None,
            ),
            (
                "member page",
                where,
                Scope.READ_PUBLIC,
                "get",
                f"/api/v1/members/{members[where].code}",
                None,
            ),
            (
                "file an order",
                where,
                Scope.FILE_ORDERS,
                "post",
                "/api/v1/orders",
                {
                    "community": community.slug,
                    "category": "repairs",
                    "description": "灯坏了",
                    "phone": "13812345678",
                    "consent": True,
                    "address": "1幢",
                },
            ),
            (
                "read an order",
                where,
                Scope.ACT_COMMUNITY,
                "get",
                f"/api/v1/orders/{order.pk}",
                None,
            ),
            (
                "triage",
                where,
                Scope.ACT_COMMUNITY,
                "post",
                f"/api/v1/orders/{order.pk}/triage",
                None,
            ),
            (
                "reject",
                where,
                Scope.ACT_COMMUNITY,
                "post",
                f"/api/v1/orders/{order.pk}/reject",
                {"reason": "不在范围"},
            ),
            (
                "review",
                where,
                Scope.FILE_ORDERS,
                "get",
                f"/api/v1/reviews/{review_token_for(records[where])}",
                None,
            ),
            (
                "indicators",
                where,
                Scope.READ_INDICATORS,
                "get",
                f"/api/v1/indicators?community={community.slug}",
                None,
            ),
        ]
    out += [
        ("categories", "own", Scope.READ_PUBLIC, "get", "/api/v1/categories", None),
        ("communities", "own", Scope.READ_PUBLIC, "get", "/api/v1/communities", None),
        ("own records", "own", Scope.OWN_RECORDS, "get", "/api/v1/me/records", None),
        ("open needs", "own", MEMBER, "get", "/api/v1/me/orders/open", None),
    ]
    return out


def _public_in_street(resource: str, where: str) -> bool:
    """Public data reaches the token's whole street, not only its community; so does a
    member's claim (the member's page lists the street's open needs)."""
    street_wide = {"sites", "pledges", "member page", "positions", "claim"}
    return resource in street_wide and where == "neighbour"


def test_token_matrix(world, client):
    places, orders, records, members, tokens, acts = _setup(world)
    states = {o.pk: o.state for o in Order.objects.all()}
    own = {orders["own"].pk} | {o.pk for o in acts["own"].values()}
    own |= {acts["neighbour"]["claim"].pk}  # the member claims it (street-wide)
    failures = []
    for name in TOKENS:
        scope = Scope.OWN_RECORDS if name == "personal" else name
        for resource, where, needs, method, path, body in _requests(
            places, orders, records, members, acts
        ):
            args = {"content_type": "application/json", "data": body} if body else {}
            before = Order.objects.count()
            response = getattr(client, method)(path, **args, **bearer(tokens[name]))
            allowed = scope == needs and (where == "own" or _public_in_street(resource, where))
            ok = 200 <= response.status_code < 300
            if ok != allowed:
                failures.append(f"{name} {resource} {where}: {response.status_code}")
            if not allowed:
                assert response.status_code in {403, 404, 422}, (name, resource, where)
                assert "error" in response.json()
                if resource == "file an order":
                    assert Order.objects.count() == before
            if ok and method == "get" and resource in {"sites", "pledges"}:
                assert response.json() is not None
            # A public listing of another street's community is simply empty.
            if ok and where == "faraway":
                failures.append(f"{name} {resource} {where}: reached another street")
    assert not failures, "\n".join(failures)
    # Nothing outside the tokens allowed to act changed state.
    for order in Order.objects.exclude(pk__in=own).filter(pk__in=states):
        assert order.state == states[order.pk], order.pk
    # And what they were allowed to do was done (through the services, source = API).
    done = {name: Order.objects.get(pk=o.pk).state for name, o in acts["own"].items()}
    assert done == {
        "dispatch": "dispatched",
        "claim": "accepted",
        "accept": "accepted",
        "decline": "triaged",
        "finish": "done",
        "hand back": "triaged",
    }
    assert Order.objects.get(pk=acts["neighbour"]["claim"].pk).state == "accepted"


def test_public_listings_of_another_street_are_refused(world, client):
    text = token_for(world.community_admin, world.street, world.community, [Scope.READ_PUBLIC])
    for path in ["/api/v1/sites?community=taoyuan", "/api/v1/pledges?community=taoyuan"]:
        response = client.get(path, **bearer(text))
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "community"
