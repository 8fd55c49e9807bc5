"""Tasks for Django's tasks framework (django.tasks), run by `manage.py db_worker`.

`reminders_tick` runs the due jobs (schedule.py) and enqueues the next tick
REMINDERS_TICK_MINUTES later, so one tick keeps the schedule going. `notifications_tick`
empties the notifications outbox (notify.services.notifications_send) every
NOTIFY_SEND_SECONDS the same way. `manage.py schedule_reminders` (run by `make run`) enqueues
the first tick of each chain unless one is already waiting. Each tick forgets the results of
its chain's ticks older than TICK_RESULTS_KEPT, so the task table does not grow.
"""

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from pledgeloop.notify.services import notifications_send

from .schedule import run_due_jobs, tick_interval

# Results of finished ticks are kept this long (one tick every few seconds or minutes).
TICK_RESULTS_KEPT = dt.timedelta(hours=1)


def _forget_old_results(tick) -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        task_path=tick.module_path,
        status="SUCCESSFUL",
        finished_at__lt=timezone.now() - TICK_RESULTS_KEPT,
    ).delete()


@task
def reminders_tick() -> dict:
    """Run the scheduled jobs that are due, then queue the next tick."""
    try:
        results = run_due_jobs()
    finally:
        reminders_tick.using(run_after=timezone.now() + tick_interval()).enqueue()
        _forget_old_results(reminders_tick)
    return {name: str(result) for name, result in results.items()}


@task
def notifications_tick() -> int:
    """Send every waiting notification, in batches, then queue the next tick."""
    sent = 0
    try:
        while batch := notifications_send():
            sent += batch
    finally:
        notifications_tick.using(
            run_after=timezone.now() + dt.timedelta(seconds=settings.NOTIFY_SEND_SECONDS)
        ).enqueue()
        _forget_old_results(notifications_tick)
    return sent


TICKS = [reminders_tick, notifications_tick]


def tick_waiting(tick=reminders_tick) -> bool:
    """Is a tick already queued (or running)? Then starting the schedule again adds none."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=tick.module_path, status__in=["READY", "RUNNING"]
    ).exists()


def schedule_start() -> bool:
    """Enqueue the first tick of each chain unless one is waiting. Returns whether it
    enqueued any."""
    started = False
    for tick in TICKS:
        if not tick_waiting(tick):
            tick.enqueue()
            started = True
    return started
