"""System checks of the deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

from .secret_key import HOW_TO, key_problem


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_private(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """pledgeloop.E001: the key (or a fallback key) is missing, weak or published.

    settings.py already refuses such a key with DEBUG off; this catches it on a server started
    with DEBUG on, and in SECRET_KEY_FALLBACKS, which still verify old signatures.
    """
    errors = []
    keys = [("SECRET_KEY", settings.SECRET_KEY)] + [
        ("SECRET_KEY_FALLBACKS", key) for key in settings.SECRET_KEY_FALLBACKS
    ]
    for name, key in keys:
        problem = key_problem(key)
        if problem:
            errors.append(
                checks.Error(
                    f"{name} {problem.removeprefix('SECRET_KEY ')}",
                    hint=HOW_TO,
                    id="pledgeloop.E001",
                )
            )
    return errors
