"""/healthz/worker tells monitoring whether a tasks worker runs: 503 "unscheduled" before the
schedule is started, "late" once a queued tick has been due for NOTIFY_STALLED_MINUTES (the
worker is down: nothing takes it), "stalled" when messages due that long ago are not sent, and
"ok" once a worker has run the tick. /healthz (the load balancer's) stays "ok" throughout."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pledgeloop.notify.models import Notification
from pledgeloop.notify.services import notifications_send, notify
from pledgeloop.tasks.tasks import TICKS, schedule_start

pytestmark = pytest.mark.django_db


def _answer(client) -> tuple[int, str]:
    response = client.get("/healthz/worker")
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.content.decode()


def _run_due_ticks() -> None:
    """What a worker does with a due tick: takes it (here: marks it done) and the tick queues
    its successor."""
    for tick in TICKS:
        due = DBTaskResult.objects.ready().filter(task_path=tick.module_path)
        if due.exists():
            due.update(status="SUCCESSFUL", finished_at=timezone.now())
            tick.call()


def test_the_worker_check_follows_the_schedule_and_the_outbox(client, world, settings, caplog):
    settings.NOTIFY_STALLED_MINUTES = 10
    settings.NOTIFY_SENDERS = ["pledgeloop.notify.senders.LoggingSmsSender"]
    DBTaskResult.objects.all().delete()
    assert _answer(client) == (503, "unscheduled")
    schedule_start()
    assert _answer(client) == (200, "ok")  # just queued, due now
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        assert _answer(client) == (503, "late")  # nothing took the ticks
        assert client.get("/healthz").content == b"ok"
        _run_due_ticks()
        assert _answer(client) == (200, "ok")
        # A message due long ago and not sent fails the check even while the ticks run.
        note = notify(
            phone="13811112222", kind="order_filed", title="已登记", street_id=world.street.pk
        )
        Notification.objects.filter(pk=note.pk).update(
            next_attempt_at=timezone.now() - dt.timedelta(minutes=30)
        )
        assert _answer(client) == (503, "stalled")
        assert notifications_send() == 1
        assert _answer(client) == (200, "ok")
    # Monitoring asks every minute: its 503s are answers, not errors logged or mailed.
    assert not [r for r in caplog.records if r.name == "django.request"]
