"""The phone-view audit is written by its service (people.services.phone_view_record)."""

import logging

import pytest

from pledgeloop.people.models import PhoneView
from pledgeloop.people.services import phone_view_record

pytestmark = pytest.mark.django_db


def test_a_resident_number_seen_becomes_a_phone_view_row(world):
    view = phone_view_record(
        viewer=world.community_admin,
        street_id=world.street.pk,
        resident=world.resident_here,
        context="order #7",
    )
    assert PhoneView.objects.get() == view
    assert view.viewer == world.community_admin and view.resident == world.resident_here
    assert view.street_id == world.street.pk and view.context == "order #7"


def test_a_number_not_on_the_resident_list_goes_to_the_audit_log(world, caplog):
    with caplog.at_level(logging.WARNING, logger="pledgeloop.audit"):
        assert (
            phone_view_record(
                viewer=world.street_admin,
                street_id=world.street.pk,
                resident=None,
                context="order #9",
            )
            is None
        )
    assert not PhoneView.objects.exists()
    (entry,) = [r for r in caplog.records if r.name == "pledgeloop.audit"]
    assert str(world.street_admin.pk) in entry.getMessage() and "order #9" in entry.getMessage()
