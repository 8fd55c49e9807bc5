"""The beneficiary of a service hears of it by text: its date, its hours and the link to
confirm and rate it (the check on hours logged in their name)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.notify.models import Notification, ShortLink
from pledgeloop.notify.services import notifications_send
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import record_id_from_token

pytestmark = pytest.mark.django_db


def served_on() -> dt.date:
    """Yesterday: a service from that morning has ended by now, at any hour (today's 00:00
    plus two hours is still to come between midnight and two o'clock)."""
    return timezone.localdate() - dt.timedelta(days=1)


def test_a_logged_service_texts_the_beneficiary_its_date_hours_and_review_link(
    world, client_for, client
):
    day = served_on()
    response = client_for(world.member).post(
        reverse("service:new"),
        {
            "day": day.isoformat(),
            "start": "00:00",
            "hours": "1.5",
            "note": "陪同就医",
            "beneficiary_q": "wxl",
        },
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    (text,) = Notification.objects.filter(kind="service_review")
    assert text.phone == world.resident_here.phone and text.user == world.resident
    date = f"{day.month}月{day.day}日"
    assert text.params == {"date": date, "hours": "1.5"}
    assert date in text.title and "1.5" in text.title
    assert record_id_from_token(text.url.split("/")[2]) == record.pk
    notifications_send()
    landing = client.get(f"/t/{ShortLink.objects.get(path=text.url).code}/")
    assert landing.status_code == 302 and landing["Location"] == text.url
    page = client.get(text.url)
    assert page.status_code == 200


def test_a_service_for_nobody_in_particular_texts_nobody(world, client_for):
    client_for(world.member).post(
        reverse("service:new"),
        {"day": served_on().isoformat(), "start": "00:00", "hours": "2", "note": "巡逻"},
    )
    assert ServiceRecord.objects.get().hours == Decimal("2")
    assert not Notification.objects.filter(kind="service_review").exists()
