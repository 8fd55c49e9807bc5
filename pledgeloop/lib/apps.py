from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "pledgeloop.lib"
    label = "lib"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the deployment checks)
            lookups,  # noqa: F401  (registers `__among`)
        )
