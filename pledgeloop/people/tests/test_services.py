"""The access log of whole numbers is written by its service (people.services)."""

import pytest

from pledgeloop.people.models import PhoneView
from pledgeloop.people.services import phone_view_record, phone_views_record

pytestmark = pytest.mark.django_db


def test_a_resident_number_seen_becomes_a_phone_view_row(world):
    view = phone_view_record(
        viewer=world.community_admin,
        street_id=world.street.pk,
        community_id=world.community.pk,
        resident=world.resident_here,
        name=world.resident_here.name,
        phone=world.resident_here.phone,
        context="order #7",
        page="/console/orders/7/",
    )
    assert PhoneView.objects.get() == view
    assert view.viewer == world.community_admin and view.resident == world.resident_here
    assert view.street_id == world.street.pk and view.context == "order #7"
    assert (view.subject_name, view.subject_phone) == ("王秀兰", "138****5678")
    assert view.page == "/console/orders/7/"


def test_a_number_not_on_the_resident_list_is_a_row_too(world):
    view = phone_view_record(
        viewer=world.street_admin,
        street_id=world.street.pk,
        community_id=world.community.pk,
        resident=None,
        name="",
        phone="13600001111",
        context="order #9",
    )
    assert PhoneView.objects.get() == view
    assert view.resident is None and view.subject_phone == "136****1111"


def test_an_export_logs_one_row_per_number(world):
    written = phone_views_record(
        viewer=world.community_admin,
        street_id=world.street.pk,
        community_id=world.community.pk,
        people=[("王秀兰", "13812345678", world.resident_here), ("张三", "13900000103", None)],
        context="export",
    )
    assert written == 2
    assert set(PhoneView.objects.values_list("subject_name", "subject_phone")) == {
        ("王秀兰", "138****5678"),
        ("张三", "139****0103"),
    }
