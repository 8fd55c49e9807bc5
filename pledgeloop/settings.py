"""pledgeloop settings: one file, configured from environment variables only.

The defaults run the demo on SQLite under var/. Every variable is listed in README.md.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.secret_key import secret_key_from

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLEDGELOOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_map(name: str, default: dict[str, str]) -> dict[str, str]:
    """`key:value,key:value` (e.g. SMS_TEMPLATES=order_filed:SMS_123,order_done:SMS_456)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    pairs = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be key:value pairs separated by commas")
        pairs[key.strip()] = value.strip()
    return pairs


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY, else the file named by SECRET_KEY_FILE, else var/secret_key (`make run` writes a
# random one there once). With DEBUG off a missing, short or published key stops the app here
# (lib/secret_key.py says how to make one).
SECRET_KEY = secret_key_from(os.environ, var_dir=VAR_DIR, debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # django-ninja's templates and static files: /api/v1/docs serves Swagger UI from here
    # (without it, from a CDN that the CSP and mainland networks would block).
    "ninja",
    "pledgeloop.lib",
    "pledgeloop.orgs",
    "pledgeloop.people",
    "pledgeloop.console",
    "pledgeloop.notify",
    "pledgeloop.orders",
    "pledgeloop.pledges",
    "pledgeloop.service",
    "pledgeloop.reviews",
    "pledgeloop.teams",
    "pledgeloop.stats",
    "pledgeloop.diary",
    "pledgeloop.privacy",
    "pledgeloop.api",
    "pledgeloop.demo",
    "pledgeloop.tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages gzip-compressed when the browser accepts it (Django pads each one against BREACH).
    # Below WhiteNoise, which answers for static files itself, with their Brotli or gzip copy.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out a session idle too long (SESSION_IDLE_MINUTES), before any view runs.
    "pledgeloop.people.middleware.SessionIdleTimeoutMiddleware",
    # Every response to a signed-in user: Cache-Control no-store, X-Robots-Tag noindex.
    "pledgeloop.lib.private.PrivateResponseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
# The benchmarks' Server-Timing header (app time, queries): off unless SERVER_TIMING=1.
if env_bool("SERVER_TIMING", False):
    MIDDLEWARE.insert(0, "pledgeloop.lib.timing.ServerTimingMiddleware")

ROOT_URLCONF = "pledgeloop.urls"
WSGI_APPLICATION = "pledgeloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pledgeloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pledgeloop.lib.context_processors.site",
                "pledgeloop.notify.context_processors.inbox",
                "pledgeloop.people.context_processors.member_nav",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://user:pass@host:port/name); the default is
# SQLite in WAL mode under var/, which is enough for one street.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # No JIT compilation: a page's query that the planner guesses to be costly (the
    # showcase's, the annual review's) spent 7 of its 13 s compiling at city scale (issue 17,
    # bench/pages.py); pages run short queries, where JIT only costs. POSTGRES_JIT=1 allows it.
    if not env_bool("POSTGRES_JIT", False):
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Values bound by the server (psycopg's server-side binding; Django binds them into the
    # text by default), so that a statement run again on the same connection (the session's
    # read on every signed-in page, intake's inserts) is the same text and, from its
    # POSTGRES_PREPARE_THRESHOLD-th run, prepared: it then skips PostgreSQL's planning, which
    # was more than half of a short statement's time (the session's read 0.7 → 0.3 ms; issue
    # 17). A deployment behind a connection pooler in transaction mode without support for
    # prepared statements (PgBouncer before 1.21) sets POSTGRES_PREPARE_THRESHOLD=0: never.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=env_int("POSTGRES_PREPARE_THRESHOLD", 5, minimum=0) or None,
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "pledgeloop.lib.sqlite",
            "NAME": VAR_DIR / "pledgeloop.sqlite3",
            "OPTIONS": {
                # temp_store=MEMORY: a statement's journal (the pages it changed, kept to undo
                # it alone) stays in memory. Past 64 KiB SQLite spilled it to a new file in
                # /var/tmp, made and unlinked each time: an order's INSERT (22 indexes, a
                # trigger) journals some 30 pages, so every order made, wrote and deleted a
                # file (bench/intake.py: 0.3-1.0 ms less server CPU an order; issue 17).
                # page_size=1024, for a database this connection creates (before WAL mode,
                # which fixes it; a database made before keeps its own): a commit writes to
                # the log each page it changed, whole, and an order changes a leaf page of
                # every index it touches (some 48), so 4 KiB pages wrote and checksummed
                # 190 KiB an order inside the write lock. With 1 KiB pages the other writers
                # wait less: bench/intake.py on SQLite 829-861 -> 928-949 orders/s (0.19-0.21x
                # -> 0.22-0.23x baseline, alternating runs), the CPU's idle share halved.
                "init_command": (
                    "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    " PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Opening a SQLite connection (and running the PRAGMAs) costs ~5 ms a request;
            # keep each worker thread's connection instead.
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            # Tests use a file, not Django's shared in-memory database: the browser tests'
            # live server answers several requests at once, and one SQLite connection shared
            # across threads fails under that ("bad parameter or other API misuse").
            "TEST": {
                "NAME": str(Path(tempfile.gettempdir()) / f"pledgeloop-test-{os.getpid()}.sqlite3")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
# Sign-in by mobile number with its lockout (people/auth.py PhoneBackend); each request's user
# is read with their roles, their streets' versions and their unread count in one statement
# (notify/viewer.py), what the signed-in pages' cache keys them by: the session's own, below.
AUTHENTICATION_BACKENDS = ["pledgeloop.notify.viewer.ViewerBackend"]
# Database sessions in people.Session, each row naming the user its data signs in; read with
# that user, their roles, streets' versions and unread count in one statement
# (notify/sessions.py; people/sessions.py without the user).
SESSION_ENGINE = "pledgeloop.notify.sessions"
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "people:home"
LOGOUT_REDIRECT_URL = "people:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in lockout (people/auth.py): LOGIN_MAX_FAILURES failed sign-ins on one number from
# one address lock that pair for LOGIN_LOCKOUT_MINUTES, doubling with each further lockout
# (up to LOGIN_LOCKOUT_MAX_MINUTES); LOGIN_MAX_FAILURES_PER_IP failures from one address,
# whatever the numbers, lock that address out the same way. A stranger elsewhere never
# locks a number out for its owner.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_LOCKOUT_MAX_MINUTES = env_int("LOGIN_LOCKOUT_MAX_MINUTES", 24 * 60)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 10)

# Sessions (people/middleware.py): staff are signed out after SESSION_IDLE_MINUTES without a
# request, members and residents after SESSION_IDLE_MINUTES_MEMBERS; 0 turns a limit off.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_IDLE_MINUTES_MEMBERS = env_int("SESSION_IDLE_MINUTES_MEMBERS", 7 * 24 * 60)
SESSION_COOKIE_HTTPONLY = True

# --- the public pages' cache (orgs/pagecache.py, issue 17) --------------------------------
# The anonymous public pages (the wall, member pages, the showcase, the public figures) are
# cached under their streets' data versions, which the database bumps on every write to what
# they show (orgs/versions.py), so a cached page is never stale; entries also expire after
# PUBLIC_PAGE_CACHE_SECONDS whatever happens (0: no cache). In PUBLIC_PAGE_CACHE, an alias of
# CACHES: Django's default, the local-memory cache of each worker process (CACHES is not
# configured; a miss costs one render per worker).
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 600, minimum=0)
PUBLIC_PAGE_CACHE = env_str("PUBLIC_PAGE_CACHE", "default")
# The busiest signed-in pages (the needs list, an order, the member's home) are cached in the
# same cache for their viewer alone, under the same versions and the viewer's roles, name and
# unread count (orgs/pagecache.signed_in_page): never behind a write, and at most this many
# seconds behind the clock for what they say of time ("overdue", "in two hours"); 0: off.
SIGNED_IN_PAGE_CACHE_SECONDS = env_int("SIGNED_IN_PAGE_CACHE_SECONDS", 60, minimum=0)

# --- need to know and retention (issue 13; the privacy notice states these figures) --------
# A member sees the name, address and number of an order's resident while they hold it and
# for this many days after they finished it (orders/access.member_sees_contact); never for
# orders they only see on the needs list.
MEMBER_CONTACT_DAYS_AFTER_DONE = env_int("MEMBER_CONTACT_DAYS_AFTER_DONE", 30, minimum=0)
# Staff give their password again before a list or export of whole numbers unless they gave
# it within this many minutes (people/reauth.py).
PASSWORD_CONFIRM_MINUTES = env_int("PASSWORD_CONFIRM_MINUTES", 10, minimum=1)
# Failed sign-ins (address and number) are deleted after this many days by the daily
# login_failures_prune job; never sooner than the lockout still reads them (people/auth.py).
LOGIN_FAILURE_RETENTION_DAYS = env_int("LOGIN_FAILURE_RETENTION_DAYS", 30, minimum=0)
# Anonymous intake attempts (address and number) are deleted after this many days by the
# daily intake_attempts_prune job; at least 1, since the per-number limit counts a day.
INTAKE_ATTEMPT_RETENTION_DAYS = env_int("INTAKE_ATTEMPT_RETENTION_DAYS", 2, minimum=1)
# A review link (评诺) works for this many days after the service it reviews ended, then
# shows a page saying it has expired (service/review_links.py).
REVIEW_LINK_DAYS = env_int("REVIEW_LINK_DAYS", 30, minimum=1)

# --- HTTPS (production behind TLS; README "Production") ------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The health check answers on plain HTTP too: monitors probe the app directly, not the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a reverse proxy that terminates TLS: the header and value it sets on HTTPS requests,
# as "HTTP_X_FORWARDED_PROTO,https". Only set it when the proxy always sets (or strips) it.
_proxy_ssl = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl and len(_proxy_ssl) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value, as HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl) if _proxy_ssl else None

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# 9月8日, not Django's 09月8日 (pledgeloop/formats/)
FORMAT_MODULE_PATH = ["pledgeloop.formats"]
LOCALE_PATHS = [BASE_DIR / "pledgeloop" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "pledgeloop" / "static"]
# Uploaded photos live under MEDIA_ROOT and are never served by URL: /photos/<kind>/<id>/
# checks who asks (orders/views/photos.py), then streams the file, or hands it to the web
# server: "x-accel-redirect" (nginx: an `internal` location PHOTOS_ACCEL_PREFIX aliased to
# MEDIA_ROOT) or "x-sendfile" (Apache mod_xsendfile, lighttpd).
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
PHOTOS_SENDFILE = env_str("PHOTOS_SENDFILE", "")
if PHOTOS_SENDFILE not in {"", "x-accel-redirect", "x-sendfile"}:
    raise ImproperlyConfigured(
        f"PHOTOS_SENDFILE must be empty, x-accel-redirect or x-sendfile, not {PHOTOS_SENDFILE!r}"
    )
PHOTOS_ACCEL_PREFIX = env_str("PHOTOS_ACCEL_PREFIX", "/protected-photos/")
# A photo chosen on a form that came back with a mistake elsewhere waits here (raw bytes under a
# random name, for lib.photos.KEPT_PHOTO_MAX_AGE) until it is sent again: outside MEDIA_ROOT,
# so that no web server location aliased to it reaches these files and the orphan-photo job
# never sweeps them; the scheduled job kept_photos_prune deletes the old ones. Like MEDIA_ROOT,
# one folder for every app server and the worker (a token sent to a server without its file is
# ignored: the photo is chosen again).
PHOTO_KEPT_DIR = VAR_DIR / "kept-photos"
WHITENOISE_USE_FINDERS = True
# collectstatic (`make setup`) names each file after a hash of its content (css/pledgeloop.3f2a…
# .css) and writes Brotli and gzip copies beside it; WhiteNoise serves the smallest the browser
# accepts, and the hashed names with a year's max-age and "immutable" (a changed file gets a new
# name, so nothing stale is ever served). The tests use the plain storage (conftest.py), so they
# need no collectstatic; stats/tests/test_weight.py collects with this one.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- security: the built-in Content Security Policy ---------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- background and scheduled work: Django's tasks framework --------------------------------
# Tasks are stored in the database (django-tasks-db); `manage.py db_worker` runs them and
# `make run` starts it beside the web server. pledgeloop/tasks/schedule.py lists the scheduled
# jobs; a self-re-enqueuing "tick" task runs the due ones (docs/ARCHITECTURE.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Minutes between two scheduler ticks. Each tick runs the jobs whose period has passed, so no
# job runs more often than this.
REMINDERS_TICK_MINUTES = env_int("REMINDERS_TICK_MINUTES", 5, minimum=1)
# Minutes between two refreshes of the indicator rollups by the scheduler. Pages bring them up
# to date before reading anyway; refreshing in the background keeps that cheap.
STATS_REFRESH_MINUTES = env_int("STATS_REFRESH_MINUTES", 5, minimum=1)
# A tick still marked running after this many minutes was left by a worker that died: it is
# marked failed and the schedule goes on without it.
TASKS_RUNNING_TIMEOUT_MINUTES = env_int("TASKS_RUNNING_TIMEOUT_MINUTES", 15)

# --- mail and notifications -------------------------------------------------------------
# Django 6.1's MAILERS. With the SMTP backend (README's production block) the server and its
# account come from EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and
# EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465); without them mail goes to a
# server on this machine (localhost:25).
_email_backend = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
    }
    if MAILERS["default"]["OPTIONS"]["use_tls"] and MAILERS["default"]["OPTIONS"]["use_ssl"]:
        raise ImproperlyConfigured(
            "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both"
        )
# Seconds between two sends of the notifications outbox by the tasks worker.
NOTIFY_SEND_SECONDS = env_int("NOTIFY_SEND_SECONDS", 5)
# The outbox (notify/services.py): a worker leases NOTIFY_BATCH notifications at a time for
# NOTIFY_LEASE_SECONDS (a dead worker's claims are free again after that); a failed send is
# tried again after NOTIFY_RETRY_SECONDS, doubling each time up to NOTIFY_RETRY_MAX_SECONDS,
# and fails for good (listed in the console) after NOTIFY_MAX_ATTEMPTS.
# A batch's own work (its dozen statements, built and sent) is shared by its rows: 500 cost the
# tasks worker 7 % fewer instructions a notification than 100 (bench/instructions.py, issue 17),
# and the lease's margin stops a slow gateway's batch in time (notifications_send).
NOTIFY_BATCH = env_int("NOTIFY_BATCH", 500)
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120)
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 60)
NOTIFY_RETRY_MAX_SECONDS = env_int("NOTIFY_RETRY_MAX_SECONDS", 3600)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6)
# A message still waiting this many minutes after it was due is one nothing sends (the tasks
# worker is not running, or is far behind): the console says so (notify/selectors.py).
NOTIFY_STALLED_MINUTES = env_int("NOTIFY_STALLED_MINUTES", 10, minimum=1)
# Each message's idempotency key sent to the gateway is this prefix and the notification's
# id: give each installation sharing one SMS account its own.
NOTIFY_KEY_PREFIX = env_str("NOTIFY_KEY_PREFIX", "pl")
# The site's address as residents reach it: texts and emails carry links under it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# SMS: "logging" writes each text to the log and sends nothing (recorded as "logged, not
# sent"); "alibaba" (Alibaba Cloud SMS) and "tencent" (Tencent Cloud SMS) send through the
# gateway with the keys, signature and template codes below (README.md, "SMS").
SMS_PROVIDER = env_choice("SMS_PROVIDER", "logging", ["logging", "alibaba", "tencent", "none"])
SMS = {
    # Alibaba: AccessKey ID and secret; Tencent: SecretId and SecretKey.
    "ACCESS_KEY_ID": env_str("SMS_ACCESS_KEY_ID", ""),
    "ACCESS_KEY_SECRET": env_str("SMS_ACCESS_KEY_SECRET", ""),
    "SIGN_NAME": env_str("SMS_SIGN_NAME", ""),  # the approved signature (签名)
    "SDK_APP_ID": env_str("SMS_SDK_APP_ID", ""),  # Tencent only: the SmsSdkAppId
    # Template code (Alibaba SMS_…, Tencent's TemplateId) per message kind (notify/kinds.py).
    "TEMPLATES": env_map("SMS_TEMPLATES", {}),
    # host[:port] of the API, empty for the vendor's own; http only for a local stand-in.
    "ENDPOINT": env_str("SMS_ENDPOINT", ""),
    "PROTOCOL": env_choice("SMS_PROTOCOL", "https", ["https", "http"]),
    "REGION": env_str("SMS_REGION", ""),
    "TIMEOUT_SECONDS": env_int("SMS_TIMEOUT_SECONDS", 10),
}
# A worker stops sending with two SMS time-outs of its lease left (notify/services.py).
_lease_needed = 2 * SMS["TIMEOUT_SECONDS"] + 10
if _lease_needed > NOTIFY_LEASE_SECONDS:
    raise ImproperlyConfigured(
        f"NOTIFY_LEASE_SECONDS must be at least {_lease_needed} with SMS_TIMEOUT_SECONDS="
        f"{SMS['TIMEOUT_SECONDS']} (room for two SMS time-outs and more)."
    )
