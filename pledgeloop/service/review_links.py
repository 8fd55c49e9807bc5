"""Signed review links (评诺): one per service record, no login, single use.

They live with the service record they name (the reviews app serves the page) so that the
resident's tracking page, a layer below reviews, can offer the link.

The token is the record's id signed with Django's signing (SECRET_KEY and a salt of its own),
so a link cannot be forged or edited into another record's link. It carries no timestamp, so a
record has one link: the SMS, the QR card and the tracking page all show the same one (links
signed before with a timestamp, salt SALT, still open). It is single use because a
record has at most one Review (a OneToOne constraint): once used, the page thanks the resident
and changes nothing. It expires REVIEW_LINK_DAYS after the service ended (issue 13: no
personal link works for ever); the page then says so.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "pledgeloop.reviews.review-link"
STABLE_SALT = "pledgeloop.reviews.review-link.stable"


def review_token_for(record) -> str:
    return signing.Signer(salt=STABLE_SALT).sign_object({"r": record.pk})


def record_id_from_token(token: str) -> int | None:
    """The service record id inside a genuine token, or None for anything forged or edited."""
    try:
        data = signing.Signer(salt=STABLE_SALT).unsign_object(token)
    except signing.BadSignature:
        try:
            data = signing.loads(token, salt=SALT)
        except (signing.BadSignature, ValueError):
            return None
    value = data.get("r") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def review_link_for(record) -> str:
    """The path of the review page for a service record (for tracking pages, SMS, QR cards)."""
    return reverse("reviews:review", args=[review_token_for(record)])


def review_link_expires_at(record) -> datetime:
    return record.ended_at + timedelta(days=settings.REVIEW_LINK_DAYS)


def review_link_expired(record, *, now: datetime | None = None) -> bool:
    """True once REVIEW_LINK_DAYS have passed since the service ended."""
    return (now or timezone.now()) > review_link_expires_at(record)
