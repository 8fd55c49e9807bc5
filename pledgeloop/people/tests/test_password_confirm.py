"""A fresh password before whole numbers (issue 13, deliverable 5): a full-number list or
export asks staff for their password again unless they gave it within
PASSWORD_CONFIRM_MINUTES."""

import datetime as dt
import io
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pledgeloop.conftest import PASSWORD
from pledgeloop.people.models import PhoneView

pytestmark = pytest.mark.django_db


def _full_export(world) -> str:
    return reverse("people:export", args=[world.community.pk, "residents"]) + "?full=1"


def _confirm_url(next_url: str) -> str:
    return reverse("people:password_confirm") + "?next=" + quote(next_url, safe="/")


def test_a_full_number_export_asks_for_the_password_first(world, client_for):
    client = client_for(world.community_admin)
    response = client.get(_full_export(world))
    assert response.status_code == 302
    back = "&back=" + reverse("people:residents")
    assert response["Location"] == _confirm_url(_full_export(world)) + back
    assert not PhoneView.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "密码" in page.text


def test_the_right_password_leads_back_to_the_export(world, client_for):
    client = client_for(world.community_admin)
    confirmed = client.post(
        reverse("people:password_confirm"), {"password": PASSWORD, "next": _full_export(world)}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == _full_export(world)
    export = client.get(_full_export(world))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.cell(row=3, column=2).value == "13812345678"
    assert PhoneView.objects.filter(viewer=world.community_admin).count() == 1


def test_a_wrong_password_is_refused_and_the_export_stays_closed(world, client_for):
    client = client_for(world.community_admin)
    refused = client.post(
        reverse("people:password_confirm"), {"password": "wrong", "next": _full_export(world)}
    )
    assert refused.status_code == 400
    assert "密码不正确" in refused.text
    assert client.get(_full_export(world)).status_code == 302
    assert not PhoneView.objects.exists()


def test_the_confirmation_lasts_the_set_minutes(world, client_for, settings):
    settings.PASSWORD_CONFIRM_MINUTES = 10
    client = client_for(world.community_admin)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("people:password_confirm"), {"password": PASSWORD})
    with time_machine.travel(start + dt.timedelta(minutes=9), tick=False):
        assert client.get(_full_export(world)).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        assert client.get(_full_export(world)).status_code == 302


def test_the_masked_export_needs_no_password(world, client_for):
    url = reverse("people:export", args=[world.community.pk, "residents"])
    assert client_for(world.community_admin).get(url).status_code == 200


def test_the_members_export_holds_whole_numbers_and_asks_too(world, client_for):
    url = reverse("people:export", args=[world.community.pk, "members"])
    client = client_for(world.community_admin)
    assert client.get(url).status_code == 302
    client.post(reverse("people:password_confirm"), {"password": PASSWORD})
    assert client.get(url).status_code == 200
    assert PhoneView.objects.filter(context="members export").count() == 1


def test_the_confirm_page_goes_back_only_to_this_site(world, client_for):
    response = client_for(world.community_admin).post(
        reverse("people:password_confirm"),
        {"password": PASSWORD, "next": "https://evil.example/x"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_confirm_page_needs_a_signed_in_user(client):
    response = client.get(reverse("people:password_confirm"))
    assert response.status_code == 302 and reverse("people:login") in response["Location"]


def test_after_the_password_a_download_says_it_is_coming_and_leads_back(world, client_for):
    """A download does not leave the page it was asked from: the confirm page stayed on its
    form after the right password, as if it had not been taken (session 17's walk). Now the
    page says the file is on its way, starts it, and links back to the list."""
    client = client_for(world.community_admin)
    asked = client.get(_full_export(world))
    residents = reverse("people:residents")
    assert asked["Location"] == _confirm_url(_full_export(world)) + "&back=" + residents
    form = client.get(asked["Location"])
    assert f'name="back" value="{residents}"' in form.text
    done = client.post(
        reverse("people:password_confirm"),
        {"password": PASSWORD, "next": _full_export(world), "back": residents},
    )
    assert done.status_code == 200
    assert "密码已确认" in done.text and 'type="password"' not in done.text
    download = _full_export(world).replace("&", "&amp;")
    assert f'<meta http-equiv="refresh" content="1; url={download}">' in done.text
    assert f'href="{download}"' in done.text and f'href="{residents}"' in done.text
    export = client.get(_full_export(world))
    assert load_workbook(io.BytesIO(export.content)).active.cell(row=3, column=2).value


def test_a_back_address_elsewhere_is_ignored(world, client_for):
    client = client_for(world.community_admin)
    done = client.post(
        reverse("people:password_confirm"),
        {"password": PASSWORD, "next": _full_export(world), "back": "https://evil.example/"},
    )
    assert done.status_code == 302 and done["Location"] == _full_export(world)


def test_the_hours_export_comes_back_to_the_console_after_the_password(world, client_for):
    client = client_for(world.community_admin)
    asked = client.get(reverse("service:export"), {"start": "2026-01-01"})
    assert asked.status_code == 302
    assert asked["Location"].endswith("&back=" + reverse("service:console"))
