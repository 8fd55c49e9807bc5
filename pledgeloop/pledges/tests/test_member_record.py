"""A member's page for staff (/people/members/<pk>/): to the member's community admins, the
orders they hold, their pledges and how they are kept, and their service this year; it was
a stub of facts (session 17's walk). A fellow member sees the facts only."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import bring_to
from pledgeloop.pledges import jobs
from pledgeloop.service.models import ServiceRecord

from .conftest import fulfil_all_past, make_member, make_pledge, service_record

pytestmark = pytest.mark.django_db


def _serve(world, member, hours: str, days_ago: int, note: str = "") -> ServiceRecord:
    started = timezone.now() - dt.timedelta(days=days_ago)
    return service_record(world, [member], hours, started, note=note)


def test_the_admin_sees_orders_in_hand_pledges_and_this_years_service(world, member, client_for):
    held = bring_to(world, Order.State.ACCEPTED)
    pledge = make_pledge(member)
    jobs.generate_visits()
    fulfil_all_past(pledge, timezone.localdate())
    today = timezone.localdate()
    _serve(world, member, "1.5", days_ago=0, note="换水龙头")
    _serve(world, member, "2", days_ago=1)
    last_year = (today - dt.date(today.year, 1, 1)).days + 10
    _serve(world, member, "4", days_ago=last_year)
    page = client_for(world.community_admin).get(reverse("people:member_detail", args=[member.pk]))
    assert page.status_code == 200
    text = page.text
    assert f'href="{reverse("console:order_detail", args=[held.pk])}"' in text
    assert pledge.title in text
    due = pledge.visits.filter(due_on__lte=today).count()
    assert due and f"应践诺 {due} 次，已践诺 {due} 次（100%）" in text
    assert "服务 2 次，共 3.5 小时。" in text  # this year's two, not last year's four hours
    assert "换水龙头" in text
    assert reverse("pledges:member_page", args=[member.code]) in text


def test_a_fellow_member_sees_the_facts_only(world, member, client_for):
    bring_to(world, Order.State.ACCEPTED)
    _serve(world, member, "1", days_ago=0)
    fellow = make_member(world, "13900000188", "钱二")
    page = client_for(fellow.user).get(reverse("people:member_detail", args=[member.pk]))
    assert page.status_code == 200 and "张三" in page.text
    for section in ('id="held"', 'id="pledges"', 'id="service"', "手上的单"):
        assert section not in page.text


def test_the_page_reads_the_same_queries_for_many_orders_pledges_and_services(
    world, member, client_for
):
    member.capacity = 5
    member.save(update_fields=["capacity"])
    client = client_for(world.community_admin)
    url = reverse("people:member_detail", args=[member.pk])
    bring_to(world, Order.State.ACCEPTED)
    make_pledge(member)
    _serve(world, member, "1", days_ago=0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        bring_to(world, Order.State.ACCEPTED)
        make_pledge(member, title=f"承诺{n}")
        _serve(world, member, "1", days_ago=n)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.text.count("承诺") >= 3
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
