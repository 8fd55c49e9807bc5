import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class JobCommand(BaseCommand):
    """Runs one job of pledgeloop.pledges.jobs, optionally as if on another day."""

    job = None

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(
                    f"--today must be a date like 2026-09-05, not {today!r}"
                ) from None
        count = self.job(today=day)
        self.stdout.write(f"{self.job.__name__}: {count}")
