"""The intake form cleans a post as Django's own forms do (orders/forms.py): its
`_clean_fields` skips Django's BoundField a field, and must give the same values and the
same errors for every kind of post, good or bad, with a photo or without."""

import io
import types
from datetime import timedelta

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from PIL import Image

from pledgeloop.orders.desk import intake_desk
from pledgeloop.orders.forms import IntakeForm

from .test_intake import make_sites, order_data


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _posts(world, sites) -> dict:
    """Each post's data and files, made anew for each form (a file is read once)."""
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    return {
        "good": lambda: (order_data(world), {}),
        "good, a building and hours of its own": lambda: (
            order_data(
                world,
                site=str(sites["b1"].pk),
                address="",
                when="custom",
                when_date=tomorrow,
                when_from="9",
                when_until="11",
                submission="A" * 22,
                public="1",
            ),
            {},
        ),
        "empty": lambda: ({}, {}),
        "every field wrong": lambda: (
            order_data(
                world,
                category="999999",
                description="a",
                site="abc",
                latitude="x",
                longitude="200",
                when="never",
                when_from="5",
                phone="123",
                consent="",
                submission="short",
                contact_name="王" * 41,
            ),
            {},
        ),
        "a building elsewhere, a member unknown": lambda: (
            order_data(world, site="999999", member="nosuch"),
            {},
        ),
        "hours half chosen": lambda: (order_data(world, when="custom", when_from="9"), {}),
        "a photo": lambda: (
            order_data(world),
            {"photo": [SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg")]},
        ),
        "no photo but called one": lambda: (
            order_data(world),
            {"photo": [SimpleUploadedFile("a.jpg", b"not a photo", content_type="image/jpeg")]},
        ),
    }


def _outcome(form: IntakeForm) -> tuple:
    def plain(value):
        if hasattr(value, "read"):  # a cleaned photo is named at random: its kind and size
            return ("file", value.name.rsplit(".", 1)[-1], value.size)
        return value

    valid = form.is_valid()
    return valid, form.errors.get_json_data(), {k: plain(v) for k, v in form.cleaned_data.items()}


@pytest.mark.parametrize(
    "post",
    [
        "good",
        "good, a building and hours of its own",
        "empty",
        "every field wrong",
        "a building elsewhere, a member unknown",
        "hours half chosen",
        "a photo",
        "no photo but called one",
    ],
)
def test_intake_form_cleans_as_django_does(world, post):
    sites = make_sites(world)
    desk = intake_desk(world.street.slug, world.community.slug)
    make = _posts(world, sites)[post]
    outcomes = []
    for djangos in (False, True):
        data, files = make()
        form = IntakeForm(desk, data, MultiValueDict(files))
        if djangos:
            form._clean_fields = types.MethodType(forms.BaseForm._clean_fields, form)
        outcomes.append(_outcome(form))
    ours, django = outcomes
    assert ours == django
    assert ours[0] == (post.startswith("good") or post == "a photo")


def test_the_intake_form_has_no_disabled_field_and_one_file(world):
    """What its `_clean_fields` leaves out of Django's: a disabled field's initial value, a
    file field other than the photo."""
    form = IntakeForm(intake_desk(world.street.slug, world.community.slug))
    assert not any(field.disabled for field in form.fields.values())
    files = [name for name, f in form.fields.items() if isinstance(f, forms.FileField)]
    assert files == ["photo"]
    assert IntakeForm._clean_fields is not forms.BaseForm._clean_fields
