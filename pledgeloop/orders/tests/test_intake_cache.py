"""The intake form's fields are drawn once per desk revision and kept in Django's cache
(issue 17: the form GET was ~80 % template work); everything per visitor stays per request."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member

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


# --- the whole blank page (issue 17: the form GET at 0.25x of a no-database view) ----------

PAGE = "orders/resident/new.html"


def drew_page(response) -> bool:
    return PAGE in [t.name for t in response.templates]


def without_tokens(html: str) -> str:
    """The page with each visitor's own values (CSRF token, submission key) taken out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    return re.sub(r'name="submission" value="[^"]*"', "KEY", html)


def test_the_blank_page_is_drawn_once_and_served_with_one_query(world, django_assert_num_queries):
    make_sites(world)
    first = Client().get(intake_url(world))
    assert drew_page(first)
    with django_assert_num_queries(1):  # the desk's revision
        second = Client().get(intake_url(world))
    assert second.status_code == 200 and not drew_page(second)
    assert second["Content-Type"] == first["Content-Type"]
    html = second.content.decode()
    # The same page, but for the visitor's own values, which are real, not the stand-ins.
    assert without_tokens(html) == without_tokens(first.content.decode())
    assert len(re.findall(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', html)) == 3
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", hidden(html, "submission"))
    assert hidden(html, "submission") != hidden(first.content.decode(), "submission")


def test_a_cached_page_posts_like_a_drawn_one_and_twice_files_once(world):
    Client().get(intake_url(world))  # draws the page
    phone = Client(enforce_csrf_checks=True)
    html = phone.get(intake_url(world)).content.decode()  # from the cache
    data = order_data(
        world,
        csrfmiddlewaretoken=hidden(html, "csrfmiddlewaretoken"),
        submission=hidden(html, "submission"),
    )
    first, again = phone.post(intake_url(world), data), phone.post(intake_url(world), data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Order.objects.count() == 1


def test_each_address_language_and_elder_mode_has_its_own_page(world):
    sites = make_sites(world)
    plain = Client().get(intake_url(world))
    qr = Client().get(f"{intake_url(world)}?via=qr")
    assert drew_page(qr)
    assert hidden(qr.content.decode(), "via") == "qr"
    assert hidden(plain.content.decode(), "via") == ""
    assert f'name="next" value="{intake_url(world)}?via=qr"' in qr.content.decode()
    assert not drew_page(Client().get(f"{intake_url(world)}?via=qr"))

    elder = Client()
    elder.cookies["elder"] = "1"
    big = elder.get(intake_url(world))
    assert drew_page(big) and 'class="resident elder"' in big.content.decode()
    assert 'class="resident"' in Client().get(intake_url(world)).content.decode()
    assert 'class="resident elder"' in elder.get(intake_url(world)).content.decode()

    english = Client(headers={"accept-language": "en"}).get(intake_url(world))
    assert drew_page(english) and "Ask 星港湾 community for help" in english.content.decode()

    at_b2 = Client().get(f"/order/site/{sites['b2'].pk}/")
    assert drew_page(at_b2)
    assert re.search(rf'value="{sites["b2"].pk}"[^>]*selected', at_b2.content.decode())


def test_a_visitors_own_page_is_drawn_for_them(world):
    Client().get(intake_url(world))  # the blank page is in the cache
    member = Member.objects.get(user=world.member)

    asking = Client().get(f"{intake_url(world)}?member={member.code}")
    assert drew_page(asking) and "张*" in asking.content.decode()

    signed_in = Client()
    signed_in.force_login(world.community_admin)
    page = signed_in.get(intake_url(world))
    assert drew_page(page) and world.community_admin.name in page.content.decode()

    odd = Client().get(f"{intake_url(world)}?via=qr&utm=poster")
    assert drew_page(odd)

    # A message waiting for the visitor is shown once, on a drawn page.
    phone = Client()
    phone.post(
        reverse("orders:track_cancel", args=[filed(world, phone).tracking_token]),
        {"confirm": "on"},
    )
    told = phone.get(intake_url(world))
    assert drew_page(told) and "已取消" in told.content.decode()
    assert not drew_page(phone.get(intake_url(world)))


def test_a_change_to_the_desk_draws_the_page_again(world):
    Client().get(intake_url(world))
    assert not drew_page(Client().get(intake_url(world)))
    world.community.name = "星港湾新村"
    world.community.save()
    after = Client().get(intake_url(world))
    assert drew_page(after) and "星港湾新村" in after.content.decode()


def filed(world, client) -> Order:
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    return Order.objects.latest("pk")
