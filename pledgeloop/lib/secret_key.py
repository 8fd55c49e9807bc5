"""The secret key: where settings.py finds it, and which keys are never good enough.

Django signs sessions, password resets, review links (评诺) and check-in codes with
SECRET_KEY: whoever knows it can forge any of them. So outside development the app refuses to
start without a key of its own, and `check --deploy` reports a published one as an error
(checks.py). Where the key comes from, first found wins:

1. the SECRET_KEY environment variable;
2. the file named by SECRET_KEY_FILE (it must exist);
3. `secret_key` in the var directory (`make run` writes a random one there once, mode 0600,
   with scripts/make-secret-key.py);
4. with DEBUG on only, DEVELOPMENT_KEY (public, and flagged by `check --deploy`).

Imported by settings.py, so nothing here may need configured settings.
"""

from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# settings.py printed this key until issue 12: it is in every clone of the repository.
REPOSITORY_KEY = "pledgeloop-demo-key-change-me-in-production-0123456789"
# What a development server runs on when no key is set (DEBUG on only).
DEVELOPMENT_KEY = "django-insecure-pledgeloop-development-only-never-use-this-key-in-production"
# Keys made by `django-admin startproject` carry this prefix and sit in countless repositories.
INSECURE_PREFIX = "django-insecure-"
PUBLISHED_KEYS = frozenset({REPOSITORY_KEY, DEVELOPMENT_KEY})
# Django's own measure of a strong key (security.W009).
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
FILE_NAME = "secret_key"

HOW_TO = (
    "Make one with\n"
    '    python -c "import secrets; print(secrets.token_urlsafe(50))"\n'
    "and set it as the SECRET_KEY environment variable, or write it to a file readable only "
    "by the app and set SECRET_KEY_FILE to that file's path. `make run` makes one for the "
    "demo in var/secret_key."
)


def key_problem(key: str) -> str | None:
    """Why this key must not sign anything in production, or None when it is fine."""
    if not key:
        return "SECRET_KEY is not set."
    if key in PUBLISHED_KEYS or key.startswith(INSECURE_PREFIX):
        return "SECRET_KEY is a published key (it appears in public source code)."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY is too short: it needs at least {MIN_LENGTH} characters."
    if len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return (
            f"SECRET_KEY is too simple: it needs at least {MIN_UNIQUE_CHARACTERS} "
            "different characters."
        )
    return None


def _read(path: Path, origin: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{origin} names {path}, which cannot be read ({error.strerror}).\n{HOW_TO}"
        ) from None


def secret_key_from(environ: Mapping[str, str], *, var_dir: Path, debug: bool) -> str:
    """The key to run on; ImproperlyConfigured (saying how to make one) when production
    would run on a missing, short or published key."""
    key, origin = environ.get("SECRET_KEY", ""), "SECRET_KEY"
    if not key and environ.get("SECRET_KEY_FILE"):
        origin = "SECRET_KEY_FILE"
        key = _read(Path(environ["SECRET_KEY_FILE"]), origin)
    if not key and (var_dir / FILE_NAME).is_file():
        origin = str(var_dir / FILE_NAME)
        key = _read(var_dir / FILE_NAME, origin)
    if debug:
        return key or DEVELOPMENT_KEY
    problem = key_problem(key)
    if problem:
        where = "" if not key else f" (from {origin})"
        raise ImproperlyConfigured(
            f"{problem}{where} With DEBUG off the app does not start on such a key: anyone "
            f"could forge sessions, review links and check-in codes.\n{HOW_TO}"
        )
    return key
