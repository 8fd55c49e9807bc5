"""A resident whose "sent" page never arrived (the connection dropped after the order was
stored) presses "send" again: the same form files nothing new and shows the same order."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.orders import services
from pledgeloop.orders.models import Order

from .test_intake import intake_url, order_data

pytestmark = pytest.mark.django_db


def form_key(client, world) -> str:
    page = client.get(intake_url(world)).content.decode()
    match = re.search(r'name="submission" value="([^"]+)"', page)
    assert match, "the form carries its own key"
    return match.group(1)


def test_the_same_form_sent_twice_files_one_order(world, client):
    key = form_key(client, world)
    data = order_data(world, phone="13811112222", submission=key)
    first = client.post(intake_url(world), data)
    again = client.post(intake_url(world), data)
    order = Order.objects.get()
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == f"/order/sent/{order.tracking_token}/"
    assert Notification.objects.filter(kind="order_filed").count() == 1
    assert Notification.objects.filter(kind="order_new").count() == 2  # the two admins, once


def test_each_form_has_its_own_key(world, client):
    assert form_key(client, world) != form_key(client, world)
    first, second = form_key(client, world), form_key(client, world)
    client.post(intake_url(world), order_data(world, phone="13811112222", submission=first))
    other = order_data(world, phone="13811112222", submission=second, description="楼道灯不亮")
    client.post(intake_url(world), other)
    assert Order.objects.count() == 2


def test_a_used_key_with_other_details_is_refused_clearly(world, client):
    key = form_key(client, world)
    client.post(intake_url(world), order_data(world, phone="13811112222", submission=key))
    response = client.post(
        intake_url(world), order_data(world, phone="13933334444", submission=key)
    )
    assert response.status_code == 200
    assert "请重新打开页面" in response.content.decode()
    assert Order.objects.count() == 1


def test_a_form_without_a_key_files_each_new_request(world, client):
    client.post(intake_url(world), order_data(world, phone="13811112222"))
    client.post(intake_url(world), order_data(world, phone="13811112222", description="灯坏了"))
    assert Order.objects.count() == 2


def test_the_same_request_again_under_a_new_key_is_the_first_order(world, client):
    """After sending, "back" showed the form filled in again under a new key, and sending it
    filed a second order: the same number, community, category and description while the
    first is open, within SAME_ORDER_MINUTES, is the first order."""
    data = order_data(world, phone="13811112222", submission=form_key(client, world))
    first = client.post(intake_url(world), data)
    again = client.post(intake_url(world), {**data, "submission": form_key(client, world)})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert (
        client.post(intake_url(world), {**data, "submission": ""})["Location"]
        == (first["Location"])
    )
    assert Order.objects.count() == 1
    order = Order.objects.get()
    # Not once the first is closed, nor after the time, nor for another number.
    services.order_cancel(order=order, reason="点错了")
    client.post(intake_url(world), {**data, "submission": form_key(client, world)})
    assert Order.objects.count() == 2
    later = timezone.now() + dt.timedelta(minutes=services.SAME_ORDER_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        client.post(intake_url(world), {**data, "submission": form_key(client, world)})
    assert Order.objects.count() == 3
    client.post(intake_url(world), {**data, "submission": "", "phone": "13811113333"})
    assert Order.objects.count() == 4


def test_a_form_sent_again_while_its_first_sending_is_stored_files_one_order(
    world, client, monkeypatch
):
    """The second sending's read ran before the first committed: its INSERT meets the keys'
    unique index, and it answers with the order the first one filed."""
    key = form_key(client, world)
    data = order_data(world, phone="13811112222", submission=key)
    client.post(intake_url(world), data)
    first = Order.objects.get()
    reads = []
    real_read = services._intake_read

    def read_before_the_first_committed(*args, **kwargs):
        found = real_read(*args, **kwargs)
        reads.append(found[0])
        return (None, *found[1:]) if len(reads) == 1 else found

    monkeypatch.setattr(services, "_intake_read", read_before_the_first_committed)
    response = client.post(intake_url(world), data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/order/sent/{first.tracking_token}/")
    assert reads == [first.pk, first.pk]
    assert Order.objects.count() == 1
