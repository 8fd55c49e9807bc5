"""The notifications tick sends the outbox in full batches and ends at the first batch that
was not full: what comes in meanwhile waits for the next tick, rather than a tick chasing a
stream of orders a few rows at a time."""

import pytest

from pledgeloop.notify.models import Notification
from pledgeloop.notify.services import notify
from pledgeloop.tasks import tasks

pytestmark = pytest.mark.django_db


def test_a_tick_sends_full_batches_and_ends_at_the_first_that_was_not(world, settings, monkeypatch):
    settings.NOTIFY_BATCH = 2
    for n in range(5):
        notify(user=world.community_admin, kind="order_new", title=f"第{n}条")
    batches, send = [], tasks.notifications_send

    def counted(**kwargs):
        batches.append(send(**kwargs))
        if len(batches) == 3:  # a new order comes in during the tick's last batch
            notify(user=world.community_admin, kind="order_new", title="又一条")
        return batches[-1]

    monkeypatch.setattr(tasks, "notifications_send", counted)
    assert tasks.notifications_tick.call() == 5
    assert batches == [2, 2, 1]  # no claim after the batch that found the outbox emptied
    waiting = Notification.objects.filter(state=Notification.State.WAITING)
    assert list(waiting.values_list("title", flat=True)) == ["又一条"]  # the next tick's
    assert tasks.notifications_tick.call() == 1
