"""Limits on anonymous intake (DESIGN.md C12): submissions per IP address per hour and orders
per mobile number per day, counted from IntakeAttempt rows.

Every submission that reaches the checks leaves a row: an order stored carries its number
(`intake_admit`, one INSERT inside the order's transaction that happens only while both counts
are under their limits); a refused one (wrong number, missing tick, bad photo, the honeypot)
carries none (`intake_refused`) and so counts toward its address's limit only, never toward a
number's. A flood of bad posts from one address therefore meets the same 429 as a flood of
orders, and nobody can use up someone else's number by typing it wrong.

The per-number (and per-address) count is exact on both databases: on SQLite write
transactions start with BEGIN IMMEDIATE, which serialises them; on PostgreSQL the check is
the database's own function intake_admit() (migration orders/0017), which first takes
transaction-scoped advisory locks on the number and the address, so submissions sharing
either wait for each other and each counts what the ones before it stored.
`intake_refusal` says which limit was reached: the page asks before anything costly.

An order's own check and count (`IntakeAdmission`) go with its write. On PostgreSQL that is
one statement with no transaction around it, the order's read its first part
(orders.services.order_submit: one round trip an order, not six), which calls intake_admit()
itself.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.masking import is_mainland_mobile

from .models import IntakeAttempt, OrderError

# Advisory lock classes (the first of pg_advisory_xact_lock's two keys): any two numbers that
# no other part of the app uses for advisory locks.
LOCK_PHONE = 0x504C01
LOCK_IP = 0x504C02


def _windows(now: datetime) -> tuple[str, object, object]:
    """The attempts table's quoted name, and the start of the per-IP hour and per-number day
    as database values (the two hand-written queries below share them)."""
    ops = connection.ops
    return (
        ops.quote_name(IntakeAttempt._meta.db_table),
        ops.adapt_datetimefield_value(now - timedelta(hours=1)),
        ops.adapt_datetimefield_value(now - timedelta(days=1)),
    )


def _recent(column: str, table: str) -> str:
    """How many attempts of one address (or number) since a moment, counted up to a cap:
    whether a limit is reached needs no more, so a flood costs no more to count than the
    limit (parameters: the value, the moment, the cap). Read from the (column, at) index."""
    return (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} "  # noqa: S608 (names only)
        f"WHERE {column} = %s AND at > %s LIMIT %s) AS recent)"
    )


def _counts(ip: str | None, phone: str | None, now: datetime) -> tuple[int, int]:
    """Attempts from this IP in the last hour and by this number in the last day (each up to
    its limit, which is all the checks need). One hand-written query, short like everything
    on intake's path."""
    table, hour_ago, day_ago = _windows(now)
    by_ip, by_phone = settings.INTAKE_LIMIT_PER_IP_PER_HOUR, settings.INTAKE_LIMIT_PER_PHONE_PER_DAY
    # Only the table name is put into the text; every value goes in as a parameter.
    sql = f"SELECT {_recent('ip', table)}, {_recent('phone', table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [ip, hour_ago, by_ip, phone, day_ago, by_phone])
        by_ip, by_phone = cursor.fetchone()
    return int(by_ip), int(by_phone)


def intake_refusal(*, ip: str | None, phone: str, now: datetime | None = None) -> str | None:
    """The message to show when this IP address or number has reached its limit, else None.

    `phone` is what was typed: a number that is not a mobile number is not counted (refused
    submissions are stored without one)."""
    phone_key = phone if is_mainland_mobile(phone) else None
    by_ip, by_phone = _counts(ip, phone_key, now or timezone.now())
    if ip and by_ip >= settings.INTAKE_LIMIT_PER_IP_PER_HOUR:
        return _(
            "Many orders have been sent from this network in the last hour, more than we "
            "take at once. Please try again in an hour, or call your community."
        )
    per_phone = settings.INTAKE_LIMIT_PER_PHONE_PER_DAY
    if by_phone >= per_phone:
        return _(
            "This mobile number has already sent %(n)s orders today, the most we take in a day. "
            "Please try again tomorrow, or call your community."
        ) % {"n": per_phone}
    return None


