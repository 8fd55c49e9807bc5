"""lib.inserts.prepare: new rows of several models whose values are computed before the
transaction that writes them (intake on SQLite, whose transaction holds the write lock), the
links to rows of earlier groups filled in as those get their ids."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from pledgeloop.lib import inserts
from pledgeloop.lib.inserts import prepare
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.people.consents import consent_new
from pledgeloop.people.models import Consent

from .test_inserts import new_order, stored

pytestmark = pytest.mark.django_db


def consent(world, now) -> Consent:
    return consent_new(
        street_id=world.street.pk,
        purpose="data_use",
        source="order:qr",
        phone="13812345678",
        at=now,
    )


@pytest.fixture
def computed(monkeypatch) -> list:
    """Each model whose values were computed, and whether inside a transaction of its
    caller's (the test's own transaction around it aside)."""
    seen = []
    outside = len(connection.atomic_blocks)
    real = inserts._params

    def watched(objs, database, **kwargs):
        seen.append((type(objs[0]), len(database.atomic_blocks) > outside))
        return real(objs, database, **kwargs)

    monkeypatch.setattr(inserts, "_params", watched)
    return seen


def test_prepared_rows_are_written_as_insert_writes_them_links_filled_in(
    world, computed, django_assert_num_queries
):
    now = timezone.now()
    given, twin_given = consent(world, now), consent(world, now)
    order = new_order(world, now, consent=given)
    event = OrderEvent(street_id=world.street.pk, order=order, to_state="submitted", at=now)
    ahead = prepare([[given], [order], [event]])
    # Computed now, outside any transaction; the stand-in numbers are gone again.
    assert [model for model, _inside in computed] == [Consent, Order, OrderEvent]
    assert not any(inside for _model, inside in computed)
    assert given.pk is order.pk is event.pk is None
    assert order.consent_id is None and event.order_id is None
    with transaction.atomic():
        ahead.insert()
    assert len(computed) == 3  # nothing computed again inside the transaction
    assert order.pk and order.consent_id == given.pk and event.order_id == order.pk
    with django_assert_num_queries(0):  # the linked rows as they were given
        assert order.consent is given and event.order is order
    stored_order = Order.objects.get(pk=order.pk)
    assert stored_order.consent_id == given.pk and stored_order.events.get().pk == event.pk
    # The same rows as insert() writes.
    twin = new_order(world, now, consent=twin_given)
    inserts.insert([twin_given])
    inserts.insert([twin])
    assert stored(order) == {**stored(twin), "consent_id": given.pk}
    assert stored(given) == stored(twin_given)


def test_a_link_to_a_later_group_is_refused(world):
    now = timezone.now()
    given = consent(world, now)
    order = new_order(world, now, consent=given)
    with pytest.raises(ValueError):
        prepare([[order], [given]])
    assert given.pk is None and order.pk is None and order.consent_id is None
