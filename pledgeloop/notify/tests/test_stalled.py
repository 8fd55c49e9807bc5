"""A stopped tasks worker is seen: messages due long ago that nothing sent are counted on the
console's home pages and listed on the undelivered-messages page, until a worker sends them.

Before, with the worker down, the outbox filled in silence: the undelivered page said "Every
message went out." above "0 failed · 0 being tried again · 40 waiting to be sent".
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.notify.selectors import outbox_stalled
from pledgeloop.notify.services import notifications_send, notify

pytestmark = pytest.mark.django_db

LOGGING = "pledgeloop.notify.senders.LoggingSmsSender"


def _text(world, community, title="您的需求已登记", **fields):
    notification = notify(
        phone="13811112222",
        kind="order_filed",
        title=title,
        street_id=community.street_id,
        community_id=community.pk,
    )
    if fields:
        Notification.objects.filter(pk=notification.pk).update(**fields)
    return notification


def test_only_messages_due_long_ago_and_held_by_no_worker_are_stalled(world, settings):
    settings.NOTIFY_STALLED_MINUTES = 10
    now = timezone.now()
    scope = Notification.objects.all()
    assert outbox_stalled(scope) is None
    _text(world, world.community, next_attempt_at=now - dt.timedelta(minutes=9))
    _text(world, world.community, next_attempt_at=now + dt.timedelta(minutes=30))  # a retry's pause
    _text(
        world,
        world.community,
        next_attempt_at=now - dt.timedelta(hours=2),
        claimed_by="worker-1",
        lease_until=now + dt.timedelta(seconds=60),  # being sent
    )
    _text(world, world.community, next_attempt_at=now - dt.timedelta(hours=3), state="done")
    _text(world, world.community, next_attempt_at=now - dt.timedelta(hours=3), state="failed")
    assert outbox_stalled(scope) is None
    late = now - dt.timedelta(minutes=11)
    _text(world, world.community, next_attempt_at=late)
    # A dead worker's claim whose lease ran out holds nothing.
    _text(
        world,
        world.community,
        next_attempt_at=now - dt.timedelta(minutes=40),
        claimed_by="worker-0",
        lease_until=now - dt.timedelta(minutes=30),
    )
    stalled = outbox_stalled(scope)
    assert stalled.count == 2 and stalled.since == now - dt.timedelta(minutes=40)


def test_the_console_says_the_worker_is_not_sending_until_it_sends(world, settings, client_for):
    settings.NOTIFY_SENDERS = [LOGGING]
    start = _text(world, world.community, title="您的需求已登记（单号 1001）").next_attempt_at
    home = reverse("console:home")
    admin = client_for(world.community_admin)
    assert "data-outbox-stalled" not in admin.get(home).text  # just filed: not due long
    with time_machine.travel(start + dt.timedelta(minutes=25), tick=False):
        page = admin.get(home).text
        assert 'data-outbox-stalled="1"' in page
        assert "最早应在25\xa0分钟前发出" in page and "pledgeloop-worker" in page
        assert reverse("console:notifications") in page
        street = client_for(world.street_admin).get(reverse("console:street_home")).text
        assert 'data-outbox-stalled="1"' in street
        # Another community's admin is not told of this community's messages.
        assert "data-outbox-stalled" not in client_for(world.outsider).get(home).text

        admin = client_for(world.community_admin)  # one test client, signed in again
        undelivered = admin.get(reverse("console:notifications")).text
        assert 'data-outbox-stalled="1"' in undelivered
        assert "您的需求已登记（单号 1001）" in undelivered
        assert "未发出，应在25\xa0分钟前发出" in undelivered
        assert "所有消息均已发出" not in undelivered

        assert notifications_send() == 1  # a worker runs again
        assert "data-outbox-stalled" not in admin.get(home).text
        undelivered = admin.get(reverse("console:notifications")).text
        assert "data-outbox-stalled" not in undelivered
        assert "您的需求已登记（单号 1001）" not in undelivered
