"""Need to know (issue 13, deliverable 1): a member sees a resident's name, address and
contact only for orders they hold, or held until MEMBER_CONTACT_DAYS_AFTER_DONE days after
finishing; open orders show the compound and the need, not the person; there is no
member-facing resident directory."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders import services
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Site

from .loop import age, member_of, new_member, new_order, triaged_order

pytestmark = pytest.mark.django_db

CONTACT = "王阿姨"
ROOM = "阳光花园3幢201室"


def _page(client, order: Order):
    return client.get(reverse("orders:member_order", args=[order.pk]))


def _held(world) -> Order:
    order = triaged_order(world)
    return services.order_claim(order=order, member=member_of(world))


def _finished(world) -> Order:
    order = age(_held(world))
    order, _record = services.order_finish(order=order, member=member_of(world), hours=Decimal("1"))
    return order


def test_a_member_gets_404_on_a_resident_they_never_served(world, client_for):
    client = client_for(world.member)
    detail = client.get(reverse("people:resident_detail", args=[world.resident_here.pk]))
    assert detail.status_code == 404
    listing = client.get(reverse("people:residents"))
    assert listing.status_code in (403, 404)
    assert world.resident_here.name not in listing.text


def test_staff_keep_their_resident_directory(world, client_for):
    client = client_for(world.community_admin)
    assert world.resident_here.name in client.get(reverse("people:residents")).text
    detail = client.get(reverse("people:resident_detail", args=[world.resident_here.pk]))
    assert detail.status_code == 200


def test_a_member_sees_the_contact_of_an_order_they_hold(world, client_for):
    order = _held(world)
    page = _page(client_for(world.member), order)
    assert page.status_code == 200
    assert CONTACT in page.text and ROOM in page.text


@pytest.mark.parametrize(("days", "visible"), [(29, True), (31, False)])
def test_the_contact_stays_for_the_set_days_after_finishing(
    world, client_for, settings, days, visible
):
    settings.MEMBER_CONTACT_DAYS_AFTER_DONE = 30
    order = _finished(world)
    with time_machine.travel(order.done_at + dt.timedelta(days=days), tick=False):
        page = _page(client_for(world.member), order)
        done_list = client_for(world.member).get(reverse("orders:member_orders"))
    assert page.status_code == 200
    assert (CONTACT in page.text) is visible
    assert (ROOM in page.text) is visible
    assert order.description[:10] in page.text  # the need itself stays
    assert f"#{order.pk}" in done_list.text


def test_an_open_order_shows_the_compound_and_the_need_not_the_person(world, client_for):
    compound = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.COMPOUND,
        name="阳光花园",
        latitude=Decimal("31.956200"),
        longitude=Decimal("120.941800"),
    )
    order = triaged_order(world, site=compound)
    page = _page(client_for(world.member), order)
    assert page.status_code == 200
    assert "阳光花园" in page.text and "水龙头" in page.text
    assert CONTACT not in page.text
    assert "201室" not in page.text
    assert "138****5678" not in page.text


def test_the_nearby_list_carries_no_resident_names(world, client_for):
    triaged_order(world, contact_name=CONTACT)  # the number is 王秀兰's, on the resident list
    triaged_order(world, community=world.neighbour, contact_name="李四")
    page = client_for(world.member).get(reverse("orders:member_nearby"))
    assert page.status_code == 200
    assert "水龙头" in page.text
    for personal in [CONTACT, "王秀兰", "李四", "201室", "138****5678"]:
        assert personal not in page.text


def test_an_order_of_another_community_shows_no_personal_data(world, client_for):
    order = triaged_order(world, community=world.neighbour, contact_name="李四")
    page = _page(client_for(world.member), order)
    assert page.status_code == 200
    assert "李四" not in page.text and "201室" not in page.text


def test_an_order_offered_but_not_taken_shows_no_personal_data(world, client_for):
    order = triaged_order(world)
    services.order_dispatch(order=order, member=member_of(world), by=world.community_admin)
    page = _page(client_for(world.member), order)
    assert page.status_code == 200
    assert CONTACT not in page.text and "201室" not in page.text


def test_an_order_the_member_has_no_business_with_is_404(world, client_for):
    other = new_member(world, "13900000333", "李雷")
    taken = services.order_claim(order=triaged_order(world), member=other)
    waiting = new_order(world)  # not yet on the needs list
    client = client_for(world.member)
    assert _page(client, taken).status_code == 404
    assert _page(client, waiting).status_code == 404


def test_a_member_who_handed_an_order_back_no_longer_sees_the_person(world, client_for):
    order = _held(world)
    services.order_hand_back(order=order, member=member_of(world), reason="临时出差")
    other = new_member(world, "13900000333", "李雷")
    services.order_claim(order=Order.objects.get(pk=order.pk), member=other)
    page = _page(client_for(world.member), order)
    assert page.status_code in (200, 404)
    assert CONTACT not in page.text and "201室" not in page.text


def test_finished_long_ago_the_full_number_cannot_be_revealed(world, client_for, settings):
    settings.MEMBER_CONTACT_DAYS_AFTER_DONE = 30
    order = _finished(world)
    url = reverse("orders:member_order_action", args=[order.pk, "phone"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        response = client_for(world.member).post(url)
    assert response.status_code in (403, 404)
    assert "13812345678" not in response.text
