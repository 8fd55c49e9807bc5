"""One-time SMS codes: a person proves that a number is theirs (sign-in at /my/, a new
password, an imported member's activation).

Six random digits, texted at once through the notify senders (never kept in the outbox);
only a keyed hash (HMAC with the site's secret key, the number and the purpose) is stored.
A code expires after ONE_TIME_CODE_MINUTES (an activation code after ACTIVATION_DAYS), is
void after ONE_TIME_CODE_MAX_TRIES wrong tries, and serves once; asking for a new one voids
the old. At most ONE_TIME_CODES_PER_PHONE_PER_HOUR codes go to a number and
ONE_TIME_CODES_PER_IP_PER_HOUR are asked for from one address, whether or not we hold
anything for the number (the answer is the same either way, so it tells nobody whether a
number is known).
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from pledgeloop.notify.services import text_send_now

from .models import OneTimeCode

Purpose = OneTimeCode.Purpose
HOUR = dt.timedelta(hours=1)


class CodeError(Exception):
    """A refused request or a wrong code, with a message for the person."""


def _hash(phone: str, purpose: str, code: str) -> str:
    return salted_hmac(
        "pledgeloop.privacy.code", f"{purpose}:{phone}:{code}", algorithm="sha256"
    ).hexdigest()


def code_request(
    *,
    phone: str,
    purpose: str,
    ip: str | None,
    street_id: int | None,
    kind: str = "one_time_code",
    lifetime: dt.timedelta | None = None,
    url: str = "",
    now: dt.datetime | None = None,
) -> OneTimeCode:
    """Make a code for the number and text it (when `street_id` is given: the street that
    holds the number's data, whose name the text is sent under; None: nothing held, no text).

    Raises CodeError when the number or the address has asked too often this hour.
    """
    now = now or timezone.now()
    since = now - HOUR
    recent = OneTimeCode.objects.filter(created_at__gte=since)
    if recent.filter(phone=phone).count() >= settings.ONE_TIME_CODES_PER_PHONE_PER_HOUR:
        raise CodeError(
            _(
                "Several codes were sent to this number in the last hour. "
                "Wait an hour, then ask again."
            )
        )
    if ip and recent.filter(ip=ip).count() >= settings.ONE_TIME_CODES_PER_IP_PER_HOUR:
        raise CodeError(
            _("Too many codes were asked for from this network. Wait an hour, then ask again.")
        )
    code = f"{secrets.randbelow(10**6):06d}"
    lifetime = lifetime or dt.timedelta(minutes=settings.ONE_TIME_CODE_MINUTES)
    with transaction.atomic():
        # A new code voids the number's earlier ones for the purpose.
        OneTimeCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(
            used_at=now
        )
        row = OneTimeCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, purpose, code),
            ip=ip,
            created_at=now,
            expires_at=now + lifetime,
            sent=street_id is not None,
        )
    if street_id is not None:
        minutes = max(1, int(lifetime.total_seconds() // 60))
        with translation.override(settings.LANGUAGE_CODE):
            if kind == "account_activation":
                days = max(1, lifetime.days)
                title = _(
                    "You are on your community's volunteer service site. Set your password "
                    "within %(days)s days with the code %(code)s:"
                ) % {"days": days, "code": code}
                params = {"code": code, "days": str(days)}
            else:
                title = _(
                    "Your code is %(code)s, valid for %(minutes)s minutes. Tell it to nobody."
                ) % {"code": code, "minutes": minutes}
                params = {"code": code, "minutes": str(minutes)}
        text_send_now(
            phone=phone,
            kind=kind,
            title=title,
            params=params,
            street_id=street_id,
            url=url,
            key=f"{settings.NOTIFY_KEY_PREFIX}c{row.pk}",
        )
    return row


def code_check(*, phone: str, purpose: str, code: str, now: dt.datetime | None = None) -> None:
    """Accept the number's latest code for the purpose, once; raise CodeError otherwise.
    A wrong try is counted (and stays counted: the refusal comes after the commit)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.expires_at <= now:
            refusal = _("This code has expired or was never sent. Ask for a new one.")
        elif row.tries >= settings.ONE_TIME_CODE_MAX_TRIES:
            refusal = _("Too many wrong codes. Ask for a new one.")
        elif not row.sent or not constant_time_compare(row.code_hash, _hash(phone, purpose, code)):
            row.tries += 1
            row.save(update_fields=["tries"])
            refusal = _("The code is wrong. Check the text message and try again.")
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            refusal = None
    if refusal is not None:
        raise CodeError(refusal)


def codes_prune(*, now: dt.datetime | None = None) -> int:
    """Delete codes older than a day: expired, and past counting towards the limits (except
    activation codes still valid)."""
    now = now or timezone.now()
    deleted, _rows = OneTimeCode.objects.filter(
        created_at__lt=now - dt.timedelta(days=1), expires_at__lt=now
    ).delete()
    return deleted
