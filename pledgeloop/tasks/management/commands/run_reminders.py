"""Run scheduled jobs by hand: all of them, or the ones named.

manage.py run_reminders                   # every job, now
manage.py run_reminders orders_overdue    # one job
manage.py run_reminders --due             # only the jobs whose period has passed
manage.py run_reminders --list
"""

from django.core.management.base import BaseCommand, CommandError

from pledgeloop.tasks.schedule import JOBS, JOBS_BY_NAME, job_run, run_due_jobs


class Command(BaseCommand):
    help = "Run reminder and other scheduled jobs now (each is idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", help="job names (default: all)")
        parser.add_argument("--due", action="store_true", help="only jobs that are due")
        parser.add_argument("--list", action="store_true", help="list the jobs and stop")

    def handle(self, *args, jobs, due, **options):
        if options["list"]:
            for job in JOBS:
                self.stdout.write(f"{job.name:22} every {job.every}  {job.path}")
            return
        if due:
            for name, result in run_due_jobs().items():
                self.stdout.write(f"{name}: {result}")
            return
        unknown = [name for name in jobs if name not in JOBS_BY_NAME]
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(unknown)}. See --list.")
        for job in [JOBS_BY_NAME[name] for name in jobs] or JOBS:
            self.stdout.write(f"{job.name}: {job_run(job=job)}")
