"""Exactly one winner (DESIGN.md C3): claims, accepts, time-outs and dispatches under real races.

Threads, each with its own database connection, start together at a barrier and act on the
same order. PostgreSQL only: there the services' SELECT … FOR UPDATE decides; SQLite takes
one writer at a time (BEGIN IMMEDIATE), so a race cannot even be staged there.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderError

from .loop import member_of, new_member, triaged_order

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
CLAIMERS = 24
ROUNDS = 5


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL row locks: SQLite serialises all writers, so nothing can race "
            "(make test runs this on a throwaway PostgreSQL)"
        )


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
