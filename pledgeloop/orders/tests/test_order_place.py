"""Where an order is, as its pages say it: the building, then the rest of the address."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from pledgeloop.orders.models import Order, OrderEvent
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


def test_who_acted_reads_in_the_readers_language(world, client_for):
    """The resident's and the system's steps were named in the language of whoever filed
    the order: "By 居民" on an English page, "Resident" on the Chinese desk (session 26's
    walk). A person's or an app's name stays as it is."""
    with translation.override("en"):
        filed_in_english = bring_to(world, Order.State.SUBMITTED)
    filed_in_chinese = bring_to(world, Order.State.SUBMITTED)
    english, chinese = (
        OrderEvent.objects.get(order=order, action="submit")
        for order in (filed_in_english, filed_in_chinese)
    )
    assert (english.by_label, chinese.by_label) == ("Resident", "居民")  # as written
    for event in (english, chinese):
        with translation.override("zh-hans"):
            assert event.by_shown == "居民"
        with translation.override("en"):
            assert event.by_shown == "Resident"
    OrderEvent.objects.filter(pk=english.pk).update(by_label="系统")
    english.refresh_from_db()
    with translation.override("en"):
        assert english.by_shown == "System"
    named = OrderEvent(by_label="社区网格员App")
    assert named.by_shown == "社区网格员App"
    desk = client_for(world.community_admin)
    page = desk.get(reverse("console:order_detail", args=[filed_in_english.pk]))
    assert "居民" in page.content.decode() and "Resident" not in page.content.decode()
