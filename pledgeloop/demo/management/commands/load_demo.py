from django.core.management.base import BaseCommand, CommandError

from pledgeloop.demo.builder import demo_load
from pledgeloop.orgs.models import Street


class Command(BaseCommand):
    help = "Load the demo street 江海街道 (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any street exists."
        )

    def handle(self, *args, seed: int, if_empty: bool, **options):
        if Street.objects.exists():
            if if_empty:
                return
            raise CommandError(
                "The database already holds a street; load the demo into an empty database."
            )
        self.stdout.write("Loading the demo street 江海街道 …")
        ctx = demo_load(seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(ctx.communities)} communities, {len(ctx.members)} members, "
                f"{len(ctx.residents)} residents (seed {seed})."
            )
        )
