"""The orders demo step: two years of orders that look as if the services had made them."""

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.module_loading import import_string

from pledgeloop.demo import orders as orders_demo
from pledgeloop.demo.builder import STEPS, DemoContext
from pledgeloop.notify.models import Notification
from pledgeloop.orders import selectors
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 28)
SEED = 2026
STEP = "pledgeloop.demo.orders.build"
S = Order.State


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo street up to and including the orders step, loaded once for this module and
    rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        ctx = DemoContext(seed=SEED, today=TODAY, rng=random.Random(SEED))
        for step in STEPS[: STEPS.index(STEP) + 1]:
            ctx.rng = random.Random(f"{SEED}:{step}")
            import_string(step)(ctx)
        yield ctx
        transaction.set_rollback(True)


def done_between(start: dt.date, end: dt.date) -> int:
    return Order.objects.filter(done_at__date__gte=start, done_at__date__lt=end).count()


def test_volume_grows_year_on_year_and_march_is_busy(demo):
    year_ago = TODAY - dt.timedelta(days=365)
    latest = done_between(year_ago, TODAY)
    earlier = done_between(year_ago - dt.timedelta(days=365), year_ago)
    assert 300 <= latest <= 400
    assert earlier < latest * 0.85
    march = done_between(dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert 40 <= march <= 46
    with_records = (
        Order.objects.filter(done_at__year=2026, done_at__month=3, service_records__isnull=False)
        .distinct()
        .count()
    )
    assert with_records == march
    # On-order services (DESIGN.md §5): records of that March fulfilling a dispatched order.
    on_order = ServiceRecord.objects.filter(
        started_at__year=2026, started_at__month=3, order__dispatches__isnull=False
    ).distinct()
    assert 40 <= on_order.count() <= 46


def test_a_realistic_mix_of_states_and_channels(demo):
    states = Counter(Order.objects.values_list("state", flat=True))
    for state in (S.DONE, S.REJECTED, S.CANCELLED, S.EXPIRED, S.SUBMITTED, S.TRIAGED,
                  S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE):  # fmt: skip
        assert states[state] > 0, state
    assert set(Order.objects.values_list("channel", flat=True)) == set(Order.Channel.values) - {
        Order.Channel.API
    }
    open_now = sum(states[s] for s in Order.OPEN_STATES)
    assert 25 <= open_now <= 35
    noon = demo.moment(TODAY, 12)
    overdue = Order.objects.filter(Order.overdue_q(noon)).count()
    assert 3 <= overdue < open_now
    assert Order.objects.values("community").distinct().count() == len(demo.communities)
    assert Order.objects.values("category").distinct().count() == len(demo.categories)


def test_every_done_order_has_its_service_record(demo):
    done = Order.objects.filter(state=S.DONE)
    assert not done.filter(service_records__isnull=True).exists()
    assert not done.filter(assigned_member__isnull=True).exists()
    records = ServiceRecord.objects.filter(order__isnull=False)
    assert not records.filter(hours__lte=0).exists()
    assert not records.exclude(ended_at__gt=F("started_at")).exists()
    served = dict(ServiceParticipant.objects.values_list("record__order_id", "member_id"))
    for order_id, member_id in done.values_list("pk", "assigned_member_id"):
        assert served[order_id] == member_id
    assert (
        not Order.objects.exclude(state=S.DONE)
        .filter(service_records__isnull=False)
        .exclude(events__action="reopen")
        .exists()
    )


def test_events_tell_each_orders_road_consistently(demo):
    midnight = demo.moment(TODAY, 0)
    events: dict[int, list] = {}
    for order_id, from_state, to_state, action, at, label in OrderEvent.objects.order_by(
        "order_id", "at", "id"
    ).values_list("order_id", "from_state", "to_state", "action", "at", "by_label"):
        events.setdefault(order_id, []).append((from_state, to_state, action, at, label))
    dispatch_counts = dict(
        Dispatch.objects.values_list("order_id").annotate(n=Count("id")).order_by()
    )
    orders = Order.objects.values_list("pk", "state", "created_at", "done_at", "accepted_at")
    for pk, state, created, done_at, accepted_at in orders:
        road = events[pk]
        assert road[0][:3] == ("", S.SUBMITTED, "submit") and road[0][3] == created
        for before, after in zip(road, road[1:], strict=False):
            assert before[1] == after[0], (pk, road)
            assert before[3] <= after[3], (pk, road)
            assert Order(state=before[1]).can_transition_to(after[1]), (pk, road)
        assert road[-1][1] == state
        assert road[-1][3] < midnight
        assert all(step[4] for step in road), "every step says who"
        dispatched = sum(1 for step in road if step[2] == "dispatch")
        assert dispatch_counts.get(pk, 0) == dispatched, (pk, road)
        if state == S.DONE:
            assert done_at == road[-1][3]
        if accepted_at:
            assert accepted_at in [step[3] for step in road if step[1] == S.ACCEPTED]
    assert (
        not Dispatch.objects.filter(state=Dispatch.State.OFFERED)
        .exclude(order__state=S.DISPATCHED)
        .exists()
    )
    assert (
        Order.objects.filter(state=S.DISPATCHED)
        .exclude(dispatches__state=Dispatch.State.OFFERED)
        .count()
        == 0
    )


def test_the_demo_member_has_offers_to_answer(demo):
    member = demo.members[0]
    member.refresh_from_db()
    offers = list(selectors.offers_for(member))
    assert len(offers) >= 2
    assert all(o.respond_by > demo.moment(TODAY, 23) for o in offers)
    held = list(selectors.orders_held_by(member))
    assert held and any(o.resident_id == demo.residents[0].pk for o in held)
    assert selectors.member_load(member) < member.capacity
    assert Notification.objects.filter(user=member.user, kind="dispatch").count() == len(offers)
    assert Notification.objects.filter(kind="order_new").exists()


def fingerprint() -> list:
    orders = list(
        Order.objects.order_by("created_at", "community__slug", "description").values_list(
            "community__slug", "category__code", "state", "channel", "created_at", "done_at",
            "assigned_member__code", "phone",
        )
    )  # fmt: skip
    # Sorted on every field kept: events at the same moment have no other stable order.
    events = sorted(OrderEvent.objects.values_list("at", "action", "by_label"))
    hours = sorted(str(h) for h in ServiceRecord.objects.values_list("hours", flat=True))
    return [orders, events, hours]


def rerun(demo, seed: int) -> list:
    """Throw away the orders step's rows and run it again with `seed`'s stream."""
    with transaction.atomic():
        ServiceParticipant.objects.all().delete()
        ServiceRecord.objects.all().delete()
        Notification.objects.all().delete()
        Order.objects.all().delete()  # events and dispatches go with them
        demo.rng = random.Random(f"{seed}:{STEP}")
        orders_demo.build(demo)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_same_seed_gives_the_same_orders_and_another_does_not(demo):
    loaded = fingerprint()
    assert rerun(demo, SEED) == loaded
    assert rerun(demo, SEED + 1) != loaded
    assert Order.objects.filter(~Q(tracking_token="")).count() == Order.objects.count()
