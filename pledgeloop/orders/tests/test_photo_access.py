"""Photos behind access (DESIGN.md C12): order, patrol and service photos are served by a view
that checks who is asking; /media/ serves nothing to anyone, with DEBUG on or off."""

import datetime as dt
import importlib
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import Resolver404, clear_url_caches, resolve, reverse
from django.utils import timezone
from PIL import Image

import pledgeloop.urls
from pledgeloop.orders import services
from pledgeloop.orders.models import Order
from pledgeloop.people.models import Consent
from pledgeloop.service.models import ServicePhoto
from pledgeloop.service.services import service_record_create

from .loop import category, member_of, new_member, new_order, triaged_order
from .test_member_views import PATROL, patrol_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTOS_SENDFILE = ""
    return settings.MEDIA_ROOT


def jpeg(color=(200, 30, 30)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="photo.jpg")


def order_with_photo(world, **fields) -> Order:
    """An order with a photo, from a number on nobody's resident list unless one is given."""
    fields.setdefault("phone", "13812340000")
    return new_order(world, photo=jpeg(), **fields)


def order_photo_url(order: Order, token: str = "") -> str:
    url = reverse("orders:photo", args=["order", order.pk])
    return f"{url}?track={token}" if token else url


def service_photo_url(photo: ServicePhoto) -> str:
    return reverse("orders:photo", args=["service", photo.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_served(response, field_file) -> None:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    with field_file.open("rb") as stored:
        assert body(response) == stored.read()


# --- order photos -------------------------------------------------------------------------


def test_the_orders_community_admins_see_its_photo(world, client_for):
    order = order_with_photo(world)
    assert_served(client_for(world.community_admin).get(order_photo_url(order)), order.photo)
    assert_served(client_for(world.street_admin).get(order_photo_url(order)), order.photo)


@pytest.mark.parametrize("who", ["outsider", "member", "resident"])
def test_others_signed_in_get_404(world, client_for, who):
    order = order_with_photo(world)
    assert client_for(getattr(world, who)).get(order_photo_url(order)).status_code == 404


def test_anonymous_visitors_get_404(world, client):
    order = order_with_photo(world)
    assert client.get(order_photo_url(order)).status_code == 404
    assert client.get(order_photo_url(order, "not-the-token")).status_code == 404


def test_the_resident_sees_it_through_the_tracking_link(world, client):
    order = order_with_photo(world)
    assert_served(client.get(order_photo_url(order, order.tracking_token)), order.photo)
    # Another order's token opens nothing of this one.
    other = order_with_photo(world, phone="13812345670")
    assert client.get(order_photo_url(order, other.tracking_token)).status_code == 404


def test_a_resident_signed_in_sees_the_photo_of_their_own_order(world, client_for):
    order = order_with_photo(world, phone=world.resident_here.phone)
    assert order.resident == world.resident_here
    assert_served(client_for(world.resident).get(order_photo_url(order)), order.photo)


def test_the_member_who_holds_or_held_the_order_sees_it(world, client_for):
    order = triaged_order(world, photo=jpeg())
    member = member_of(world)
    client = client_for(world.member)
    assert client.get(order_photo_url(order)).status_code == 404  # open to claim: not yet
    services.order_claim(order=order, member=member)
    assert_served(client.get(order_photo_url(order)), order.photo)
    services.order_hand_back(order=order, member=member, reason="临时有事")
    assert_served(client.get(order_photo_url(order)), order.photo)  # held it once
    other = new_member(world, "13900000201", "李明")
    assert client_for(other.user).get(order_photo_url(order)).status_code == 404


def test_an_order_without_a_photo_or_an_unknown_kind_is_404(world, client_for):
    order = new_order(world)
    client = client_for(world.community_admin)
    assert client.get(order_photo_url(order)).status_code == 404
    assert client.get(f"/photos/people/{order.pk}/").status_code == 404
    assert client.get("/photos/order/999999/").status_code == 404


def test_patrol_photos_are_seen_by_the_admins_and_the_reporter_only(world, client_for):
    client_for(world.member).post(PATROL, patrol_data(world))  # filed in 腾飞
    order = Order.objects.get(channel=Order.Channel.PATROL)
    url = order_photo_url(order)
    assert client_for(world.member).get(url).status_code == 200  # who took it
    assert client_for(world.outsider).get(url).status_code == 200  # 腾飞's admin
    assert client_for(world.community_admin).get(url).status_code == 404  # 星港湾's admin
    rival = new_member(world, "13900000201", "李明")
    assert client_for(rival.user).get(url).status_code == 404


# --- service photos --------------------------------------------------------------------------


def service_photo(world, *, beneficiary=None, order=None) -> ServicePhoto:
    now = timezone.now()
    record = service_record_create(
        members=[member_of(world)],
        started_at=now - dt.timedelta(hours=2),
        ended_at=now - dt.timedelta(hours=1),
        hours=Decimal("1"),
        by=world.member,
        beneficiary=beneficiary,
        order=order,
        category=category(world),
        photos=[jpeg((30, 200, 30))],
    )
    return record.photos.get()


def test_service_photos_are_seen_by_who_served_and_the_communitys_admins(world, client_for):
    photo = service_photo(world)
    url = service_photo_url(photo)
    for user in (world.member, world.community_admin, world.street_admin):
        assert_served(client_for(user).get(url), photo.image)
    for user in (world.outsider, world.resident):
        assert client_for(user).get(url).status_code == 404


def test_a_service_photo_is_public_only_with_the_beneficiarys_public_consent(world, client):
    photo = service_photo(world, beneficiary=world.resident_here)
    url = service_photo_url(photo)
    assert client.get(url).status_code == 404
    Consent.objects.create(
        street=world.street,
        resident=world.resident_here,
        purpose=Consent.Purpose.DATA_USE,
        notice_version="1",
        source="test",
    )
    assert client.get(url).status_code == 404  # consent to serve is not consent to appear
    public = Consent.objects.create(
        street=world.street,
        resident=world.resident_here,
        purpose=Consent.Purpose.PUBLIC,
        notice_version="1",
        source="test",
    )
    assert_served(client.get(url), photo.image)
    public.withdrawn_at = timezone.now()
    public.save()
    assert client.get(url).status_code == 404


def test_a_service_photo_of_no_one_in_particular_is_not_public(world, client):
    assert client.get(service_photo_url(service_photo(world))).status_code == 404


def test_the_resident_sees_service_photos_of_their_order_through_the_tracking_link(world, client):
    order = new_order(world)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    order.refresh_from_db()
    photo = service_photo(world, order=order)
    url = service_photo_url(photo)
    assert client.get(url).status_code == 404
    assert_served(client.get(f"{url}?track={order.tracking_token}"), photo.image)


# --- hand-off to the web server ------------------------------------------------------------


def test_nginx_serves_the_file_when_asked_to(world, client_for, settings):
    settings.PHOTOS_SENDFILE = "x-accel-redirect"
    settings.PHOTOS_ACCEL_PREFIX = "/protected-photos/"
    order = order_with_photo(world)
    response = client_for(world.community_admin).get(order_photo_url(order))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-photos/{order.photo.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert body(response) == b""
    # Refused requests hand nothing off.
    refused = client_for(world.outsider).get(order_photo_url(order))
    assert refused.status_code == 404 and not refused.has_header("X-Accel-Redirect")


def test_apache_or_lighttpd_serve_the_file_with_x_sendfile(world, client_for, settings):
    settings.PHOTOS_SENDFILE = "x-sendfile"
    order = order_with_photo(world)
    response = client_for(world.community_admin).get(order_photo_url(order))
    assert response["X-Sendfile"] == order.photo.path
    assert body(response) == b""


def test_a_photo_file_gone_from_disk_is_404_not_500(world, client_for):
    order = order_with_photo(world)
    order.photo.storage.delete(order.photo.name)
    assert client_for(world.community_admin).get(order_photo_url(order)).status_code == 404


# --- /media/ serves nothing -------------------------------------------------------------------


def test_media_urls_serve_nothing(world, client_for):
    order = order_with_photo(world)
    assert client_for(world.community_admin).get(f"/media/{order.photo.name}").status_code == 404


def test_media_urls_serve_nothing_even_with_debug_on(settings):
    settings.DEBUG = True
    try:
        urls = importlib.reload(pledgeloop.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve("/media/orders/2026/03/photo.jpg", urlconf=urls)
    finally:
        settings.DEBUG = False
        importlib.reload(pledgeloop.urls)
        clear_url_caches()


# --- the pages link the view, never /media/ -------------------------------------------------


def test_the_console_order_page_shows_the_photo_through_the_view(world, client_for):
    order = order_with_photo(world)
    html = client_for(world.community_admin).get(f"/console/orders/{order.pk}/").text
    assert f'src="{order_photo_url(order)}"' in html
    assert "/media/" not in html


def test_the_member_page_shows_the_photo_only_to_the_holder(world, client_for):
    order = triaged_order(world, photo=jpeg())
    client = client_for(world.member)
    url = reverse("orders:member_order", args=[order.pk])
    assert order_photo_url(order) not in client.get(url).text  # open to claim
    services.order_claim(order=order, member=member_of(world))
    html = client.get(url).text
    assert f'src="{order_photo_url(order)}"' in html and "/media/" not in html


def test_the_tracking_page_shows_the_photo_through_the_token(world, client):
    order = order_with_photo(world)
    html = client.get(reverse("orders:track", args=[order.tracking_token])).text
    assert f'src="{order_photo_url(order, order.tracking_token)}"' in html
    assert "/media/" not in html


def test_the_service_record_page_shows_photos_through_the_view(world, client_for):
    photo = service_photo(world)
    html = client_for(world.member).get(reverse("service:record", args=[photo.record_id])).text
    assert f'src="{service_photo_url(photo)}"' in html and "/media/" not in html
