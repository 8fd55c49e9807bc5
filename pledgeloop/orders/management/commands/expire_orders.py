from django.core.management.base import BaseCommand

from pledgeloop.orders.jobs import expire_orders


class Command(BaseCommand):
    help = "Close waiting orders whose wanted time is long gone as timed out (idempotent)."

    def handle(self, *args, **options):
        count = expire_orders()
        self.stdout.write(f"{count} order(s) closed as timed out")
