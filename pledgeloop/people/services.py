"""Writes of the people app that pages of several apps share (STYLE.md: services for writes).

The audit of who saw a resident's whole phone number (DESIGN.md §10, C12) is written here
and nowhere else: views call this when a person has asked to see a number, never while
merely building a page.
"""

import logging

from django.db import transaction

from .models import PhoneView, Resident, User

audit = logging.getLogger("pledgeloop.audit")


@transaction.atomic
def phone_view_record(
    *, viewer: User, street_id: int, resident: Resident | None, context: str
) -> PhoneView | None:
    """Log that ``viewer`` saw a whole phone number, and where (``context``: "detail",
    "order #12"...).

    A number that belongs to a resident on the list becomes a PhoneView row. One that is not
    on the list (an order filed from an unknown number) has no Resident for the row to point
    at, so it goes to the ``pledgeloop.audit`` log instead, with the same facts.
    """
    if resident is None:
        audit.warning("phone view: user %s saw the number of %s", viewer.pk, context)
        return None
    return PhoneView.objects.create(
        street_id=street_id, viewer=viewer, resident=resident, context=context[:80]
    )
