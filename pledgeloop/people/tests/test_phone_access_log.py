"""The access log of whole phone numbers (issue 13, deliverable 1): every view of a full
number, by anyone, is a durable PhoneView row (who, whose, why and where, when), kept even
when the number is not on the resident list; admins read their communities' rows at
/console/people/phone-views/."""

import pytest
from django.urls import reverse

from pledgeloop.orders import services
from pledgeloop.orders.tests.loop import member_of, triaged_order
from pledgeloop.people.models import PhoneView, Resident
from pledgeloop.people.services import phone_view_record

pytestmark = pytest.mark.django_db

UNLISTED = "13600001111"  # on no resident list


def test_a_member_seeing_an_unlisted_number_writes_an_access_log_row(world, client_for):
    order = services.order_claim(
        order=triaged_order(world, phone=UNLISTED, contact_name="陌生人"),
        member=member_of(world),
    )
    assert order.resident_id is None
    url = reverse("orders:member_order_action", args=[order.pk, "phone"])
    page = client_for(world.member).post(url)
    assert UNLISTED in page.text
    view = PhoneView.objects.get()
    assert view.viewer == world.member
    assert view.resident is None
    assert view.subject_phone == "136****1111"
    assert view.subject_name == "陌生人"
    assert view.community_id == world.community.pk and view.street_id == world.street.pk
    assert str(order.pk) in view.context
    assert view.page == reverse("orders:member_order", args=[order.pk])


def test_an_admin_seeing_an_unlisted_number_in_the_console_writes_a_row(world, client_for):
    order = triaged_order(world, phone=UNLISTED, contact_name="陌生人")
    url = reverse("console:order_action", args=[order.pk, "phone"])
    assert UNLISTED in client_for(world.street_admin).post(url).text
    view = PhoneView.objects.get()
    assert (view.viewer, view.resident, view.subject_phone) == (
        world.street_admin,
        None,
        "136****1111",
    )


def test_the_log_outlives_the_resident_record(world):
    resident = Resident.objects.create(
        street=world.street,
        community=world.community,
        name="钱七",
        phone="13511112222",
        address="阳光花园1幢",
    )
    phone_view_record(
        viewer=world.community_admin,
        street_id=world.street.pk,
        community_id=world.community.pk,
        resident=resident,
        name=resident.name,
        phone=resident.phone,
        context="detail",
    )
    resident.delete()
    view = PhoneView.objects.get()
    assert (view.resident, view.subject_name, view.subject_phone) == (None, "钱七", "135****2222")


def _log(world, community, name):
    return phone_view_record(
        viewer=world.street_admin,
        street_id=community.street_id,
        community_id=community.pk,
        resident=None,
        name=name,
        phone="13511112222",
        context="detail",
    )


def test_the_admin_log_page_is_scoped_to_the_admins_communities(world, client_for):
    _log(world, world.community, "星港湾的人")
    _log(world, world.neighbour, "腾飞的人")
    _log(world, world.faraway, "桃园的人")
    url = reverse("console:phone_views")
    own = client_for(world.community_admin).get(url)
    assert own.status_code == 200
    assert "星港湾的人" in own.text
    assert "腾飞的人" not in own.text and "桃园的人" not in own.text
    assert "13511112222" not in own.text and "135****2222" in own.text
    street = client_for(world.street_admin).get(url)
    assert "星港湾的人" in street.text and "腾飞的人" in street.text
    assert "桃园的人" not in street.text
    neighbour = client_for(world.outsider).get(url)
    assert "腾飞的人" in neighbour.text and "星港湾的人" not in neighbour.text


def test_members_and_residents_cannot_read_the_log(world, client, client_for):
    url = reverse("console:phone_views")
    assert client_for(world.member).get(url).status_code in (403, 404)
    assert client_for(world.resident).get(url).status_code in (403, 404)


def test_the_log_says_why_in_the_readers_language(world, client_for):
    """The reasons read "export", "hours export", "order #680 (member)" on a Chinese page."""
    for context in ["export", "members export", "hours export", "order #680 (member)", "order #7"]:
        phone_view_record(
            viewer=world.community_admin,
            street_id=world.street.pk,
            community_id=world.community.pk,
            resident=None,
            name="钱七",
            phone="13511112222",
            context=context,
        )
    text = client_for(world.community_admin).get(reverse("console:phone_views")).text
    for reason in [
        "导出居民名单（Excel）",
        "导出党员名单（Excel）",
        "导出服务时长（Excel）",
        "订单 #680（接单党员查看）",
        "订单 #7（工作台查看）",
    ]:
        assert reason in text
    assert "hours export" not in text and "(member)" not in text
