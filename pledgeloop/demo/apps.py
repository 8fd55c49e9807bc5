from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "pledgeloop.demo"
    label = "demo"
    verbose_name = "Demo street"
