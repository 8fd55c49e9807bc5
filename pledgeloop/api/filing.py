"""Orders filed by other systems (the API and Open311): the resident's intake service, with
the token named in the order's history and the filing remembered for the token."""

import hashlib
import secrets

from django.db import transaction

from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order, OrderEvent

from .models import ApiOrder, ApiToken


@transaction.atomic
def order_file(*, token: ApiToken, key: str = "", media_url: str = "", **fields) -> Order:
    """File an order through `orders.services.order_submit` (every check of the resident's
    page), source = API, by the token. The same `key` again returns the order it filed."""
    with order_services.acting_as(token.label):
        order = order_services.order_submit(
            by=token.user, source=OrderEvent.Source.API, submission_key=key, **fields
        )
    ApiOrder.objects.get_or_create(
        order=order,
        defaults={
            "street_id": order.street_id,
            "token": token,
            "public_token": secrets.token_urlsafe(16),
            "media_url": media_url[:500],
        },
    )
    return order


def external_key(token: ApiToken, external_id: str) -> str:
    """The order's submission key for the caller's own id of it (a hotline's ticket number):
    the same id from the same token files once."""
    if not external_id:
        return ""
    digest = hashlib.sha256(f"{token.pk}:{external_id}".encode()).hexdigest()
    return f"api:{digest[:36]}"
