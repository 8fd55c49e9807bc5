"""Review links expire REVIEW_LINK_DAYS after the service (issue 13, deliverable 4): an
expired link says so in plain Chinese (410), and takes no review."""

import datetime as dt

import pytest
import time_machine
from django.core import signing

from pledgeloop.reviews.models import Review
from pledgeloop.service.review_links import SALT, review_link_expired, review_link_for

pytestmark = pytest.mark.django_db


def test_a_link_within_the_period_opens_the_form(client, settings, done_order):
    settings.REVIEW_LINK_DAYS = 30
    _order, rec = done_order
    with time_machine.travel(rec.ended_at + dt.timedelta(days=29), tick=False):
        page = client.get(review_link_for(rec))
    assert page.status_code == 200
    assert "非常满意" in page.text


def test_an_expired_link_says_so_and_takes_no_review(client, settings, done_order):
    settings.REVIEW_LINK_DAYS = 30
    _order, rec = done_order
    link = review_link_for(rec)
    with time_machine.travel(rec.ended_at + dt.timedelta(days=31), tick=False):
        page = client.get(link)
        posted = client.post(link, {"rating": "5", "solved": "yes"})
        assert review_link_expired(rec)
    assert page.status_code == 410
    assert "已过期" in page.text
    assert "30" in page.text  # the period, from the setting
    assert page["X-Robots-Tag"].startswith("noindex")
    assert posted.status_code == 410
    assert not Review.objects.exists()


def test_the_tracking_page_stops_offering_an_expired_link(client, settings, done_order):
    settings.REVIEW_LINK_DAYS = 30
    order, rec = done_order
    link = review_link_for(rec)
    track = f"/track/{order.tracking_token}/"
    assert link in client.get(track).text
    with time_machine.travel(rec.ended_at + dt.timedelta(days=31), tick=False):
        assert link not in client.get(track).text


def test_a_record_has_one_link_whenever_it_is_made(done_order):
    _order, rec = done_order
    first = review_link_for(rec)
    with time_machine.travel(rec.ended_at + dt.timedelta(days=3), tick=False):
        assert review_link_for(rec) == first


def test_a_link_signed_with_a_timestamp_before_still_opens(client, done_order):
    _order, rec = done_order
    old = signing.dumps({"r": rec.pk}, salt=SALT)
    assert client.get(f"/review/{old}/").status_code == 200
