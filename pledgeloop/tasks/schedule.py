"""What runs when: every scheduled job, how often, and the tick that runs the due ones.

A job is a plain idempotent function (run twice, same result). `run_due_jobs` runs each job
whose period has passed since its last run (kept in JobRun); the worker calls it through the
self-re-enqueuing `reminders_tick` task (tasks.py). Jobs from apps that are not installed
yet are skipped.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    path: str  # dotted path of the function
    every: dt.timedelta
    arg: str = "now"  # the function takes now= (a datetime) or today= (a date)

    def function(self):
        try:
            return import_string(self.path)
        except ImportError:
            return None

    def run(self, now: dt.datetime):
        function = self.function()
        if function is None:
            return None
        when = now if self.arg == "now" else timezone.localdate(now)
        return function(**{self.arg: when})


HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

JOBS = [
    # orders: offers nobody answered go back to the needs list (dispatch time-outs)
    # (orders/jobs.py also tells the community's admins which offers went unanswered)
    Job("dispatch_time_outs", "pledgeloop.orders.jobs.time_out_dispatches", HOUR),
    Job("expire_orders", "pledgeloop.orders.jobs.expire_orders", DAY),
    # photo files a server killed mid-intake left without a row (after a grace period)
    Job("remove_orphan_photos", "pledgeloop.orders.jobs.remove_orphan_photos", DAY),
    # pledges: visits ahead, missed visits, party anniversaries
    Job("generate_visits", "pledgeloop.pledges.jobs.generate_visits", DAY, arg="today"),
    Job("mark_missed_visits", "pledgeloop.pledges.jobs.mark_missed_visits", DAY, arg="today"),
    Job(
        "party_anniversaries",
        "pledgeloop.pledges.jobs.remind_anniversaries",
        DAY,
        arg="today",
    ),
    # reminders (tasks/reminders.py)
    Job("visits_due_tomorrow", "pledgeloop.tasks.reminders.visits_due_tomorrow", HOUR),
    Job("dispatch_deadlines", "pledgeloop.tasks.reminders.dispatch_deadlines", HOUR),
    Job("orders_overdue", "pledgeloop.tasks.reminders.orders_overdue", HOUR),
    Job("visits_missed", "pledgeloop.tasks.reminders.visits_missed", HOUR),
    Job("showcase_due", "pledgeloop.tasks.reminders.showcase_due", DAY),
]
JOBS_BY_NAME = {job.name: job for job in JOBS}


def job_run(*, job: Job, now: dt.datetime | None = None):
    """Run one job now and note it; returns what the job returned (None: not installed)."""
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
    # A few minutes' slack, so that an hourly tick that wakes a little early still runs them.
    slack = dt.timedelta(minutes=5)
    for job in JOBS:
        previous = last.get(job.name)
        if previous is not None and now - previous < job.every - slack:
            continue
        try:
            with transaction.atomic():
                results[job.name] = job_run(job=job, now=now)
        except Exception:
            log.exception("scheduled job %s failed", job.name)
            results[job.name] = "failed"
    return results