SMS_SENDERS = {
    "logging": ["pledgeloop.notify.senders.LoggingSmsSender"],
    "alibaba": ["pledgeloop.notify.sms.AlibabaSmsSender"],
    "tencent": ["pledgeloop.notify.sms.TencentSmsSender"],
    "none": [],
}
# Senders every notification is handed to, besides the in-app inbox.
NOTIFY_SENDERS = env_list(
    "NOTIFY_SENDERS", ["pledgeloop.notify.senders.EmailSender", *SMS_SENDERS[SMS_PROVIDER]]
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pledgeloop@localhost")
# Who is emailed each server error (500) with its traceback, comma-separated (Django's own
# report, sent when DEBUG is off); the report shows a form's fields but none of their values
# (lib/request_log.FormValuesHidden). From SERVER_EMAIL.
ADMINS = env_list("ADMINS", [])
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
DEFAULT_EXCEPTION_REPORTER_FILTER = "pledgeloop.lib.request_log.FormValuesHidden"

# --- the product ------------------------------------------------------------------------
PLEDGELOOP = {
    # Shown in the footer of every page: the operator's ICP filing number (备案号).
    "ICP_NUMBER": env_str("ICP_NUMBER", ""),
    "SITE_NAME": _("pledgeloop"),
}
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo2026")
# Days after its date that a pledge visit may still be logged before it counts as missed.
VISIT_GRACE_DAYS = env_int("VISIT_GRACE_DAYS", 3, minimum=0)
# Longest stretch, in hours, that a service check-in counts for: a forgotten check-out is
# capped here.
CHECKIN_MAX_HOURS = env_int("CHECKIN_MAX_HOURS", 8, minimum=1)
# How often the code on a site's check-in screen changes (minutes; the one before still counts).
CHECKIN_SCREEN_MINUTES = env_int("CHECKIN_SCREEN_MINUTES", 2, minimum=1)
# Anonymous order intake (orders/throttle.py): orders taken per IP address per hour and per
# mobile number per day.
INTAKE_LIMIT_PER_IP_PER_HOUR = env_int("INTAKE_LIMIT_PER_IP_PER_HOUR", 20)
INTAKE_LIMIT_PER_PHONE_PER_DAY = env_int("INTAKE_LIMIT_PER_PHONE_PER_DAY", 5)
# How many trusted reverse proxies in front of the app append to X-Forwarded-For (0: use the
# connecting address). lib/client.py reads it for every use of the client's address: intake
# limits, login lockout, check-ins. INTAKE_PROXY_HOPS is its former name, still read.
PROXY_HOPS = env_int("PROXY_HOPS", env_int("INTAKE_PROXY_HOPS", 0))

# --- personal data (PIPL): retention, the person's rights, one-time codes --------------------
# The privacy notice (people/notices.py, templates/people/privacy/) states these figures.
# Days after an order is closed (done, reviewed, cancelled, returned, timed out) that it is
# made anonymous and its photos removed; a street may set its own (Street.order_retention_days).
ORDER_RETENTION_DAYS = env_int("ORDER_RETENTION_DAYS", 365, minimum=1)
# Days the community has to complete a person's request to delete their data.
DELETION_REQUEST_DAYS = env_int("DELETION_REQUEST_DAYS", 15, minimum=1)
# One-time SMS codes (sign-in at /my/, password reset, activation): minutes a code is valid,
# wrong tries before it is void, codes per number and per address in an hour.
ONE_TIME_CODE_MINUTES = env_int("ONE_TIME_CODE_MINUTES", 10, minimum=1)
ONE_TIME_CODE_MAX_TRIES = env_int("ONE_TIME_CODE_MAX_TRIES", 5, minimum=1)
ONE_TIME_CODES_PER_PHONE_PER_HOUR = env_int("ONE_TIME_CODES_PER_PHONE_PER_HOUR", 3, minimum=1)
ONE_TIME_CODES_PER_IP_PER_HOUR = env_int("ONE_TIME_CODES_PER_IP_PER_HOUR", 10, minimum=1)
# Days an activation text's link stays good for an imported member to set their password.
ACTIVATION_DAYS = env_int("ACTIVATION_DAYS", 7, minimum=1)
# Minutes a phone signed in with a code may use /my/ before signing in again.
MY_SESSION_MINUTES = env_int("MY_SESSION_MINUTES", 30, minimum=1)

# --- the open API, Open311, webhooks, WeChat (pledgeloop/api/, docs/API.md) ----------------
# Requests per minute a new API token may make (each token's own limit is set in the console).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 60, minimum=1)
# Webhooks: a worker leases WEBHOOK_BATCH deliveries for WEBHOOK_LEASE_SECONDS; a failed one is
# tried again after WEBHOOK_RETRY_SECONDS, doubling up to WEBHOOK_RETRY_MAX_SECONDS, and fails
# for good after WEBHOOK_MAX_ATTEMPTS (the console can send it again).
WEBHOOK_BATCH = env_int("WEBHOOK_BATCH", 50, minimum=1)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120, minimum=10)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
# The WeChat official account the diary publishes to (empty: not connected; the console says
# so). WECHAT_API_BASE points the client at a stand-in in tests.
WECHAT_APP_ID = env_str("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET", "")
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_TIMEOUT_SECONDS = env_int("WECHAT_TIMEOUT_SECONDS", 15, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level on the handler too: the tasks worker sets its own loggers to INFO, and would
    # otherwise print two lines for every notifications tick (every few seconds).
    "handlers": {
        "console": {"class": "logging.StreamHandler", "level": LOG_LEVEL},
        "texts": {"class": "logging.StreamHandler", "level": "INFO"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # An expected 403/404 (or 400) is one line, not a traceback (lib/request_log.py).
    "filters": {
        "one_line": {"()": "pledgeloop.lib.request_log.ClientErrorsOnOneLine"},
        "health_checks": {"()": "pledgeloop.lib.request_log.HealthChecksQuiet"},
    },
    "loggers": {
        "django.request": {"filters": ["one_line", "health_checks"]},
        # The texts the logging SMS sender writes instead of sending (at INFO): always shown.
        "pledgeloop.notify.sms": {"handlers": ["texts"], "level": "INFO"},
    },
}
