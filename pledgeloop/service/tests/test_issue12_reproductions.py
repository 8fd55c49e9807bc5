"""Issue 12's reproductions of "Verified hours are easy to fake", written against URLs and the
services both versions share: all seven fail on the code before the change (31cd63c) and pass
after it."""

import contextlib
import datetime as dt
import time
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders import services
from pledgeloop.orders.models import Order, OrderError
from pledgeloop.orders.tests.loop import member_of, triaged_order
from pledgeloop.orgs.models import Site
from pledgeloop.service import access
from pledgeloop.service.models import CheckIn, ServiceRecord
from pledgeloop.service.review_links import review_link_for
from pledgeloop.service.services import service_record_create


def test_claim_then_finish_011_s_later_with_24_h_is_refused(world):
    order = services.order_claim(order=triaged_order(world), member=member_of(world))
    time.sleep(0.11)
    with contextlib.suppress(OrderError):
        services.order_finish(order=order, member=member_of(world), hours=Decimal("24"))
    assert not ServiceRecord.objects.exists()


def test_no_record_starts_before_its_order_was_filed(world):
    order = services.order_claim(order=triaged_order(world), member=member_of(world))
    with contextlib.suppress(OrderError):
        services.order_finish(order=order, member=member_of(world), hours=Decimal("2"))
    assert not ServiceRecord.objects.filter(started_at__lt=Order.objects.get().created_at).exists()


def test_four_check_in_pairs_in_under_a_second_count_nothing(world, client_for):
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind="centre",
        name="站",
        latitude="31.95",
        longitude="120.9",
    )
    url = reverse("service:checkin", args=[access.checkin_token(site)])
    client = client_for(world.member)
    for _ in range(4):
        client.post(url, {"action": "in"})
        client.post(url, {"action": "out"})
    hours = sum(r.hours for r in ServiceRecord.objects.all())
    assert hours == 0


def test_another_communitys_site_code_is_refused(world, client_for):
    site = Site.objects.create(
        street=world.street,
        community=world.neighbour,
        kind="centre",
        name="腾飞站",
        latitude="31.95",
        longitude="120.9",
    )
    url = reverse("service:checkin", args=[access.checkin_token(site)])
    client_for(world.member).post(url, {"action": "in"})
    assert not CheckIn.objects.exists()


def test_three_overlapping_24_h_entries_only_the_first_is_accepted(world, client_for):
    day = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    client = client_for(world.member)
    for start in ("00:00", "00:00", "06:00"):
        client.post(reverse("service:new"), {"day": day, "start": start, "hours": "24"})
    assert ServiceRecord.objects.count() == 1


def test_the_review_page_shows_the_date_and_hours(world, client):
    now = timezone.now()
    start = now - dt.timedelta(days=3)
    rec = service_record_create(
        members=[world.member.member],
        started_at=start,
        ended_at=start + dt.timedelta(hours=2.5),
        hours=Decimal("2.5"),
        by=world.member,
    )
    text = client.get(review_link_for(rec)).content.decode()
    assert "2.5 小时" in text


def test_hours_wrong_does_not_verify(world, client):
    start = timezone.now() - dt.timedelta(days=3)
    rec = service_record_create(
        members=[world.member.member],
        started_at=start,
        ended_at=start + dt.timedelta(hours=2),
        hours=Decimal("2"),
        by=world.member,
    )
    client.post(
        review_link_for(rec), {"rating": "3", "hours_right": "no", "comment": "只来了半小时"}
    )
    rec.refresh_from_db()
    assert rec.verification != "verified"
    assert getattr(rec, "flagged_at", None) is not None
