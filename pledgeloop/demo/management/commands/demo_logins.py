from django.conf import settings
from django.core.management.base import BaseCommand

from pledgeloop.demo.api import demo_api_key_live
from pledgeloop.demo.builder import DEMO_LOGINS
from pledgeloop.people.models import Role, User


class Command(BaseCommand):
    help = "Print one demo login per role."

    def handle(self, *args, **options):
        users = {u.phone: u for u in User.objects.filter(phone__in=[p for _, p in DEMO_LOGINS])}
        if not users:
            return
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for role, phone in DEMO_LOGINS:
            if phone in users:
                label = Role(role).label
                self.stdout.write(f"  {label:<18} {phone}  {users[phone].name}")
        key = demo_api_key_live()
        if key:
            self.stdout.write(f"Demo API / Open311 key (whole street): {key}")
            self.stdout.write("  e.g. curl /open311/v2/services.json (docs/API.md)")
