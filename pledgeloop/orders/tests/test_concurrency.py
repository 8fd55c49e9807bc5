"""Exactly one winner (DESIGN.md C3): claims, accepts, time-outs and dispatches under real races.

Threads, each with its own database connection, start together at a barrier and act on the
same order. PostgreSQL only: there the services' SELECT … FOR UPDATE decides; SQLite takes
one writer at a time (BEGIN IMMEDIATE), so a race cannot even be staged there.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderError
from pledgeloop.orgs.models import Category

from .loop import member_of, new_member, triaged_order

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
CLAIMERS = 24
ROUNDS = 5


def race(workers: list) -> list[tuple[str, object]]:
    """Run each callable in its own thread, all released at once; collect what happened."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("won", workers[index]())
        except OrderError as error:
            results[index] = ("refused", str(error))
        except Exception as error:  # anything else is a failure the test must show
            results[index] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not t.is_alive() for t in threads), "a worker hung"
    return results


def test_many_members_claim_one_order_and_exactly_one_wins(world):
    order = triaged_order(world)
    members = [new_member(world, f"1370000{i:04d}", f"党员{i}") for i in range(CLAIMERS)]
    results = race(
        [
            lambda m=m: services.order_claim(order=order, member=m).assigned_member_id
            for m in members
        ]
    )
    assert [kind for kind, _ in results].count("error") == 0, results
    winners = [value for kind, value in results if kind == "won"]
    assert len(winners) == 1, results
    with translation.override("zh-hans"):
        taken = translation.gettext("Another member has already taken this order.")
    refusals = [value for kind, value in results if kind == "refused"]
    assert len(refusals) == CLAIMERS - 1
    assert set(refusals) == {taken}
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member_id == winners[0]
    assert order.events.filter(action__in=["claim", "accept"]).count() == 1
    assert order.events.filter(to_state=Order.State.ACCEPTED).count() == 1


def test_accepting_an_offer_races_the_time_out_job(world):
    member = member_of(world)
    outcomes = set()
    for _ in range(ROUNDS):
        order = triaged_order(world)
        offer = services.order_dispatch(
            order=order,
            member=member,
            by=world.community_admin,
            respond_by=timezone.now() + dt.timedelta(minutes=5),
        )
        # The job runs as if its clock had passed the deadline while the member presses accept.
        job_time = offer.respond_by + dt.timedelta(seconds=1)
        results = race(
            [
                lambda o=offer: services.dispatch_accept(dispatch=o, member=member).state,
                lambda o=offer, t=job_time: (
                    services.dispatch_time_out(dispatch=o, now=t) or _nothing()
                ),
            ]
        )
        assert [kind for kind, _ in results].count("won") == 1, results
        assert "error" not in [kind for kind, _ in results], results
        order.refresh_from_db()
        offer.refresh_from_db()
        if results[0][0] == "won":
            outcomes.add("accepted")
            assert order.state == Order.State.ACCEPTED
            assert offer.state == Dispatch.State.ACCEPTED
        else:
            outcomes.add("timed out")
            assert order.state == Order.State.TRIAGED
            assert offer.state == Dispatch.State.TIMED_OUT
        assert order.events.filter(action__in=["accept", "time_out"]).count() == 1
        if order.state == Order.State.ACCEPTED:
            services.order_hand_back(order=order, member=member, reason="再来一轮")
    assert outcomes  # which side wins each round is up to the scheduler


def _nothing():
    raise OrderError("nothing to time out")


def test_two_admins_dispatch_the_same_order_and_one_wins(world):
    first = member_of(world)
    second = new_member(world, "13900000201", "李明", capacity=10)
    first.capacity = 10
    first.save()
    for _ in range(ROUNDS):
        order = triaged_order(world)
        results = race(
            [
                lambda o=order: (
                    services.order_dispatch(order=o, member=first, by=world.community_admin).pk
                ),
                lambda o=order: (
                    services.order_dispatch(order=o, member=second, by=world.street_admin).pk
                ),
            ]
        )
        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["refused", "won"], results
        assert Dispatch.objects.filter(order=order).count() == 1
        order.refresh_from_db()
        assert order.state == Order.State.DISPATCHED
        assert order.events.filter(action="dispatch").count() == 1


# --- through the pages, as the members and residents press the buttons (issue 12) -------------

SUBMITTERS = 50


def race_clients(calls: list) -> list:
    """Each call gets its own test Client in its own thread (its own connection)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        try:
            client = Client()
            prepare, act = calls[index]
            prepare(client)
            barrier.wait(timeout=60)
            results[index] = act(client)
        except Exception as error:  # a failure the test must show
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not t.is_alive() for t in threads), "a worker hung"
    return results


def test_claim_race_losers_see_the_message_not_a_404(world):
    order = triaged_order(world)
    members = [new_member(world, f"1370000{i:04d}", f"党员{i}") for i in range(CLAIMERS)]
    url = reverse("orders:member_order_action", args=[order.pk, "claim"])
    results = race_clients(
        [
            (
                lambda c, m=m: c.force_login(m.user),
                lambda c: c.post(url, follow=True),
            )
            for m in members
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.status_code for r in results] == [200] * CLAIMERS
    # The pages themselves (the test client's captured context mixes threads).
    texts = [r.content.decode() for r in results]
    losers = [t for t in texts if "这个订单已经被其他党员接走了" in t]
    assert len(losers) == CLAIMERS - 1
    assert sum("已由您接单" in t for t in texts) == 1
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED
    assert order.events.filter(action="claim").count() == 1


def test_one_number_from_fifty_addresses_at_once_stores_exactly_the_limit(world, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 5
    category = Category.objects.get(street=world.street, code="repairs")
    url = reverse("orders:new_in_community", args=[world.street.slug, world.community.slug])

    def post(client, n):
        data = {
            "category": category.pk,
            "description": f"第{n}单：楼道灯坏了",
            "address": f"阳光花园{n}幢",
            "when": "asap",
            "phone": "13812345678",
            "consent": "1",
        }
        return client.post(url, data, REMOTE_ADDR=f"10.1.{n // 250}.{n % 250 + 1}")

    results = race_clients([(lambda c: None, lambda c, n=n: post(c, n)) for n in range(SUBMITTERS)])
    assert not [r for r in results if isinstance(r, Exception)], results
    codes = sorted(r.status_code for r in results)
    assert codes == [302] * 5 + [429] * (SUBMITTERS - 5), codes
    assert Order.objects.filter(phone="13812345678").count() == 5
    refused = [r.text for r in results if r.status_code == 429]
    assert all("这个手机号今天已经提交了5次" in text for text in refused)
