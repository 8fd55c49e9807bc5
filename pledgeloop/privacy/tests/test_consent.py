"""Consent that stands up: versioned notices, a Consent row per agreement, withdrawal."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import new_order
from pledgeloop.orders.tests.test_intake import intake_url, order_data
from pledgeloop.orders.tests.test_photo_access import (
    media,  # noqa: F401  (fixture)
    service_photo,
    service_photo_url,
)
from pledgeloop.people.consents import appears_publicly, consent_give, consents_withdraw
from pledgeloop.people.models import Consent
from pledgeloop.people.notices import NOTICES, current_notice

from .conftest import sign_in_by_code


def test_an_order_records_the_notice_version_agreed_and_when(world):
    order = new_order(world)
    consent = order.consent
    assert consent.purpose == Consent.Purpose.DATA_USE
    assert consent.notice_version == current_notice().version
    assert consent.given_at == order.consent_at
    assert consent.phone == order.phone == world.resident_here.phone
    assert consent.resident == world.resident_here  # the number is on the resident list


def test_the_current_notice_is_the_last_in_effect():
    assert current_notice(dt.date(2026, 6, 1)).version == "1"
    assert current_notice(NOTICES[-1].effective).version == NOTICES[-1].version


def test_intake_shows_the_current_notice_version(world, client):
    url = reverse("orders:new_in_community", args=["jianghai", "xinggangwan"])
    html = client.get(url).content.decode()
    assert f'data-notice-version="{current_notice().version}"' in html


def test_an_older_notice_can_still_be_read(world, client):
    html = client.get(reverse("orders:privacy") + "?version=1").content.decode()
    assert 'data-notice-version="1"' in html


@pytest.mark.django_db
def test_the_migration_turns_order_timestamps_into_version_1_consents(world):
    order = new_order(world)
    given = order.consent_at - dt.timedelta(days=40)
    Order.objects.filter(pk=order.pk).update(consent=None, consent_at=given)
    Consent.objects.all().delete()
    migration = importlib.import_module(
        "pledgeloop.orders.migrations.0004_order_consent_and_anonymised"
    )
    migration.consents_from_timestamps(apps, None)
    consent = Order.objects.get(pk=order.pk).consent
    assert (consent.notice_version, consent.given_at, consent.phone) == ("1", given, order.phone)
    migration.consents_from_timestamps(apps, None)  # run again: nothing more
    assert Consent.objects.count() == 1


def test_withdrawing_public_consent_hides_the_photo_from_then_on(world):
    resident = world.resident_here
    consent_give(
        street_id=world.street.pk,
        purpose=Consent.Purpose.PUBLIC,
        source="test",
        phone=resident.phone,
    )
    assert appears_publicly(resident)  # given by number, read for the record of that number
    consents_withdraw(phone=resident.phone, purpose=Consent.Purpose.PUBLIC)
    assert not appears_publicly(resident)
    assert Consent.objects.get(purpose=Consent.Purpose.PUBLIC).withdrawn_at <= timezone.now()


def test_a_resident_gives_and_withdraws_public_consent_at_my(world, client, texts):
    new_order(world)
    sign_in_by_code(client, texts, world.resident_here.phone)
    client.post(reverse("privacy:consent"), {"purpose": "public", "action": "give"})
    consent = Consent.objects.get(purpose=Consent.Purpose.PUBLIC)
    assert consent.resident == world.resident_here and consent.source == "my"
    assert consent.notice_version == current_notice().version
    assert appears_publicly(world.resident_here)
    client.post(reverse("privacy:consent"), {"purpose": "public", "action": "withdraw"})
    assert not appears_publicly(world.resident_here)
    html = client.get(reverse("privacy:my")).content.decode()
    assert "撤回" in html or "Withdrawn" in html or "withdraw" in html


def test_intake_asks_separately_for_public_appearance_unticked(world, client):
    html = client.get(intake_url(world)).content.decode()
    assert 'name="public"' in html and " checked" not in html.split('name="public"')[1][:40]
    client.post(intake_url(world), order_data(world))
    assert not Consent.objects.filter(purpose=Consent.Purpose.PUBLIC).exists()
    client.post(intake_url(world), {**order_data(world), "public": "1", "description": "换灯泡"})
    public = Consent.objects.get(purpose=Consent.Purpose.PUBLIC)
    assert public.phone == world.resident_here.phone and public.notice_version
    assert appears_publicly(world.resident_here)


def test_withdrawal_at_my_takes_a_service_photo_off_public_view(world, client, texts):
    photo = service_photo(world, beneficiary=world.resident_here)
    url = service_photo_url(photo)
    visitor = client.__class__()
    assert visitor.get(url).status_code == 404
    sign_in_by_code(client, texts, world.resident_here.phone)
    client.post(reverse("privacy:consent"), {"purpose": "public", "action": "give"})
    assert visitor.get(url).status_code == 200
    client.post(reverse("privacy:consent"), {"purpose": "public", "action": "withdraw"})
    assert visitor.get(url).status_code == 404
