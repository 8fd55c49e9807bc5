"""The pledge form is no resident directory (issue 13): a member names as beneficiary only a
resident they already serve (an order held or recently finished, a service, a pledge)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pledgeloop.orders import services
from pledgeloop.orders.tests.loop import age, member_of, triaged_order

pytestmark = pytest.mark.django_db


def test_the_new_pledge_form_lists_no_resident_the_member_never_served(world, client_for):
    page = client_for(world.member).get(reverse("pledges:new"))
    assert page.status_code == 200
    assert "王秀兰" not in page.text


def test_a_resident_never_served_cannot_be_posted_as_beneficiary(world, client_for, valid_form):
    form = {
        **valid_form,
        "beneficiary_kind": "resident",
        "beneficiary_resident": world.resident_here.pk,
        "beneficiary_name": "",
    }
    page = client_for(world.member).post(reverse("pledges:new"), form)
    assert page.status_code in (200, 400)
    assert "beneficiary_resident" in page.context["form"].errors


def test_a_resident_served_on_an_order_can_be_chosen(world, client_for):
    member = member_of(world)
    order = services.order_claim(order=triaged_order(world), member=member)  # 王秀兰's number
    services.order_finish(order=age(order), member=member, hours=Decimal("1"))
    page = client_for(world.member).get(reverse("pledges:new"))
    assert "王秀兰" in page.text
