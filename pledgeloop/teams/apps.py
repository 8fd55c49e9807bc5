from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "pledgeloop.teams"
    label = "teams"
    verbose_name = _("Teams")

    def ready(self):
        # The member's schedule (pledges, a layer below) lists the event shifts they signed up
        # for through its schedule sources: registered here, once the models are loaded.
        from pledgeloop.pledges.schedule_sources import schedule_sources

        from .schedule import member_shift_entries

        schedule_sources.register("teams.shifts", member_shift_entries)
