"""The member home leads with what needs an answer now (issue 14, part 6): offers waiting for
a reply with their deadlines, visits due today, orders held; then the tools."""

import datetime as dt

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import dispatched_order, member_of
from pledgeloop.pledges.models import Visit

from .conftest import make_pledge

pytestmark = pytest.mark.django_db
HOME = reverse("people:member_home")


def agenda_of(page) -> str:
    """The part of the home page above the tools."""
    html = page.content.decode()
    assert 'class="card agenda' in html, "the home page has no agenda"
    agenda = html.split('class="card agenda', 1)[1]
    tools = html.find('class="tools-grid')
    assert tools == -1 or html.find('class="card agenda') < tools, "the tools come first"
    return agenda.split("</section>", 1)[0]


def visit_today(world):
    member = member_of(world)
    pledge = make_pledge(member, title="每周为独居老人测血压")
    today = timezone.localdate()
    return Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0))),
        due_on=today,
    )


def test_the_home_is_served_with_the_pledges_agenda():
    assert resolve(HOME).func.__module__ == "pledgeloop.pledges.home"


def test_offers_with_deadlines_visits_due_today_and_orders_held_come_first(world, client_for):
    member = member_of(world)
    offered, offer = dispatched_order(world, description="楼道灯坏了，晚上看不见")
    held, accepted = dispatched_order(world, description="帮忙取药")
    order_services.dispatch_accept(dispatch=accepted, member=member)
    visit = visit_today(world)
    page = client_for(world.member).get(HOME)
    agenda = agenda_of(page)
    deadline = timezone.localtime(offer.respond_by)
    assert "楼道灯坏了" in agenda
    assert f"{deadline:%H:%M}" in agenda and f"{deadline.month}月{deadline.day}日" in agenda
    assert "请在" in agenda  # the deadline said as one: answer by …
    assert reverse("orders:member_offer_action", args=[offer.pk, "accept"]) in agenda
    assert "每周为独居老人测血压" in agenda
    assert reverse("pledges:visit_log", args=[visit.pk]) in agenda
    assert "帮忙取药" in agenda
    assert reverse("orders:member_order", args=[held.pk]) in agenda


def test_a_quiet_day_says_nothing_waits(world, client_for):
    agenda = agenda_of(client_for(world.member).get(HOME))
    assert "没有需要" in agenda


def test_a_visit_of_another_day_is_not_due_today(world, client_for):
    visit = visit_today(world)
    Visit.objects.filter(pk=visit.pk).update(due_on=timezone.localdate() + dt.timedelta(days=2))
    agenda = agenda_of(client_for(world.member).get(HOME))
    assert reverse("pledges:visit_log", args=[visit.pk]) not in agenda


def test_the_home_is_for_members_only(world, client_for):
    assert client_for(world.resident).get(HOME).status_code == 403


def test_the_home_has_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries):
    client = client_for(world.member)
    for n in range(3):
        dispatched_order(world, description=f"需求{n}")
    with django_assert_max_num_queries(20):
        client.get(HOME)
