from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "pledgeloop.lib"
    label = "lib"
