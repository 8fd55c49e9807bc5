from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "pledgeloop.stats"
    label = "stats"
    verbose_name = _("Indicators")

    def ready(self):
        from . import signals

        signals.connect()
