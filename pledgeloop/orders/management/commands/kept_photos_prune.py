from django.core.management.base import BaseCommand

from pledgeloop.lib.photos import KEPT_PHOTO_MAX_AGE, kept_photos_prune


class Command(BaseCommand):
    help = (
        "Delete the photos kept for forms sent back with a mistake once their tokens have "
        "expired (lib/photos.py; idempotent; the scheduler runs it hourly)."
    )

    def handle(self, *args, **options):
        count = kept_photos_prune()
        minutes = int(KEPT_PHOTO_MAX_AGE.total_seconds() // 60)
        self.stdout.write(f"{count} kept photo(s) older than {minutes} minutes deleted")
