"""System checks for the senders (run by `manage.py check`, `migrate`, `db_worker`): a
gateway configured without its keys stops the worker at start, not at its first text."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

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


@checks.register(checks.Tags.security, deploy=True)
def site_url_reaches_the_site(app_configs=None, **kwargs):
    """pledgeloop.notify.E003: texts and emails carry links under SITE_URL; left at this
    machine's address, or naming a host the site does not serve, every link a resident gets
    is dead (`check --deploy`, so a deployment learns it before the first text)."""
    parts = urlsplit(settings.SITE_URL)
    host = parts.hostname or ""
    problem = None
    if parts.scheme not in {"http", "https"} or not host:
        problem = f"SITE_URL={settings.SITE_URL!r} is not an address (https://your.domain)."
    elif host in {"127.0.0.1", "localhost", "::1"}:
        problem = (
            f"SITE_URL is {settings.SITE_URL}, this machine's own address: the links in "
            "residents' texts would not open on their phones."
        )
    elif not validate_host(host, settings.ALLOWED_HOSTS):
        problem = f"SITE_URL's host {host} is not in ALLOWED_HOSTS: its links would answer 400."
    elif parts.scheme == "http" and settings.SECURE_SSL_REDIRECT:
        problem = "SITE_URL is http:// while the site is served over HTTPS only: use https://."
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint="Set SITE_URL to the address residents reach, e.g. https://pledge.example.cn "
            "(README, 生产环境 / Production).",
            id="pledgeloop.notify.E003",
        )
    ]
