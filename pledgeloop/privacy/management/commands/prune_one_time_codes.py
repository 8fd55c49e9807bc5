from django.core.management.base import BaseCommand

from pledgeloop.privacy.codes import codes_prune


class Command(BaseCommand):
    help = "Delete one-time SMS codes that have expired and no longer count (idempotent)."

    def handle(self, *args, **options):
        count = codes_prune()
        self.stdout.write(f"{count} code(s) deleted")
