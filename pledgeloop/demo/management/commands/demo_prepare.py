import io

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Everything `make run` does before serving, in one process: migrate, load the demo "
        "street into an empty database, refresh the statistics, schedule the reminders and "
        "print the demo logins."
    )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", if_empty=True)
        call_command("stats_refresh", stdout=io.StringIO())  # its summary is for the console
        call_command("schedule_reminders")
        call_command("demo_logins")
