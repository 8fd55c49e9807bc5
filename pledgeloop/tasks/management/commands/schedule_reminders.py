from django.core.management.base import BaseCommand

from pledgeloop.tasks.tasks import schedule_start


class Command(BaseCommand):
    help = (
        "Queue the first reminders tick and notifications tick for the tasks worker, "
        "unless they are waiting."
    )

    def handle(self, *args, **options):
        if schedule_start():
            self.stdout.write(
                "Reminders and notifications scheduled: the tasks worker runs them every tick."
            )
        else:
            self.stdout.write("Reminders already scheduled.")
