"""Finishing an order records only hours that fit since the order was taken (issue 12)."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders import services
from pledgeloop.orders.models import Order, OrderError
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.services import service_record_create

from .loop import age, member_of, triaged_order

pytestmark = pytest.mark.django_db


def finish_url(order):
    return reverse("orders:member_order_action", args=[order.pk, "finish"])


def claimed(world) -> Order:
    return services.order_claim(order=triaged_order(world), member=member_of(world))


def test_claim_then_finish_a_moment_later_with_24_hours_is_refused(world):
    # Issue 12: a member claimed and finished an order 0.11 s later with 24 h.
    order = claimed(world)
    time.sleep(0.11)
    with pytest.raises(OrderError, match="最多只能记 0 小时"):
        services.order_finish(order=order, member=member_of(world), hours=Decimal("24"))
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.done_at is None
    assert not ServiceRecord.objects.exists()


def test_the_member_page_says_so_at_the_form(world, client_for):
    order = claimed(world)
    client = client_for(world.member)
    page = client.get(reverse("orders:member_order", args=[order.pk]))
    assert "服务结束后再到这里登记时长" in page.content.decode()  # and when: test_member_views
    response = client.post(finish_url(order), {"hours": "24", "note": "修好了"})
    assert response.status_code == 409
    text = response.content.decode()
    assert "最多只能记 0 小时，不能记 24 小时" in text
    assert "修好了" in text  # what was typed stays
    assert not ServiceRecord.objects.exists()


def test_hours_up_to_the_time_since_taken_are_recorded_within_it(world):
    order = age(claimed(world), hours=3)
    order, record = services.order_finish(
        order=order, member=member_of(world), hours=Decimal("2.5")
    )
    assert order.state == Order.State.DONE
    assert record.started_at >= order.accepted_at >= order.created_at
    assert record.ended_at - record.started_at == dt.timedelta(hours=2.5)
    assert record.ended_at <= timezone.now()


def test_more_hours_than_have_passed_since_taken_are_refused(world):
    order = age(claimed(world), hours=1.2)  # 1 h 12 min: at most 1 h
    with pytest.raises(OrderError, match="最多只能记 1 小时"):
        services.order_finish(order=order, member=member_of(world), hours=Decimal("1.5"))
    services.order_finish(order=order, member=member_of(world), hours=Decimal("1"))


def test_the_record_never_starts_before_the_order_was_filed_or_taken(world):
    # Issue 12: the record's start was back-dated before the order was filed.
    order = age(claimed(world), hours=3)
    with pytest.raises(OrderError, match="不能早于您接单的时间"):
        services.order_finish(
            order=order,
            member=member_of(world),
            hours=Decimal("1"),
            started_at=order.created_at - dt.timedelta(hours=1),
        )
    assert not ServiceRecord.objects.exists()


def test_the_member_may_say_when_the_service_started(world, client_for):
    order = age(claimed(world), hours=5)
    start = timezone.localtime(order.accepted_at + dt.timedelta(hours=1)).replace(
        second=0, microsecond=0
    ) + dt.timedelta(minutes=1)
    response = client_for(world.member).post(
        finish_url(order), {"hours": "2", "started_at": start.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(order=order)
    assert record.started_at == start
    assert record.ended_at == start + dt.timedelta(hours=2)


def test_finishing_with_hours_that_overlap_the_members_other_record_is_refused(world, client_for):
    order = age(claimed(world), hours=3)
    member = member_of(world)
    now = timezone.now()
    service_record_create(
        members=[member],
        started_at=now - dt.timedelta(minutes=90),
        ended_at=now - dt.timedelta(minutes=30),
        hours=Decimal("1"),
        by=world.member,
    )
    response = client_for(world.member).post(finish_url(order), {"hours": "1"})
    assert response.status_code == 409
    assert "不能重叠" in response.content.decode()
    assert Order.objects.get(pk=order.pk).state != Order.State.DONE
    # Said with the real start it fits.
    early = timezone.localtime(order.accepted_at) + dt.timedelta(minutes=1)
    response = client_for(world.member).post(
        finish_url(order), {"hours": "1", "started_at": early.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).state == Order.State.DONE
