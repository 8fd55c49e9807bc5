"""Where an order is, as its pages say it: the building, then the rest of the address."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Site

from .loop import bring_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def building(world):
    compound = Site.objects.create(
        street=world.street, community=world.community, kind=Site.Kind.COMPOUND, name="五福家园",
        latitude=Decimal("31.9570"), longitude=Decimal("120.9420"),
    )  # fmt: skip
    return Site.objects.create(
        street=world.street, community=world.community, kind=Site.Kind.BUILDING, name="2幢",
        parent=compound, latitude=Decimal("31.9571"), longitude=Decimal("120.9421"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("五福家园2幢401室", "401室"),
        ("五福家园 2幢 401室", "401室"),
        ("401室", "401室"),
        ("五福家园3幢401室", "五福家园3幢401室"),  # another building: kept whole
        ("五福家园2幢", ""),
        ("", ""),
    ],
)
def test_the_address_does_not_repeat_the_building(building, address, shown):
    assert Order(site=building, address=address).address_beyond_site == shown
    assert Order(site=None, address=address).address_beyond_site == address.strip()


def test_the_order_pages_name_the_building_once(world, client_for, building):
    """ "五福家园 2幢 五福家园2幢401室" on the member's and the desk's order pages (session 26's
    walk): the building, then the room."""
    order = bring_to(world, Order.State.ACCEPTED)
    Order.objects.filter(pk=order.pk).update(site=building, address="五福家园2幢401室")
    pages = [
        client_for(world.member).get(reverse("orders:member_order", args=[order.pk])),
        client_for(world.community_admin).get(reverse("console:order_detail", args=[order.pk])),
        client_for(world.member).get(reverse("orders:track", args=[order.tracking_token])),
    ]
    for page in pages:
        text = page.content.decode()
        assert "五福家园 2幢" in text and "401室" in text, page.request["PATH_INFO"]
        assert "五福家园2幢401室" not in text, page.request["PATH_INFO"]
