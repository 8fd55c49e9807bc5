"""Bring the indicator rollups up to date now (the scheduler's stats_refresh job does it every
STATS_REFRESH_MINUTES); --full rebuilds them."""

from django.core.management.base import BaseCommand

from pledgeloop.stats import rollups


class Command(BaseCommand):
    help = "Refresh the indicator rollups from the raw records."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every rollup row")

    def handle(self, *args, full=False, **options):
        if full:  # with no state, the refresh rebuilds every rollup row
            rollups.RollupState.objects.all().delete()
        result = rollups.rollups_refresh()
        self.stdout.write(f"stats rollups: {result}")
