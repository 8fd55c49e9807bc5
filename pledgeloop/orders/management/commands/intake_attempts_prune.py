from django.conf import settings
from django.core.management.base import BaseCommand

from pledgeloop.orders.throttle import intake_attempts_prune


class Command(BaseCommand):
    help = (
        "Delete anonymous intake attempts older than INTAKE_ATTEMPT_RETENTION_DAYS "
        "(idempotent; the scheduler runs it daily)."
    )

    def handle(self, *args, **options):
        count = intake_attempts_prune()
        days = settings.INTAKE_ATTEMPT_RETENTION_DAYS
        self.stdout.write(f"{count} intake attempt(s) older than {days} days deleted")
