import logging

import pytest
from django.core import mail
from django.urls import reverse

from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.notify.services import notifications_send, notify, notify_all

pytestmark = pytest.mark.django_db


def test_notify_fills_the_inbox_and_the_worker_hands_it_to_every_sender(world, caplog):
    world.member.email = "zhangsan@example.cn"
    world.member.save()
    with caplog.at_level(logging.INFO, logger="pledgeloop.notify"):
        notify(user=world.member, kind="dispatch", title="新的派单", url="/me/")
        # Nothing leaves from the request: the row waits in the outbox.
        assert not mail.outbox and not Delivery.objects.exists()
        assert Notification.objects.get(user=world.member).state == "waiting"
        assert notifications_send() == 1
    notification = Notification.objects.get(user=world.member)
    assert notification.state == "done" and notification.handled_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "新的派单"
    # A member's dispatch is no SMS text (notify/kinds.py): skipped, as a gateway would.
    assert dict(Delivery.objects.values_list("channel", "status")) == {
        "email": "accepted",
        "sms": "skipped",
    }
    assert Delivery.objects.get(channel="sms").address == "139****0103"
    assert "13900000103" not in caplog.text
    assert notifications_send() == 0  # sent once only
    assert len(mail.outbox) == 1


def test_the_outbox_goes_oldest_first_in_batches(world):
    for n in range(5):
        notify(user=world.member, kind="x", title=f"消息{n}")
    assert notifications_send(limit=2) == 2
    sent = Notification.objects.filter(state="done").order_by("pk")
    assert [n.title for n in sent] == ["消息0", "消息1"]
    assert notifications_send(limit=10) == 3
    assert notifications_send() == 0


def test_notify_all_writes_one_inbox_entry_per_user_and_each_is_delivered(world):
    users = [world.member, world.community_admin]
    made = notify_all(users=users, kind="order_new", title="新的点单", street_id=world.street.pk)
    assert sorted(n.user_id for n in made) == sorted(u.pk for u in users)
    assert Notification.objects.filter(kind="order_new").count() == 2
    assert notifications_send() == 2
    sms = Delivery.objects.filter(channel="sms")
    assert sorted(sms.values_list("notification__user_id", flat=True)) == sorted(
        u.pk for u in users
    )


def test_a_failing_sender_is_logged_and_stops_nothing(world, settings, caplog):
    settings.NOTIFY_SENDERS = [
        "pledgeloop.notify.tests.test_notify.BrokenSender",
        "pledgeloop.notify.senders.LoggingSmsSender",
    ]
    notify(user=world.member, kind="order_filed", title="您的需求已登记")
    assert notifications_send() == 1
    outcomes = dict(Delivery.objects.values_list("channel", "status"))
    # The broken sender may have handed it over before it failed: its outcome is not known.
    assert outcomes == {"broken": "sending", "sms": "logged"}
    assert Delivery.objects.get(channel="broken").detail == "ConnectionError: gateway down"
    assert "sender broken failed" in caplog.text


class BrokenSender:
    channel = "broken"

    def address_for(self, notification):
        return notification.user.phone

    def send(self, notification, *, key):
        raise ConnectionError("gateway down")


def test_same_dedupe_key_notifies_once(world):
    first = notify(user=world.member, kind="anniversary", title="政治生日", dedupe_key="anniv:2026")
    second = notify(
        user=world.member, kind="anniversary", title="政治生日", dedupe_key="anniv:2026"
    )
    assert first is not None and second is None
    assert Notification.objects.count() == 1


def test_inbox_shows_only_my_notifications_and_marks_read(world, client_for):
    mine = notify(user=world.member, kind="x", title="给张三的消息", url="/me/")
    notify(user=world.community_admin, kind="x", title="给书记的消息")
    client = client_for(world.member)
    page = client.get(reverse("notify:inbox"))
    assert "给张三的消息" in page.text and "给书记的消息" not in page.text
    response = client.post(reverse("notify:open", args=[mine.pk]))
    assert response.url == "/me/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = Notification.objects.get(user=world.community_admin)
    assert client.post(reverse("notify:open", args=[other.pk])).status_code == 404
