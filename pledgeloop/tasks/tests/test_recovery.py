"""A worker killed mid-tick (SIGKILL: nothing after that moment runs) must not stop the
schedule: its task row stays RUNNING for ever, and the chain must go on without it."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pledgeloop.notify.senders import Outcome
from pledgeloop.notify.services import notify
from pledgeloop.tasks.tasks import (
    TICKS,
    notifications_tick,
    reminders_tick,
    tasks_recover,
)

pytestmark = pytest.mark.django_db


def left_running_by_a_dead_worker(tick, *, minutes_ago: int) -> DBTaskResult:
    """What db_worker leaves behind when it is killed while running this tick."""
    tick.enqueue()
    row = DBTaskResult.objects.get(task_path=tick.module_path, status="READY")
    row.claim("dead-worker")
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return row


def queued(tick) -> int:
    return DBTaskResult.objects.filter(task_path=tick.module_path, status="READY").count()


@pytest.mark.parametrize("tick", TICKS, ids=lambda t: t.name)
def test_a_tick_left_running_by_a_dead_worker_does_not_stop_the_schedule(world, tick, capsys):
    row = left_running_by_a_dead_worker(tick, minutes_ago=60)
    for other in TICKS:  # the other chain is queued as usual
        if other is not tick:
            other.enqueue()
    call_command("schedule_reminders")
    assert "scheduled" in capsys.readouterr().out
    assert queued(tick) == 1  # the chain goes on
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path == "pledgeloop.tasks.WorkerLost"
    call_command("schedule_reminders")
    assert "already scheduled" in capsys.readouterr().out
    assert queued(tick) == 1


def test_a_running_tick_of_a_live_worker_is_left_alone(world):
    row = left_running_by_a_dead_worker(reminders_tick, minutes_ago=1)
    assert tasks_recover() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_one_surviving_chain_restarts_the_other(world):
    left_running_by_a_dead_worker(reminders_tick, minutes_ago=60)
    notifications_tick.enqueue()
    row = DBTaskResult.objects.get(task_path=notifications_tick.module_path, status="READY")
    row.claim("worker-2")
    notifications_tick.call()
    assert queued(reminders_tick) == 1 and queued(notifications_tick) == 1


class WorkerKilled(BaseException):
    pass


class ChainCheckingGateway:
    """Kills the worker in the middle of sending, after noting whether the next tick was
    already queued at that moment (SIGKILL would leave no chance to queue it later)."""

    channel = "gateway"
    next_tick_queued: list[bool] = []

    def address_for(self, notification):
        return notification.address_phone

    def send(self, notification, *, key):
        ChainCheckingGateway.next_tick_queued.append(queued(notifications_tick) == 1)
        raise WorkerKilled

    def look_up(self, notification, *, key, since):  # pragma: no cover - not reached
        return Outcome("accepted", "", "")


def test_the_next_notifications_tick_is_queued_before_any_sending(world, settings):
    settings.NOTIFY_SENDERS = ["pledgeloop.tasks.tests.test_recovery.ChainCheckingGateway"]
    ChainCheckingGateway.next_tick_queued = []
    notify(user=world.member, kind="x", title="消息")
    with pytest.raises(WorkerKilled):
        notifications_tick.call()
    assert ChainCheckingGateway.next_tick_queued == [True]
