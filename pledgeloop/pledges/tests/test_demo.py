"""The demo step: realistic pledges for every member, with review and visit history."""

import datetime as dt

import pytest
from django.db.models import Count

from pledgeloop.demo.builder import STEPS, DemoContext
from pledgeloop.people.models import Member
from pledgeloop.pledges.models import Pledge, PledgeEvent, Visit

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 28)


def load_until_pledges(seed: int = 2026) -> DemoContext:
    """The demo steps up to and including pledges (the later ones measure other records)."""
    import random

    from django.utils.module_loading import import_string

    ctx = DemoContext(seed=seed, today=TODAY, rng=random.Random(seed))
    for step in STEPS[: STEPS.index("pledgeloop.demo.pledges.build") + 1]:
        ctx.rng = random.Random(f"{seed}:{step}")
        import_string(step)(ctx)
    return ctx


def test_demo_members_have_realistic_pledges_with_a_matching_visit_history():
    load_until_pledges()
    per_member = Member.objects.annotate(n=Count("pledges")).values_list("n", flat=True)
    assert set(per_member) <= {1, 2, 3} and len(per_member) == 185
    states = dict(Pledge.objects.values_list("state").annotate(n=Count("pk")))
    total = sum(states.values())
    on_wall = states["active"] + states.get("approved", 0) + states["fulfilled"]
    assert on_wall / total > 0.6
    assert states["returned"] and states["lapsed"] and states["submitted"]
    assert "每月为老年党员送学上门" in set(Pledge.objects.values_list("title", flat=True))
    returned = Pledge.objects.filter(state="returned").first()
    assert returned.review_comment
    assert PledgeEvent.objects.filter(pledge=returned, to_state="returned").exists()
    # The visit history matches each pledge's outcome.
    for pledge in Pledge.objects.filter(state__in=["fulfilled", "lapsed"]).annotate(
        done=Count("visits", filter=models_q_fulfilled())
    ):
        assert (pledge.done >= pledge.target_visits) == (pledge.state == "fulfilled")
    assert not Visit.objects.filter(state="due", due_on__lt=TODAY - dt.timedelta(days=3)).exists()
    assert Visit.objects.filter(state="missed").exists()
    assert Visit.objects.filter(state="due", due_on__gt=TODAY + dt.timedelta(days=60)).exists()
    demo_login = Member.objects.get(user__phone="13900000003")
    assert demo_login.pledges.filter(state="active", public=True).count() == 2


def models_q_fulfilled():
    from django.db.models import Q

    return Q(visits__state=Visit.State.FULFILLED)
