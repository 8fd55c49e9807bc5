"""The community office's number: set by its admins in the console, given to residents on
the pages that tell them to call (the order form, the tracking page, an expired review link).
Before, seven messages said "call your community" and no page held a number to call."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from pledgeloop.orders.tests.test_intake import intake_url, order_data
from pledgeloop.orders.tests.test_tracking import track_url
from pledgeloop.orgs.models import Community
from pledgeloop.orgs.services import community_phone_set
from pledgeloop.reviews.tests.conftest import done_order  # noqa: F401  (a fixture)
from pledgeloop.service.review_links import review_link_for

pytestmark = pytest.mark.django_db

TEL = 'href="tel:051383501001"'


def test_the_number_must_be_dialable_and_a_refusal_changes_nothing(world):
    community = community_phone_set(community=world.community, phone=" 0513-8350  1001 ")
    assert community.phone == "0513-8350 1001"  # spaces inside tidied
    for bad in ["call 110", "0513—8350", "+86 513", "12-", "1" * 21]:
        with pytest.raises(ValidationError):
            community_phone_set(community=Community.objects.get(pk=community.pk), phone=bad)
        assert Community.objects.get(pk=community.pk).phone == "0513-8350 1001"
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        Community.objects.filter(pk=community.pk).update(phone="call me")
    assert community_phone_set(community=community, phone="").phone == ""


def test_an_admin_of_the_community_sets_it_in_the_console(world, client_for):
    url = reverse("console:community_phone", args=[world.community.pk])
    client = client_for(world.community_admin)
    page = client.post(url, {"phone": "0513-8350 1001"}, follow=True)
    assert "现在看到的联系电话是 0513-8350 1001" in page.content.decode()
    assert 'value="0513-8350 1001"' in page.content.decode()
    page = client.post(url, {"phone": "打110"}, follow=True)
    assert "请填写数字" in page.content.decode()
    assert Community.objects.get(pk=world.community.pk).phone == "0513-8350 1001"
    # Not an admin of this community: refused, unchanged.
    other = reverse("console:community_phone", args=[world.faraway.pk])
    assert client.post(other, {"phone": "12345"}).status_code == 403
    assert client_for(world.member).post(url, {"phone": "12345"}).status_code == 403
    assert Community.objects.get(pk=world.faraway.pk).phone == ""


def test_the_order_form_and_tracking_page_give_the_number_to_call(world, client):
    assert TEL not in client.get(intake_url(world)).content.decode()  # none given yet
    community_phone_set(community=world.community, phone="0513-8350 1001")
    form = client.get(intake_url(world)).content.decode()  # the kept page is made again
    assert "不方便打字？直接打电话给社区" in form and TEL in form
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    order = world.community.orders.get()
    page = client.get(track_url(order)).content.decode()
    assert TEL in page and "0513-8350 1001" in page


def test_an_expired_review_link_gives_the_number_and_a_way_to_ask_again(
    world,
    client,
    settings,
    done_order,  # noqa: F811
):
    community_phone_set(community=world.community, phone="0513-8350 1001")
    settings.REVIEW_LINK_DAYS = 30
    _order, rec = done_order
    with time_machine.travel(rec.ended_at + dt.timedelta(days=31), tick=False):
        page = client.get(review_link_for(rec))
    assert page.status_code == 410
    assert TEL in page.text and 'href="/order/new/"' in page.text
