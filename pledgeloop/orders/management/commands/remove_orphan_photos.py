import datetime as dt

from django.core.management.base import BaseCommand

from pledgeloop.orders.jobs import ORPHAN_PHOTO_GRACE, orphan_photos, remove_orphan_photos


class Command(BaseCommand):
    help = (
        "Delete photo files under MEDIA_ROOT that no order or service photo references and "
        "that are older than the grace period (idempotent). Prints "
        "'orphan photos: N removed' (or 'N found' with --dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(ORPHAN_PHOTO_GRACE.total_seconds() // 60),
            help="leave files younger than this alone (an upload may still be in flight)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count and list them, remove nothing"
        )

    def handle(self, *args, grace_minutes: int, dry_run: bool, **options):
        grace = dt.timedelta(minutes=grace_minutes)
        if dry_run:
            names = orphan_photos(grace=grace)
            for name in names:
                self.stdout.write(name)
            self.stdout.write(f"orphan photos: {len(names)} found (dry run, none removed)")
            return
        self.stdout.write(f"orphan photos: {remove_orphan_photos(grace=grace)} removed")
