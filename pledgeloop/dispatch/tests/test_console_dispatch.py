"""Suggested dispatch in the console, through real URLs, from every role."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from pledgeloop.dispatch import engine, suggestions
from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orders.tests.loop import category, new_member, new_order, triaged_order

pytestmark = pytest.mark.django_db
SUGGEST = reverse("console:dispatch:suggest")
# the session with its user, their roles and unread notifications (notify/sessions.py), the
# admin's communities, orders, members, skills, continuity
QUERIES = 6


def point(lat: str) -> dict:
    return {"home_latitude": Decimal(lat), "home_longitude": Decimal("120.942000")}


def repairer(world, phone, name, lat, *, community=None, codes=("repairs",), capacity=3):
    member = new_member(world, phone, name, community=community, capacity=capacity, **point(lat))
    member.skills.set([category(world, c) for c in codes])
    return member


@pytest.fixture
def team(world):
    near = repairer(world, "13900000201", "近师傅", "31.956500")
    far = repairer(world, "13900000202", "远师傅", "31.960000")
    return near, far


def test_the_review_table_shows_suggestions_alternatives_and_reasons(world, team, client_for):
    near, far = team
    fixable = triaged_order(world)
    legal = triaged_order(world, code="legal")
    page = client_for(world.community_admin).get(SUGGEST)
    assert page.status_code == 200
    text = page.text
    assert f'value="{fixable.pk}:{near.pk}" checked' in text
    assert near.user.name in text and far.user.name in text  # far is the alternative
    assert 'data-assigned="1" data-orders="2"' in text
    assert gettext(engine.Reason.NO_SKILLED_MEMBER_IN_RANGE.text) in text
    assert f'data-order="{legal.pk}"' in text


def test_confirming_creates_dispatches_with_the_terms(world, team, client_for):
    near, far = team
    first, second = triaged_order(world), triaged_order(world)
    client = client_for(world.community_admin)
    reply = client.post(SUGGEST, {"pick": [f"{first.pk}:{near.pk}", f"{second.pk}:{far.pk}"]})
    assert reply.status_code == 302
    for order, member in ((first, near), (second, far)):
        order.refresh_from_db()
        assert order.state == Order.State.DISPATCHED
        dispatch = Dispatch.objects.get(order=order)
        assert dispatch.member == member
        assert set(dispatch.suggested) >= {"walk", "load", "continuity", "total"}
        assert dispatch.suggested["load"] == 1.0
    assert Dispatch.objects.get(order=first).suggested["walk"] < 2


def test_two_orders_to_one_member_cost_the_second_load_slot(world, team, client_for):
    near, _far = team
    first, second = triaged_order(world), triaged_order(world)
    picks = [f"{first.pk}:{near.pk}", f"{second.pk}:{near.pk}"]
    client_for(world.community_admin).post(SUGGEST, {"pick": picks})
    assert Dispatch.objects.get(order=second).suggested["load"] == 2.0


def test_a_stale_row_is_refused_and_the_others_go_through(world, team, client_for):
    near, far = team
    stale, fresh = triaged_order(world), triaged_order(world)
    client = client_for(world.community_admin)
    client.get(SUGGEST)
    # Meanwhile another admin dispatched the first order by hand.
    services.order_dispatch(order=stale, member=far, by=world.street_admin)
    reply = client.post(
        SUGGEST, {"pick": [f"{stale.pk}:{near.pk}", f"{fresh.pk}:{near.pk}"]}, follow=True
    )
    said = [str(m) for m in reply.context["messages"]]
    assert any(line.startswith(f"#{stale.pk}：") for line in said)  # the service's message
    assert any(f"#{fresh.pk} → " in line for line in said)
    assert Dispatch.objects.get(order=stale).member == far
    assert Order.objects.get(pk=fresh.pk).state == Order.State.DISPATCHED
    assert Dispatch.objects.get(order=fresh).member == near


def test_the_order_page_lists_five_candidates_with_reasons(world, team, client_for):
    near, far = team
    repairer(world, "13900000203", "远方", "31.990000")  # out of range
    repairer(world, "13900000204", "邻居", "31.956300", codes=("legal",))  # no skill
    repairer(world, "13900000205", "满员", "31.956400", capacity=0)  # at capacity
    repairer(world, "13900000206", "第六位", "31.999000", codes=("legal",))
    order = triaged_order(world)
    page = client_for(world.community_admin).get(reverse("console:order_detail", args=[order.pk]))
    part = page.text.split('class="list stacked candidates"', 1)[1].split("</table>", 1)[0]
    assert part.count("data-member=") == 5
    assert part.index(near.user.name) < part.index(far.user.name) < part.index("满员")
    for rule in (engine.Rule.NO_SKILL, engine.Rule.OUT_OF_RANGE, engine.Rule.AT_CAPACITY):
        assert str(suggestions.RULE_TEXT[rule]) in part
    assert "第六位" not in part
    assert f'name="pick" value="{order.pk}:{near.pk}"' in part


def test_one_click_dispatch_from_the_order_page_returns_to_it(world, team, client_for):
    near, _far = team
    order = triaged_order(world)
    detail = reverse("console:order_detail", args=[order.pk])
    reply = client_for(world.community_admin).post(
        SUGGEST, {"pick": f"{order.pk}:{near.pk}", "next": detail}
    )
    assert reply.url == detail
    assert Dispatch.objects.get(order=order).suggested["walk"] > 0


@pytest.mark.parametrize("role", ["member", "resident"])
def test_members_and_residents_are_denied(world, team, client_for, role):
    near, _far = team
    order = triaged_order(world)
    client = client_for(getattr(world, role))
    assert client.get(SUGGEST).status_code == 403
    assert client.post(SUGGEST, {"pick": f"{order.pk}:{near.pk}"}).status_code == 403
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_anonymous_visitors_are_sent_to_sign_in(world, team, client):
    near, _far = team
    order = triaged_order(world)
    assert client.get(SUGGEST).url.startswith(reverse("people:login"))
    assert client.post(SUGGEST, {"pick": f"{order.pk}:{near.pk}"}).status_code == 302
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_another_communitys_admin_neither_sees_nor_dispatches_the_order(world, team, client_for):
    near, _far = team
    order = triaged_order(world)
    client = client_for(world.outsider)
    assert f'data-order="{order.pk}"' not in client.get(SUGGEST).text
    reply = client.post(SUGGEST, {"pick": f"{order.pk}:{near.pk}"}, follow=True)
    said = [str(m) for m in reply.context["messages"]]
    assert len(said) == 1 and said[0].startswith(f"#{order.pk}")
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED
    assert not Dispatch.objects.exists()


def test_a_member_of_another_street_is_refused(world, team, client_for):
    stranger = repairer(world, "13900000209", "外街", "31.956500", community=world.faraway)
    order = triaged_order(world)
    client_for(world.community_admin).post(SUGGEST, {"pick": f"{order.pk}:{stranger.pk}"})
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_a_street_admin_may_narrow_the_table_to_one_community(world, team, client_for):
    here = triaged_order(world)
    there = triaged_order(world, community=world.neighbour)
    client = client_for(world.street_admin)
    both = client.get(SUGGEST).text
    assert f'data-order="{here.pk}"' in both and f'data-order="{there.pk}"' in both
    one = client.get(SUGGEST, {"community": world.neighbour.pk}).text
    assert f'data-order="{here.pk}"' not in one and f'data-order="{there.pk}"' in one


def test_the_needs_list_links_to_the_suggestion(world, client_for):
    assert SUGGEST in client_for(world.community_admin).get(reverse("console:needs")).text


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(SUGGEST).status_code == 200
    return len(context)


def test_the_review_page_makes_a_fixed_number_of_queries(
    world, team, client_for, django_assert_num_queries
):
    client = client_for(world.community_admin)
    triaged_order(world)
    new_order(world)  # not triaged: not in the table
    few = _queries(client)
    assert few == QUERIES
    for n in range(6):
        triaged_order(world, code="legal" if n % 2 else "repairs")
    repairer(world, "13900000207", "第三位", "31.957000", capacity=5)
    with django_assert_num_queries(few):
        client.get(SUGGEST)
