"""Signed review links (评诺): one per service record, no login, single use.

They live with the service record they name (the reviews app serves the page) so that the
resident's tracking page, a layer below reviews, can offer the link.

The token is the record's id signed with Django's signing (SECRET_KEY and a salt of its own),
so a link cannot be forged or edited into another record's link. It is single use because a
record has at most one Review (a OneToOne constraint): once used, the page thanks the resident
and changes nothing.
"""

from django.core import signing
from django.urls import reverse

SALT = "pledgeloop.reviews.review-link"


def review_token_for(record) -> str:
    return signing.dumps({"r": record.pk}, salt=SALT)


def record_id_from_token(token: str) -> int | None:
    """The service record id inside a genuine token, or None for anything forged or edited."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    value = data.get("r") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def review_link_for(record) -> str:
    """The path of the review page for a service record (for tracking pages, SMS, QR cards)."""
    return reverse("reviews:review", args=[review_token_for(record)])
