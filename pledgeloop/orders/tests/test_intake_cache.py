"""The intake form's fields are drawn once per desk revision and kept in Django's cache
(issue 17: the form GET was ~80 % template work); everything per visitor stays per request."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category

from .test_intake import intake_url, make_sites, order_data

FIELDS = "orders/resident/_intake_fields.html"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def drew_fields(response) -> bool:
    return FIELDS in [t.name for t in response.templates]


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_the_second_visitor_gets_the_fields_from_the_cache(world):
    make_sites(world)
    first = Client().get(intake_url(world))
    second = Client().get(intake_url(world))
    assert drew_fields(first) and not drew_fields(second)
    # The same fields: the tiles, the building list and its plan, the hours.
    for html in (first.content.decode(), second.content.decode()):
        assert html.count('class="tile"') == 6
        assert "阳光花园" in html and 'id="site-map"' in html and "20:00" in html


def test_each_visitor_gets_their_own_csrf_token_and_submission_key(world):
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_a = alice.get(intake_url(world)).content.decode()
    page_b = bob.get(intake_url(world)).content.decode()
    assert not drew_fields(bob.get(intake_url(world)))  # Bob's page came from the cache
    assert hidden(page_a, "submission") != hidden(page_b, "submission")
    token_a, token_b = hidden(page_a, "csrfmiddlewaretoken"), hidden(page_b, "csrfmiddlewaretoken")

    # Alice's token is no good with Bob's cookie: each page carries its own visitor's.
    refused = bob.post(intake_url(world), order_data(world, csrfmiddlewaretoken=token_a))
    assert refused.status_code == 403
    sent = bob.post(
        intake_url(world),
        order_data(world, csrfmiddlewaretoken=token_b, submission=hidden(page_b, "submission")),
    )
    assert sent.status_code == 302
    assert Order.objects.get().submission_key == hidden(page_b, "submission")


def test_a_form_sent_back_is_drawn_with_its_own_values_and_not_cached(world):
    Client().get(intake_url(world))  # the blank fields are in the cache now
    alice = Client()
    back = alice.post(intake_url(world), order_data(world, description="王阿姨家的私事", phone="1"))
    assert back.status_code == 200 and drew_fields(back)
    assert "王阿姨家的私事" in back.content.decode()
    bob = Client().get(intake_url(world))
    assert not drew_fields(bob)
    assert "王阿姨家的私事" not in bob.content.decode()
    assert "13812345678" not in bob.content.decode()


def test_a_change_to_the_desk_draws_the_fields_again(world):
    Client().get(intake_url(world))
    category = Category.objects.get(street=world.street, code="repairs")
    category.name = "水电维修"
    category.save()
    after = Client().get(intake_url(world))
    assert drew_fields(after)
    assert "水电维修" in after.content.decode()


def test_each_language_and_each_place_has_its_own_fields(world):
    sites = make_sites(world)
    Client().get(intake_url(world))
    english = Client(headers={"accept-language": "en"}).get(intake_url(world))
    assert drew_fields(english)
    assert "What kind of help?" in english.content.decode()

    # A building's QR code chooses that building; the plain form chooses none.
    at_b2 = Client().get(f"/order/site/{sites['b2'].pk}/")
    assert drew_fields(at_b2)
    assert re.search(rf'value="{sites["b2"].pk}"[^>]*selected', at_b2.content.decode())
    plain = Client().get(intake_url(world)).content.decode()
    assert not re.search(r'<option value="\d+" data-lat[^>]*selected', plain)
