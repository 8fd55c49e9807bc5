"""The demo street's 2026 annual review: members without any record are 未评议, not 不合格.

Before, 75 of the 185 demo members were graded 不合格, 72 of them with no record at all.
"""

import datetime as dt
from collections import Counter

import pytest

from pledgeloop.demo.builder import demo_load
from pledgeloop.orgs.models import Community
from pledgeloop.reviews.annual import annual_review
from pledgeloop.reviews.models import ReviewWeights

TODAY = dt.date(2026, 11, 28)


@pytest.mark.django_db
def test_no_demo_member_fails_for_want_of_records():
    street = demo_load(seed=2026, today=TODAY).street
    scores = annual_review(
        Community.objects.filter(street=street), 2026, ReviewWeights.for_street(street)
    )
    grades = Counter(str(s.grade) for s in scores)
    assert len(scores) == 185
    nothing = [
        s
        for s in scores
        if not s.member.records_count
        and not s.member.visits_due
        and s.member.organisation_mean is None
        and s.member.self_mean is None
    ]
    assert len(nothing) > 50  # the demo has many members who did not serve this year
    assert {str(s.grade) for s in nothing} == {"未评议"}
    assert all(s.score is None for s in nothing)
    assert grades["未评议"] == len(nothing)
    # Those still graded 不合格 have evidence and a score under 60.
    failed = [s for s in scores if str(s.grade) == "不合格"]
    assert all(s.score is not None and s.score < 60 for s in failed)
