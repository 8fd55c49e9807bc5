"""The intake form's fields are made once per list of categories and shared by the forms
(orders/forms.py, _SharedFields): nothing a request does may change them."""

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from pledgeloop.orders.desk import intake_desk
from pledgeloop.orders.forms import IntakeForm
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category

from .test_intake import intake_url, make_sites, order_data


def state(value):
    """What a field holds, its widget's and validators' own values included."""
    if isinstance(value, forms.Field | forms.Widget):
        return {name: state(held) for name, held in vars(value).items()}
    if isinstance(value, dict):
        return {key: state(held) for key, held in value.items()}
    if isinstance(value, list | tuple):
        return [state(held) for held in value]
    return (id(value), repr(value))


def shared(world) -> dict:
    return IntakeForm(intake_desk(world.street.slug, world.community.slug)).fields


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_intake_fields_are_never_changed(world, client):
    make_sites(world)
    client.get(intake_url(world))
    fields = shared(world)
    before = state(fields)
    # A blank page drawn, forms sent back with errors (drawn again with the visitor's values),
    # a custom time, a bad photo, the honeypot, and an order taken.
    cache.clear()
    assert client.get(intake_url(world) + "?via=qr").status_code == 200
    for changes in (
        {"phone": "123", "consent": ""},
        {"when": "custom", "when_date": "2000-01-01", "when_from": "9", "when_until": "8"},
        {"photo": SimpleUploadedFile("a.jpg", b"not a picture", content_type="image/jpeg")},
        {"website": "http://spam.example"},
        {"latitude": "1.000000", "longitude": "1.000000"},
        {"description": "", "category": "999999"},
    ):
        response = client.post(intake_url(world), order_data(world, **changes))
        assert response.status_code == 200
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    assert Order.objects.count() == 1
    assert shared(world) == fields and state(fields) == before


def test_each_form_has_its_own_dict_of_fields_with_its_streets_categories(world):
    form = IntakeForm(intake_desk(world.street.slug, world.community.slug))
    del form.fields["photo"]
    other = IntakeForm(intake_desk(world.street.slug, world.community.slug))
    assert "photo" in other.fields and other.fields is not form.fields
    names = [name for _pk, name in other.fields["category"].choices]
    assert names == list(
        Category.objects.filter(street=world.street, active=True).values_list("name", flat=True)
    )
