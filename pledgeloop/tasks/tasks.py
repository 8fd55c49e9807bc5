"""Tasks for Django's tasks framework (django.tasks), run by `manage.py db_worker`.

Two self-re-enqueuing chains keep the schedule going: `reminders_tick` runs the due jobs every
REMINDERS_TICK_MINUTES, `notifications_tick` empties the notifications outbox
(notify.services.notifications_send) every NOTIFY_SEND_SECONDS.

A worker can die at any moment (SIGKILL, out of memory, the machine going down), and then
nothing after that moment runs: not a `finally`, not the worker's own bookkeeping, which
leaves the task row marked RUNNING for ever. So:

- each tick queues its successor *first*, before doing its work, so a death during the work
  leaves the chain going (the successor runs when a worker runs again);
- a chain counts as going only while a tick of it is queued (READY); a RUNNING row proves
  nothing, and one older than TASKS_RUNNING_TIMEOUT_MINUTES is marked failed ("worker
  lost") so the task list tells the truth;
- every tick (and `manage.py schedule_reminders`, run by `make run`) restarts any chain that
  has no queued tick, so one surviving chain revives the other within seconds.

What the dead tick was doing is safe to do again: the jobs are idempotent, and the outbox's
leases give a dead worker's notifications to the next one (notify/services.py).
"""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from pledgeloop.notify.services import notifications_send, worker_name

from .schedule import run_due_jobs, tick_interval

# Results of finished ticks are kept this long (one tick every few seconds or minutes).
TICK_RESULTS_KEPT = dt.timedelta(hours=1)
# A notifications tick sends for at most this long, then leaves the rest to the next tick
# (so a tick never looks dead while it works through a long outbox).
NOTIFY_TICK_SECONDS = 60
WORKER_LOST = "pledgeloop.tasks.WorkerLost"


def running_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.TASKS_RUNNING_TIMEOUT_MINUTES)


@task
def reminders_tick() -> dict:
    """Queue the next tick first, then run the scheduled jobs that are due."""
    tick_next(reminders_tick, after=tick_interval())
    schedule_start()
    results = run_due_jobs()
    _forget_old_results()
    return {name: str(result) for name, result in results.items()}


@task
def notifications_tick() -> int:
    """Send the waiting notifications, in batches, for up to NOTIFY_TICK_SECONDS.

    A batch that was not full found the outbox emptied: the tick ends there, and what comes
    in meanwhile waits for the next tick. (Going on until a claim found nothing, a tick under
    a steady stream of orders chased it in batches of a few rows each, every batch's dozen
    statements paid again: a fifth of an order's CPU on PostgreSQL, issue 17.)"""
    tick_next(notifications_tick, after=dt.timedelta(seconds=settings.NOTIFY_SEND_SECONDS))
    schedule_start()
    worker = worker_name()
    started = timezone.now()
    sent = 0
    while batch := notifications_send(worker=worker):
        sent += batch
        if batch < settings.NOTIFY_BATCH:
            break
        if timezone.now() - started > dt.timedelta(seconds=NOTIFY_TICK_SECONDS):
            break
    _forget_old_results()
    return sent


TICKS = [reminders_tick, notifications_tick]


def _forget_old_results() -> None:
    """Each tick forgets the finished ticks older than TICK_RESULTS_KEPT, so the task table
    does not grow with a tick every few seconds."""
    DBTaskResult.objects.filter(
        task_path__in=[tick.module_path for tick in TICKS],
        status__in=["SUCCESSFUL", "FAILED"],
        finished_at__lt=timezone.now() - TICK_RESULTS_KEPT,
    ).delete()


def tasks_recover(*, now: dt.datetime | None = None) -> int:
    """Mark failed the task runs left RUNNING by a worker that died (older than
    TASKS_RUNNING_TIMEOUT_MINUTES). Returns how many."""
    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        task_path__in=[t.module_path for t in TICKS],
        status="RUNNING",
        started_at__lt=now - running_timeout(),
    ).update(
        status="FAILED",
        finished_at=now,
        exception_class_path=WORKER_LOST,
        traceback=(
            "Still marked running after TASKS_RUNNING_TIMEOUT_MINUTES: the worker running it "
            "died. Its chain went on with the tick it had queued first."
        ),
    )


def tick_waiting(tick=reminders_tick) -> bool:
    """Is a tick of this chain queued? (A running one proves nothing: its worker may be
    dead, and a live one has queued its successor before starting its work.)"""
    return DBTaskResult.objects.filter(task_path=tick.module_path, status="READY").exists()


def tick_next(tick, *, after: dt.timedelta) -> None:
    """Queue the chain's next tick unless one is queued already (two chains become one)."""
    if not tick_waiting(tick):
        tick.using(run_after=timezone.now() + after).enqueue()


def schedule_start() -> bool:
    """Recover runs left by dead workers, then start every chain that has no tick queued.
    Returns whether it started any."""
    tasks_recover()
    started = False
    for tick in TICKS:
        if not tick_waiting(tick):
            tick.enqueue()
            started = True
    return started


def schedule_late(*, now: dt.datetime | None = None) -> str | None:
    """Why no tasks worker seems to run the schedule, or None while one does: "unscheduled"
    when no tick is queued (`manage.py schedule_reminders` never ran), "late" when a queued
    tick has been due for more than NOTIFY_STALLED_MINUTES (a worker takes a due tick within
    seconds, and the notifications tick is due every NOTIFY_SEND_SECONDS, so a quiet day with
    nothing to send still shows a running worker)."""
    now = now or timezone.now()
    queued = DBTaskResult.objects.filter(
        task_path__in=[tick.module_path for tick in TICKS], status="READY"
    )
    if not queued.exists():
        return "unscheduled"
    late = now - dt.timedelta(minutes=settings.NOTIFY_STALLED_MINUTES)
    # A tick queued to run at once carries django-tasks-db's "no time" (the largest date): it
    # has been due since it was queued.
    due_long_ago = Q(run_after__lt=late) | Q(run_after=get_date_max(), enqueued_at__lt=late)
    if queued.filter(due_long_ago).exists():
        return "late"
    return None
