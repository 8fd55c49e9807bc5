"""lib.updates.update_row writes what save(update_fields=…) writes, with the statement built
once, and only where its conditions still hold."""

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from pledgeloop.lib.updates import update_row
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order

from .test_inserts import new_order

pytestmark = pytest.mark.django_db


def stored(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def test_update_row_writes_the_same_row_as_save_with_update_fields(world):
    mine, theirs = new_order(world), new_order(world)
    mine.save()
    theirs.save()
    later = timezone.now() + dt.timedelta(hours=3)
    for order in (mine, theirs):
        order.description, order.address, order.respond_by = "楼道灯不亮了", "5幢101室", later
    update_row(mine, ["description", "address", "respond_by", "updated_at"])
    theirs.save(update_fields=["description", "address", "respond_by", "updated_at"])
    row, expected = stored(mine), stored(theirs)
    for name in ("description", "address", "respond_by"):
        assert row[name] == expected[name]
    # auto_now moved on, as save() moves it
    assert Order.objects.get(pk=mine.pk).updated_at == mine.updated_at > mine.created_at
    # the fields not named are left as they were
    assert row["phone"] == "13812345678" and row["tracking_token"] == mine.tracking_token


def test_update_row_leaves_the_row_alone_when_a_condition_no_longer_holds(
    world, django_assert_num_queries
):
    notification = Notification.objects.create(
        street_id=world.street.pk, user=world.member, kind="x", title="消息", claimed_by="w-1"
    )
    row = Notification(pk=notification.pk, claimed_by="", state=Notification.State.DONE)
    with django_assert_num_queries(1):
        assert update_row(row, ["state", "claimed_by"], where={"claimed_by": "w-2"}) == 0
    assert stored(notification)["state"] == Notification.State.WAITING
    assert update_row(row, ["state", "claimed_by"], where={"claimed_by": "w-1"}) == 1
    assert stored(notification)["state"] == Notification.State.DONE
    assert stored(notification)["claimed_by"] == ""


def test_update_row_refuses_expressions_and_comparisons_with_none(world):
    order = new_order(world)
    order.save()
    order.description = F("address")
    with pytest.raises(ValueError, match="plain values"):
        update_row(order, ["description"])
    with pytest.raises(ValueError, match="None"):
        update_row(Notification(pk=1), ["state"], where={"lease_until": None})
