from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "pledgeloop.tasks"
    label = "pledgeloop_tasks"
    verbose_name = _("Reminders and scheduled jobs")
