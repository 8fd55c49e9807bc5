"""System checks for the senders (run by `manage.py check`, `migrate`, `db_worker`): a
gateway configured without its keys stops the worker at start, not at its first text."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .kinds import TEXTS
from .senders import configured_senders


@checks.register()
def senders_configured(app_configs=None, **kwargs):
    try:
        configured_senders()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="pledgeloop.notify.E001")]
    except ImportError as error:
        return [
            checks.Error(
                f"NOTIFY_SENDERS names a sender that cannot be imported: {error}",
                id="pledgeloop.notify.E002",
            )
        ]
    if settings.SMS_PROVIDER in {"alibaba", "tencent"}:
        missing = sorted(set(TEXTS) - set(settings.SMS["TEMPLATES"]))
        if missing:
            return [
                checks.Warning(
                    f"No SMS template for {', '.join(missing)}: residents get no text of "
                    "these kinds (recorded as not sent).",
                    hint="Set SMS_TEMPLATES=kind:code,… (README.md, “SMS”).",
                    id="pledgeloop.notify.W001",
                )
            ]
    return []
