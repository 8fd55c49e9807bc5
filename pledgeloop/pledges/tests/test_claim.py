"""认领: a member claims a recurring need from the needs list; it becomes their pledge."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.models import Order
from pledgeloop.pledges import services
from pledgeloop.pledges.models import Pledge, PledgeError

from .conftest import category_of, make_member

pytestmark = pytest.mark.django_db


def recurring_need(world, **fields) -> Order:
    values = {
        "street": world.street,
        "community": world.community,
        "category": category_of(world.street, "elderly-children"),
        "description": "我腿脚不便，每周一需要有人帮我去药店取药，住阳光花园3幢201室。",
        "phone": world.resident_here.phone,
        "resident": world.resident_here,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO",
        "state": Order.State.TRIAGED,
        "window_start": timezone.make_aware(dt.datetime(2026, 3, 2, 15, 0)),
        "window_end": timezone.make_aware(dt.datetime(2026, 3, 2, 17, 0)),
    }
    values.update(fields)
    return Order.objects.create(**values)


def test_claiming_a_recurring_need_makes_a_submitted_pledge_linked_to_it(world, member):
    need = recurring_need(world)
    pledge = services.pledge_claim_need(member=member, order=need)
    assert pledge.state == Pledge.State.SUBMITTED and pledge.need == need
    assert pledge.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert pledge.visit_time == dt.time(15, 0)
    assert pledge.beneficiary_resident == world.resident_here
    assert pledge.title == "每周一为居民提供助老扶幼服务"
    assert pledge.target_visits in {52, 53}
    need.refresh_from_db()
    assert need.state == Order.State.ACCEPTED and need.assigned_member == member
    # The resident's own words stay off the public wall.
    services.pledge_approve(pledge=pledge, by=world.community_admin)
    wall = reverse("pledges:wall", args=[world.community.slug])
    from django.test import Client

    text = Client().get(wall).text
    # and the resident is not named there: they have not agreed to appear on public pages
    assert pledge.title in text and "阳光花园3幢201室" not in text and "王**" not in text


def test_a_second_member_cannot_claim_the_same_need(world, member):
    need = recurring_need(world)
    services.pledge_claim_need(member=member, order=need)
    other = make_member(world, "13900000160", "刘强")
    with pytest.raises(PledgeError, match="已"):
        services.pledge_claim_need(member=other, order=need)
    assert Pledge.objects.filter(need=need).count() == 1


def test_a_one_off_order_cannot_be_claimed_as_a_pledge(world, member):
    order = recurring_need(world, recurrence="")
    with pytest.raises(PledgeError):
        services.pledge_claim_need(member=member, order=order)
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED


def test_a_need_of_another_community_cannot_be_claimed(world, member, client_for):
    order = recurring_need(world, community=world.neighbour, resident=world.resident_there)
    with pytest.raises(PledgeError):
        services.pledge_claim_need(member=member, order=order)
    url = reverse("pledges:need_claim", args=[order.pk])
    assert client_for(world.member).post(url).status_code == 404
    assert not Pledge.objects.exists()


def test_a_need_rule_with_its_own_bounds_is_taken_without_them(world, member):
    need = recurring_need(world, recurrence="DTSTART:20260302T150000\nRRULE:FREQ=WEEKLY;COUNT=8")
    assert services.pledge_claim_need(member=member, order=need).rrule == "FREQ=WEEKLY"


def test_withdrawing_a_claimed_pledge_puts_the_need_back_on_the_list(world, member):
    need = recurring_need(world)
    pledge = services.pledge_claim_need(member=member, order=need)
    services.pledge_withdraw(pledge=pledge, by=world.member, reason="身体原因")
    need.refresh_from_db()
    assert need.state == Order.State.TRIAGED and need.assigned_member is None
    other = make_member(world, "13900000161", "刘强")
    assert services.pledge_claim_need(member=other, order=need).need == need


def test_member_sees_recurring_needs_and_claims_one(world, member, client_for):
    need = recurring_need(world)
    recurring_need(world, recurrence="", description="一次性：修水龙头")
    client = client_for(world.member)
    page = client.get(reverse("pledges:needs"))
    assert "取药" in page.text and "修水龙头" not in page.text and "每周一" in page.text
    response = client.post(reverse("pledges:need_claim", args=[need.pk]))
    pledge = Pledge.objects.get()
    assert response.url == reverse("pledges:detail", args=[pledge.pk])
    again = client.post(reverse("pledges:need_claim", args=[need.pk]), follow=True)
    assert "已" in again.text and Pledge.objects.count() == 1


def test_residents_and_strangers_cannot_claim(world, client, client_for):
    need = recurring_need(world)
    url = reverse("pledges:need_claim", args=[need.pk])
    assert client.post(url).status_code == 302  # to sign in
    assert client_for(world.resident).post(url).status_code == 403
    assert client_for(world.community_admin).post(url).status_code == 403
    need.refresh_from_db()
    assert need.state == Order.State.TRIAGED


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_members_claiming_at_once_exactly_one_wins(world, member):
    need = recurring_need(world)
    members = [member, make_member(world, "13900000162", "刘强")]
    results: list = []
    barrier = threading.Barrier(2)

    def claim(who):
        try:
            barrier.wait()
            results.append(services.pledge_claim_need(member=who, order=need))
        except PledgeError as refusal:
            results.append(refusal)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=claim, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["Pledge", "PledgeError"]
    assert Pledge.objects.filter(need=need).count() == 1


def test_the_member_who_claims_second_is_told_so_on_the_page(world, member, client_for):
    """Both saw the need listed; the second press gets the reason, not an error page."""
    need = recurring_need(world)
    other = make_member(world, "13900000160", "刘强")
    assert (
        client_for(world.member).post(reverse("pledges:need_claim", args=[need.pk])).status_code
        == 302
    )
    response = client_for(other.user).post(
        reverse("pledges:need_claim", args=[need.pk]), follow=True
    )
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("pledges:needs")
    assert "已有其他党员认领了这项需求" in response.text
    assert Pledge.objects.filter(need=need).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_members_claiming_one_need_at_once_on_the_page_all_but_one_are_told(world, member):
    need = recurring_need(world)
    members = [member] + [make_member(world, f"1370000{i:04d}", f"党员{i}") for i in range(11)]
    url = reverse("pledges:need_claim", args=[need.pk])
    barrier = threading.Barrier(len(members))
    pages: list = [None] * len(members)

    def claim(index, who):
        try:
            client = Client()
            client.force_login(who.user)
            barrier.wait(timeout=60)
            response = client.post(url, follow=True)
            pages[index] = (response.status_code, response.content.decode())
        except Exception as error:
            pages[index] = (0, repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i, m)) for i, m in enumerate(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in pages] == [200] * len(members), pages
    told = [text for _, text in pages if "已有其他党员认领了这项需求" in text]
    assert len(told) == len(members) - 1
    assert Pledge.objects.filter(need=need).count() == 1
    need.refresh_from_db()
    assert need.state == Order.State.ACCEPTED
