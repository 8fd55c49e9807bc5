"""Limits on anonymous intake (DESIGN.md C12): orders per IP address per hour and per mobile
number per day, counted from IntakeAttempt rows.

A row is written only for an order that was stored, inside the same transaction
(`intake_admit`: one INSERT that happens only while both counts are under their limits), so
refused or failed submissions never use up anyone's allowance. On SQLite, whose write
transactions start with BEGIN IMMEDIATE, check and record are serialised and the limit is
exact; on PostgreSQL two simultaneous submissions may both pass at the very edge, which is
acceptable for an abuse limit. `intake_refusal` says which limit was reached (and lets the
page refuse early, before decoding a photo).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IntakeAttempt

# Attempts older than this count for nothing and may be pruned.
KEEP = timedelta(days=2)


def _windows(now: datetime) -> tuple[str, object, object]:
    """The attempts table's quoted name, and the start of the per-IP hour and per-number day
    as database values (the two hand-written queries below share them)."""
    ops = connection.ops
    return (
        ops.quote_name(IntakeAttempt._meta.db_table),
        ops.adapt_datetimefield_value(now - timedelta(hours=1)),
        ops.adapt_datetimefield_value(now - timedelta(days=1)),
    )


def _counts(ip: str | None, phone: str, now: datetime) -> tuple[int, int]:
    """Attempts from this IP in the last hour and by this number in the last day.

    One hand-written query, short like everything on intake's path.
    """
    table, hour_ago, day_ago = _windows(now)
    # Only the table name is put into the text; every value goes in as a parameter.
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN ip = %s AND at > %s THEN 1 ELSE 0 END), 0), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN phone = %s THEN 1 ELSE 0 END), 0) "
        f"FROM {table} WHERE (phone = %s OR ip = %s) AND at > %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ip, hour_ago, phone, phone, ip, day_ago])
        by_ip, by_phone = cursor.fetchone()
    return int(by_ip), int(by_phone)


def intake_refusal(*, ip: str | None, phone: str, now: datetime | None = None) -> str | None:
    """The message to show when this IP address or number has reached its limit, else None."""
    by_ip, by_phone = _counts(ip, phone, now or timezone.now())
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
    single write lock): the common case, under the limits, costs one INSERT.
    """
    now = now or timezone.now()
    table, hour_ago, day_ago = _windows(now)
    # Only the table name is put into the text; every value goes in as a parameter.
    sql = (
        f"INSERT INTO {table} (ip, phone, at) SELECT %s, %s, %s WHERE "  # noqa: S608
        f"(SELECT COUNT(*) FROM {table} WHERE ip = %s AND at > %s) < %s AND "
        f"(SELECT COUNT(*) FROM {table} WHERE phone = %s AND at > %s) < %s"
    )
    params = [
        ip,
        phone,
        connection.ops.adapt_datetimefield_value(now),
        ip,
        hour_ago,
        settings.INTAKE_LIMIT_PER_IP_PER_HOUR,
        phone,
        day_ago,
        settings.INTAKE_LIMIT_PER_PHONE_PER_DAY,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 1:
            return None
    return intake_refusal(ip=ip, phone=phone, now=now) or _("Please try again later.")


def intake_attempts_prune(*, now: datetime | None = None) -> int:
    """Delete attempts too old to count (idempotent; for a scheduled job)."""
    now = now or timezone.now()
    deleted, _rows = IntakeAttempt.objects.filter(at__lt=now - KEEP).delete()
    return deleted
