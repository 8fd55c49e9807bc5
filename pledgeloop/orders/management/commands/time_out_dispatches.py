from django.core.management.base import BaseCommand

from pledgeloop.orders.jobs import time_out_dispatches


class Command(BaseCommand):
    help = "Return offers nobody answered in time to the needs list (idempotent)."

    def handle(self, *args, **options):
        count = time_out_dispatches()
        self.stdout.write(f"{count} offer(s) timed out")
