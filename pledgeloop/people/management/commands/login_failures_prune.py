from django.conf import settings
from django.core.management.base import BaseCommand

from pledgeloop.people.services import login_failures_prune


class Command(BaseCommand):
    help = (
        "Delete failed sign-ins older than LOGIN_FAILURE_RETENTION_DAYS, keeping any the "
        "lockout still reads (idempotent; the scheduler runs it daily)."
    )

    def handle(self, *args, **options):
        count = login_failures_prune()
        days = settings.LOGIN_FAILURE_RETENTION_DAYS
        self.stdout.write(f"{count} failed sign-in(s) older than {days} days deleted")
