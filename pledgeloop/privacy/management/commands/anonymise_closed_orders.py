from django.core.management.base import BaseCommand

from pledgeloop.privacy.anonymise import closed_orders_anonymise


class Command(BaseCommand):
    help = (
        "Make orders closed longer than their street's retention period anonymous and remove "
        "their photos (ORDER_RETENTION_DAYS, or Street.order_retention_days; idempotent)."
    )

    def handle(self, *args, **options):
        count = closed_orders_anonymise()
        self.stdout.write(f"{count} order(s) made anonymous")
