"""The demo's API key: a token of the street admin that files orders (Open311 and /api/v1/),
reads public data and indicators, printed by `make run` (manage.py demo_logins).

Its text is derived from the installation's SECRET_KEY, so that it can be printed again on
every `make run` while only its SHA-256 is stored, as for every token.
"""

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone

from pledgeloop.api.models import APPLICATION_SCOPES, ApiToken
from pledgeloop.api.tokens import MAX_DAYS, TOKEN_PREFIX, token_digest
from pledgeloop.people.models import User

DEMO_ADMIN_PHONE = "13900000001"
APPLICATION = "演示 Open311 客户端"


def demo_api_key() -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), b"pledgeloop-demo-api-key", hashlib.sha256)
    return TOKEN_PREFIX + "demo_" + mac.hexdigest()[:32]


def build(ctx) -> None:
    admin = User.objects.get(phone=DEMO_ADMIN_PHONE)
    text = demo_api_key()
    now = timezone.now()
    ApiToken.objects.update_or_create(
        digest=token_digest(text),
        defaults={
            "street": ctx.street,
            "community": None,
            "application": APPLICATION,
            "user": admin,
            "scopes": list(APPLICATION_SCOPES),
            "prefix": text[:10],
            "created_at": now,
            "expires_at": now + dt.timedelta(days=MAX_DAYS),
            "rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
        },
    )


def demo_api_key_live() -> str | None:
    """The demo key's text, if the demo's token exists and still works."""
    text = demo_api_key()
    token = ApiToken.objects.filter(digest=token_digest(text)).first()
    return text if token is not None and token.is_live() else None