def intake_admit(*, ip: str | None, phone: str, now: datetime | None = None) -> str | None:
    """Count this submission if both limits allow it; else the message, and nothing written.

    One statement, as it runs inside the order's write transaction (on SQLite the database's
    single write lock): the common case, under the limits, costs one INSERT. On PostgreSQL it
    is the database's intake_admit(), whose advisory locks are held until that transaction
    ends.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("intake_admit must run inside the order's transaction")
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # The database's own intake_admit() (migration orders/0017), as an order's one
        # statement calls it: the number's lock, then the address's, then the count. It
        # refuses with an error, so in a savepoint: the caller's transaction goes on.
        admission = IntakeAdmission(ip=ip, phone=phone)
        expression, values = admission.expression(now)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT {expression}", values)
        except DatabaseError as error:
            refused = admission.refused(error, now)
            if refused is None:
                raise
            return str(refused)
        return None
    table, hour_ago, day_ago = _windows(now)
    by_ip, by_phone = settings.INTAKE_LIMIT_PER_IP_PER_HOUR, settings.INTAKE_LIMIT_PER_PHONE_PER_DAY
    # Only the table name is put into the text; every value goes in as a parameter.
    sql = (
        f"INSERT INTO {table} (ip, phone, at) SELECT %s, %s, %s WHERE "  # noqa: S608
        f"{_recent('ip', table)} < %s AND {_recent('phone', table)} < %s"
    )
    params = [
        ip,
        phone,
        connection.ops.adapt_datetimefield_value(now),
        ip,
        hour_ago,
        by_ip,
        by_ip,
        phone,
        day_ago,
        by_phone,
        by_phone,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 1:
            return None
    return intake_refusal(ip=ip, phone=phone, now=now) or _("Please try again later.")


class IntakeRefused(OrderError):
    """Over the per-address or per-number limit: the page answers 429."""


# The error intake_admit() raises when it refuses (migration orders/0017).
REFUSED_SQLSTATE = "PL429"


class IntakeAdmission:
    """One submission's check against the limits, and its count, made with its order's write:
    `check` inside the order's transaction, or, where the order is written in one statement
    (PostgreSQL), `expression` in that statement, which then writes nothing when it refuses
    (`refused` tells that refusal from other errors)."""

    def __init__(self, *, ip: str | None, phone: str) -> None:
        self.ip, self.phone = ip, phone

    def check(self) -> None:
        refusal = intake_admit(ip=self.ip, phone=self.phone)
        if refusal:
            raise IntakeRefused(refusal)

    def expression(self, now: datetime | None = None) -> tuple[str, list]:
        """PostgreSQL's intake_admit() call (its text and values): `intake_admit`'s locks,
        check and count, in a statement of the caller's."""
        now = now or timezone.now()
        _table, hour_ago, day_ago = _windows(now)
        values = [LOCK_PHONE, LOCK_IP, self.ip, self.phone]
        values += [connection.ops.adapt_datetimefield_value(now), hour_ago, day_ago]
        values += [settings.INTAKE_LIMIT_PER_IP_PER_HOUR, settings.INTAKE_LIMIT_PER_PHONE_PER_DAY]
        return "intake_admit(%s, %s, %s, %s, %s, %s, %s, %s, %s)", values

    def refused(self, error: Exception, now: datetime | None = None) -> IntakeRefused | None:
        """The refusal, when `error` is intake_admit()'s (nothing was written); else None."""
        if getattr(error.__cause__, "sqlstate", None) != REFUSED_SQLSTATE:
            return None
        message = intake_refusal(ip=self.ip, phone=self.phone, now=now)
        return IntakeRefused(message or _("Please try again later."))


def intake_refused(*, ip: str | None, now: datetime | None = None) -> str | None:
    """Count a refused submission toward its address's hourly limit (not toward any number's).

    Returns the limit's message, writing nothing, when the address is already over it: then
    the page answers 429, and a flood of bad posts costs one read each."""
    now = now or timezone.now()
    refusal = intake_refusal(ip=ip, phone="", now=now)
    if refusal is None and ip:
        IntakeAttempt.objects.create(ip=ip, phone="", at=now)
    return refusal


def intake_attempts_prune(*, now: datetime | None = None) -> int:
    """Delete attempts older than INTAKE_ATTEMPT_RETENTION_DAYS (idempotent; the daily
    scheduled job). The limits count an hour (address) and a day (number), and the setting
    is at least a day, so a prune never changes what they count."""
    now = now or timezone.now()
    keep = timedelta(days=settings.INTAKE_ATTEMPT_RETENTION_DAYS)
    deleted, _rows = IntakeAttempt.objects.filter(at__lt=now - keep).delete()
    return deleted
