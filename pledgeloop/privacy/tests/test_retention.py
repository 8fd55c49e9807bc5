"""Retention: closed orders are made anonymous after their street's retention period."""

import datetime as dt
import io
import os

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.tests.loop import bring_to
from pledgeloop.privacy.anonymise import closed_orders_anonymise
from pledgeloop.service.models import ServicePhoto


def _closed(world, state, days_ago: int) -> Order:
    order = bring_to(world, state)
    OrderEvent.objects.filter(order=order).update(at=timezone.now() - dt.timedelta(days=days_ago))
    return Order.objects.get(pk=order.pk)


def test_an_order_closed_longer_than_the_period_is_anonymised_a_younger_one_untouched(
    world, django_capture_on_commit_callbacks
):
    days = settings.ORDER_RETENTION_DAYS
    old = _closed(world, Order.State.DONE, days + 1)
    record = old.service_records.get()
    photo = ServicePhoto.objects.create(
        street=world.street, record=record, image=SimpleUploadedFile("a.jpg", b"jpeg bytes")
    )
    path = photo.image.path
    young = _closed(world, Order.State.CANCELLED, days - 1)
    open_order = bring_to(world, Order.State.ACCEPTED)
    OrderEvent.objects.filter(order=open_order).update(
        at=timezone.now() - dt.timedelta(days=days * 2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert closed_orders_anonymise() == 1
    old = Order.objects.get(pk=old.pk)
    assert (old.phone, old.contact_name, old.address, old.description) == ("", "", "", "")
    assert old.state == Order.State.DONE and old.done_at is not None  # still counted
    assert not ServicePhoto.objects.filter(record=record).exists()
    assert not os.path.exists(path)
    assert Order.objects.get(pk=young.pk).phone == "13812345678"
    assert Order.objects.get(pk=open_order.pk).phone == "13812345678"
    assert closed_orders_anonymise() == 0  # idempotent


def test_a_street_may_keep_orders_for_a_shorter_time(world):
    order = _closed(world, Order.State.CANCELLED, 40)
    assert closed_orders_anonymise() == 0
    world.street.order_retention_days = 30
    world.street.save(update_fields=["order_retention_days"])
    assert closed_orders_anonymise() == 1
    assert Order.objects.get(pk=order.pk).anonymised_at is not None


def test_the_management_command_runs_the_job(world):
    order = _closed(world, Order.State.CANCELLED, settings.ORDER_RETENTION_DAYS + 5)
    out = io.StringIO()
    call_command("anonymise_closed_orders", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert Order.objects.get(pk=order.pk).phone == ""
