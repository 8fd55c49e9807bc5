"""What runs when: every scheduled job, how often, and the tick that runs the due ones.

A job is a plain idempotent function (run twice, same result), named here by the function
itself: a job whose function is renamed or gone, or does not take the argument given here,
fails when this module is imported, not silently at run time. `run_due_jobs` runs each job
whose period has passed since its last run (kept in JobRun); the worker calls it through the
self-re-enqueuing `reminders_tick` task (tasks.py) every REMINDERS_TICK_MINUTES, so no job
runs more often than that.
"""

import datetime as dt
import inspect
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pledgeloop.api.webhooks import webhooks_tick
from pledgeloop.lib.photos import kept_photos_prune
from pledgeloop.orders import jobs as order_jobs
from pledgeloop.orders.throttle import intake_attempts_prune
from pledgeloop.people.services import login_failures_prune, sessions_prune
from pledgeloop.pledges import jobs as pledge_jobs
from pledgeloop.privacy.anonymise import closed_orders_anonymise
from pledgeloop.privacy.codes import codes_prune
from pledgeloop.stats.rollups import rollups_refresh

from . import reminders
from .models import JobRun

log = logging.getLogger(__name__)

ARGS = ("now", "today", None)


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable
    every: dt.timedelta
    arg: str | None = "now"  # the function takes now= (a datetime), today= (a date) or nothing
    # Run in one transaction (all or nothing). False for a job that commits its own steps as
    # it goes: the webhooks, whose leases and results must be recorded as each delivery is
    # made, not all at the end (a worker killed mid-job would roll back what it had sent).
    atomic: bool = True

    def __post_init__(self):
        if self.arg not in ARGS:
            raise ValueError(f"job {self.name}: arg must be one of {ARGS}, not {self.arg!r}")
        # Raises TypeError now if the function does not take exactly what run() passes it.
        inspect.signature(self.function).bind(**({self.arg: None} if self.arg else {}))

    @property
    def path(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"

    def run(self, now: dt.datetime):
        if self.arg is None:
            return self.function()
        when = now if self.arg == "now" else timezone.localdate(now)
        return self.function(**{self.arg: when})


MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

JOBS = [
    # orders: offers nobody answered go back to the needs list (dispatch time-outs)
    # (orders/jobs.py also tells the community's admins which offers went unanswered)
    Job("dispatch_time_outs", order_jobs.time_out_dispatches, HOUR),
    Job("expire_orders", order_jobs.expire_orders, DAY),
    # orders: anonymous intake attempts older than INTAKE_ATTEMPT_RETENTION_DAYS
    # (orders/throttle.py; they count towards the limits for a day at most)
    Job("intake_attempts_prune", intake_attempts_prune, DAY),
    # people: failed sign-ins older than LOGIN_FAILURE_RETENTION_DAYS (never one a lock in
    # force still reads: people/services.py)
    Job("login_failures_prune", login_failures_prune, DAY),
    # people: sessions past their expiry (people.Session; nothing else deletes them)
    Job("sessions_prune", sessions_prune, DAY),
    # photo files a server killed mid-intake left without a row (after a grace period)
    Job("remove_orphan_photos", order_jobs.remove_orphan_photos, DAY),
    # photos kept for a form sent back with a mistake (lib/photos.py), once their tokens have
    # expired (an hour): hourly, so that an abandoned one is gone within two
    Job("kept_photos_prune", kept_photos_prune, HOUR),
    # personal data: closed orders made anonymous after the street's retention period, and
    # one-time SMS codes past use (privacy/)
    Job("anonymise_closed_orders", closed_orders_anonymise, DAY),
    Job("one_time_codes_prune", codes_prune, DAY),
    # pledges: visits ahead, missed visits, party anniversaries
    Job("generate_visits", pledge_jobs.generate_visits, DAY, arg="today"),
    Job("mark_missed_visits", pledge_jobs.mark_missed_visits, DAY, arg="today"),
    Job("party_anniversaries", pledge_jobs.remind_anniversaries, DAY, arg="today"),
    # reminders (tasks/reminders.py)
    Job("visits_due_tomorrow", reminders.visits_due_tomorrow, HOUR),
    Job("dispatch_deadlines", reminders.dispatch_deadlines, HOUR),
    Job("orders_overdue", reminders.orders_overdue, HOUR),
    Job("visits_missed", reminders.visits_missed, HOUR),
    Job("showcase_due", reminders.showcase_due, DAY),
    # stats: keep the indicator rollups warm (pages bring them up to date before reading)
    Job("stats_refresh", rollups_refresh, settings.STATS_REFRESH_MINUTES * MINUTE, arg=None),
    # api: webhook events to subscribers, at every tick (api/webhooks.py: leases, retries)
    Job("webhooks_send", webhooks_tick, MINUTE, atomic=False),
]
JOBS_BY_NAME = {job.name: job for job in JOBS}
if len(JOBS_BY_NAME) != len(JOBS):
    raise ValueError("two scheduled jobs share a name")


def tick_interval() -> dt.timedelta:
    return settings.REMINDERS_TICK_MINUTES * MINUTE


def job_run(*, job: Job, now: dt.datetime | None = None):
    """Run one job now and note it; returns what the job returned."""
    now = now or timezone.now()
    result = job.run(now)
    JobRun.objects.update_or_create(
        name=job.name, defaults={"last_run_at": now, "last_result": str(result)[:200]}
    )
    return result


def run_due_jobs(*, now: dt.datetime | None = None) -> dict[str, object]:
    """Run every job whose period has passed since its last run. A failing job is logged and
    the others still run."""
    now = now or timezone.now()
    last = dict(JobRun.objects.values_list("name", "last_run_at"))
    results = {}
    # Half a tick's slack, so that a tick that wakes a little early still runs the jobs that
    # fall due about then, and an hourly job is not run a tick early either.
    slack = tick_interval() / 2
    for job in JOBS:
        previous = last.get(job.name)
        if previous is not None and now - previous < job.every - slack:
            continue
        try:
            with transaction.atomic() if job.atomic else nullcontext():
                results[job.name] = job_run(job=job, now=now)
        except Exception:
            log.exception("scheduled job %s failed", job.name)
            results[job.name] = "failed"
    return results
