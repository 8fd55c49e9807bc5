"""API tokens: made (shown once), revoked, found from the text a client sends, rate-limited.

Every write of a token goes through a function here (STYLE.md: `<entity>_<action>`,
keyword-only, atomic). Who may make or revoke which token is decided in access.py.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.models import User

from .models import APPLICATION_SCOPES, ApiToken, Scope

# Every token's text starts with this, so a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "pl_"
# The longest a token may live (an admin may choose shorter); a personal token lives a year.
MAX_DAYS = 366


class TokenError(Exception):
    """A refused token action, with a message for the admin."""


def token_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_token_text() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_create(
    *,
    by: User,
    street: Street,
    community: Community | None,
    application: str,
    scopes: list[str],
    days: int | None = 90,
    personal: bool = False,
    rate_limit: int | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; returns it and its text, which is shown this once and never stored."""
    application = (application or "").strip()[:80]
    if not application:
        raise TokenError(_("Name the application that will use this token."))
    allowed = [Scope.OWN_RECORDS] if personal else APPLICATION_SCOPES
    scopes = sorted(set(scopes))
    if not scopes:
        raise TokenError(_("Choose at least one thing the token may do."))
    if any(scope not in allowed for scope in scopes):
        raise TokenError(_("This token cannot be given that scope."))
    if community is not None and community.street_id != street.pk:
        raise TokenError(_("That community is not in this street."))
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(_("A token lives between 1 and %(n)s days.") % {"n": MAX_DAYS})
    now = timezone.now()
    text = new_token_text()
    token = ApiToken.objects.create(
        street=street,
        community=community,
        application=application,
        user=by,
        personal=personal,
        scopes=scopes,
        prefix=text[:10],
        digest=token_digest(text),
        created_at=now,
        expires_at=now + dt.timedelta(days=days or MAX_DAYS),
        rate_limit=rate_limit or settings.API_RATE_LIMIT_PER_MINUTE,
    )
    return token, text


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def token_find(text: str) -> ApiToken | None:
    """The live token with this text, or None (unknown, revoked or expired alike)."""
    if not text or not text.startswith(TOKEN_PREFIX) or len(text) > 100:
        return None
    token = (
        ApiToken.objects.select_related("street", "community", "user")
        .filter(digest=token_digest(text))
        .first()
    )
    if token is None or not token.is_live():
        return None
    return token


def token_admit(*, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Count one request in the token's current minute; False once over its limit.

    One conditional UPDATE: exact across processes, and nothing is read first."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    this_minute = ApiToken.objects.filter(
        pk=token.pk, rate_window=window, rate_count__lt=F("rate_limit")
    )
    if this_minute.update(rate_count=F("rate_count") + 1, last_used_at=now):
        return True
    # A new minute starts at 1.
    started = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(rate_window=window)
        .update(rate_window=window, rate_count=1, last_used_at=now)
    )
    if started:
        return True
    # Another request of this minute started it between the two updates above: this one is
    # counted in it like any other (refused only if that fills the minute's limit).
    return bool(this_minute.update(rate_count=F("rate_count") + 1, last_used_at=now))
