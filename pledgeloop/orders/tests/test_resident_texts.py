"""Residents hear by text: the tracking link when the order is filed (by them or by staff),
when a member takes it, when it is done (with the review link, the date and the hours); the
links are short codes that redirect on this host (they work inside WeChat)."""

import logging
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.dispatch.tests.test_console import intake_data
from pledgeloop.notify.links import short_link_target
from pledgeloop.notify.models import Delivery, Notification, ShortLink
from pledgeloop.notify.services import notifications_send
from pledgeloop.orders import services
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import age
from pledgeloop.service.review_links import record_id_from_token

from .loop import member_of, new_order
from .test_intake import intake_url, order_data

pytestmark = pytest.mark.django_db


def texts_to(phone: str, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(phone=phone, kind=kind).order_by("pk"))


def logged_link(caplog) -> str:
    """The short link in the text the logging sender wrote."""
    match = re.search(r"http://127\.0\.0\.1:8000/t/(\w{10})/", caplog.text)
    assert match, caplog.text
    return match.group(1)


def test_a_resident_who_files_gets_the_tracking_link_by_text(world, client, caplog):
    response = client.post(intake_url(world), order_data(world, phone="13811112222"))
    assert response.status_code == 302
    order = Order.objects.get()
    (text,) = texts_to("13811112222", "order_filed")
    assert text.user is None  # no account needed
    assert text.url == reverse("orders:track", args=[order.tracking_token])
    assert text.params == {"order": str(order.pk)}
    assert f"单号{order.pk}" in text.title and text.community_id == world.community.pk
    # The admins' notifications lead to the order's page in the console.
    notices = Notification.objects.filter(kind="order_new")
    assert notices and {n.url for n in notices} == {
        reverse("console:order_detail", args=[order.pk])
    }
    with caplog.at_level(logging.INFO, logger="pledgeloop.notify.sms"):
        notifications_send()
    assert "NOT sent" in caplog.text and "138****2222" in caplog.text
    code = logged_link(caplog)
    assert Delivery.objects.get(notification=text, channel="sms").status == "logged"
    # The short link leads to the tracking page, by a plain redirect on this host.
    landing = client.get(f"/t/{code}/")
    assert landing.status_code == 302 and landing["Location"] == text.url
    assert client.get(landing["Location"]).status_code == 200


def test_staff_who_take_an_order_by_phone_text_the_resident_the_link(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(reverse("console:staff_intake"), intake_data(world))
    assert response.status_code == 302
    order = Order.objects.get()
    (text,) = texts_to("13912345678", "order_filed")
    assert text.url == reverse("orders:track", args=[order.tracking_token])
    # In Chinese whatever language the staff member's console speaks.
    assert "已登记" in text.title


def test_a_member_taking_the_order_is_texted_to_the_resident(world):
    order = services.order_triage(
        order=new_order(world, phone="13811112222"), by=world.community_admin
    )
    services.order_claim(order=order, member=member_of(world))
    (text,) = texts_to("13811112222", "order_accepted")
    assert text.params == {"order": str(order.pk), "member": "张*"}
    assert "张*" in text.title and "13900000103" not in text.title


def test_an_accepted_offer_is_texted_too(world):
    order = services.order_triage(
        order=new_order(world, phone="13811112222"), by=world.community_admin
    )
    offer = services.order_dispatch(order=order, member=member_of(world), by=world.community_admin)
    services.dispatch_accept(dispatch=offer, member=member_of(world))
    assert len(texts_to("13811112222", "order_accepted")) == 1


def test_the_done_text_carries_the_review_link_the_date_and_the_hours(world, client):
    member = member_of(world)
    order = services.order_triage(
        order=new_order(world, phone="13811112222"), by=world.community_admin
    )
    order = services.order_claim(order=order, member=member)
    age(order)  # served for a while: hours count only time since the order was taken
    order, record = services.order_finish(order=order, member=member, hours=Decimal("1.50"))
    (text,) = texts_to("13811112222", "order_done")
    day = timezone.localtime(record.started_at)
    date = f"{day.month}月{day.day}日"
    assert text.params == {"order": str(order.pk), "date": date, "hours": "1.5"}
    assert date in text.title and "1.5" in text.title
    assert record_id_from_token(text.url.split("/")[2]) == record.pk  # its review page
    # Only one text at the finish: the service's review link is in the "done" text.
    assert not Notification.objects.filter(kind="service_review").exists()
    notifications_send()  # the sender makes the short link
    landing = client.get(f"/t/{ShortLink.objects.get(path=text.url).code}/")
    assert landing.status_code == 302 and landing["Location"] == text.url
    assert client.get(landing["Location"]).status_code == 200


def test_a_resident_with_an_account_also_finds_the_texts_in_the_inbox(world):
    member = member_of(world)
    order = new_order(world, phone=world.resident_here.phone)
    order = services.order_triage(order=order, by=world.community_admin)
    services.order_claim(order=order, member=member)
    kinds = list(
        Notification.objects.filter(user=world.resident)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["order_filed", "order_accepted"]


def test_a_short_link_that_does_not_exist_is_a_404(world, client):
    new_order(world)
    assert client.get("/t/aaaaaaaaaa/").status_code == 404
    assert short_link_target("aaaaaaaaaa") is None
