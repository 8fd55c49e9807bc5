"""Tasks for Django's tasks framework (django.tasks), run by `manage.py db_worker`.

`reminders_tick` runs the due jobs and enqueues the next tick REMINDERS_TICK_MINUTES later,
so one tick keeps the schedule going. `manage.py schedule_reminders` (run by `make run`)
enqueues the first tick unless one is already waiting.
"""

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from .schedule import JOBS_BY_NAME, job_run, run_due_jobs


def tick_interval() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "REMINDERS_TICK_MINUTES", 60))


@task
def run_job(name: str) -> str:
    """Run one named job now (e.g. enqueued from the admin or a command)."""
    return str(job_run(job=JOBS_BY_NAME[name]))


@task
def reminders_tick() -> dict:
    try:
        results = run_due_jobs()
    finally:
        reminders_tick.using(run_after=timezone.now() + tick_interval()).enqueue()
    return {name: str(result) for name, result in results.items()}


def tick_waiting() -> bool:
    """Is a tick already queued (or running)? Then starting the schedule again adds none."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=reminders_tick.module_path, status__in=["READY", "RUNNING"]
    ).exists()


def schedule_start() -> bool:
    """Enqueue the first tick unless one is waiting. Returns whether it enqueued one."""
    if tick_waiting():
        return False
    reminders_tick.enqueue()
    return True
