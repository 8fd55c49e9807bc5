"""Quarterly assessments: the member's own, and the organisation's for its members."""

import datetime as dt

import pytest
from django.urls import reverse

from pledgeloop.reviews.models import Assessment
from pledgeloop.reviews.services import ReviewError, assessment_save
from pledgeloop.service.models import ServiceRecord

from .conftest import at, new_member, pledge_with_visits, record, review


def self_url(period="2026q3"):
    return reverse("reviews:assessment_self", kwargs={"period": period})


def org_url(community, period="2026q3"):
    return reverse(
        "reviews:assessment_organisation", kwargs={"community_id": community.pk, "period": period}
    )


def test_a_member_writes_and_then_replaces_their_self_assessment(world, client_for):
    client = client_for(world.member)
    assert client.get(self_url()).status_code == 200
    client.post(self_url(), {"score": 88, "comment": "按时践诺"})
    client.post(self_url(), {"score": 92, "comment": "补上了一次"})
    saved = Assessment.objects.get()
    assert (saved.member, saved.year, saved.quarter, saved.kind, saved.score) == (
        world.member.member,
        2026,
        3,
        Assessment.Kind.SELF,
        92,
    )
    assert saved.comment == "补上了一次"


def test_a_self_assessment_score_above_100_is_refused(world, client_for):
    page = client_for(world.member).post(self_url(), {"score": 101})
    assert page.status_code == 200
    assert not Assessment.objects.exists()


def test_self_assessment_is_for_members_only(world, client, client_for):
    assert client.get(self_url()).status_code == 302  # to the sign-in page
    for user in [world.community_admin, world.street_admin, world.resident]:
        assert client_for(user).post(self_url(), {"score": 50}).status_code == 404
    assert not Assessment.objects.exists()


def test_a_quarter_outside_one_to_four_is_not_a_page(world, client_for):
    assert client_for(world.member).get("/me/assessment/2026q5/").status_code == 404


def test_community_admin_assesses_members_in_one_table(world, client_for):
    li = new_member(world, "13900000201", "李梅")
    zhang = world.member.member
    client = client_for(world.community_admin)
    page = client.get(org_url(world.community))
    assert "张三" in page.content.decode() and "李梅" in page.content.decode()
    data = {f"score-{zhang.pk}": 85, f"comment-{zhang.pk}": "积极", f"score-{li.pk}": ""}
    assert client.post(org_url(world.community), data).status_code == 302
    saved = Assessment.objects.get()
    assert (saved.member, saved.kind, saved.score, saved.by) == (
        zhang,
        Assessment.Kind.ORGANISATION,
        85,
        world.community_admin,
    )
    # Saving again replaces, never duplicates (unique per member, quarter and kind).
    client.post(org_url(world.community), {f"score-{zhang.pk}": 90, f"score-{li.pk}": 70})
    assert dict(Assessment.objects.values_list("member__user__name", "score")) == {
        "张三": 90,
        "李梅": 70,
    }


def test_the_organisation_table_refuses_a_bad_score_and_saves_nothing(world, client_for):
    zhang = world.member.member
    page = client_for(world.community_admin).post(
        org_url(world.community), {f"score-{zhang.pk}": 150}
    )
    assert page.status_code == 200
    assert not Assessment.objects.exists()


def test_organisation_assessment_is_refused_outside_ones_communities(world, client_for):
    zhang = world.member.member
    for user in [world.outsider, world.member, world.resident]:
        page = client_for(user).post(org_url(world.community), {f"score-{zhang.pk}": 10})
        assert page.status_code == 404
    assert client_for(world.street_admin).get(org_url(world.community)).status_code == 200
    assert client_for(world.community_admin).get(org_url(world.faraway)).status_code == 404
    assert not Assessment.objects.exists()


def test_a_quarter_still_to_come_is_not_assessed(world, client_for, time_machine):
    """The running quarter's page offered "next quarter", where a member scored 2027 Q1
    before it began (the annual review of 2027 would have counted it)."""
    time_machine.move_to(dt.datetime(2026, 11, 30, 4, tzinfo=dt.UTC), tick=False)
    zhang = world.member.member
    member = client_for(world.member)
    running = member.get(self_url("2026q4")).content.decode()
    assert 'href="/me/assessment/2026q3/"' in running and "2027q1" not in running
    assert "2026年10月1日至今天（2026年11月30日）" in running  # not "to 31 December"
    future = member.get(self_url("2027q1")).content.decode()
    assert "2027年第1季度尚未开始，开始后才能评价。" in future and 'name="score"' not in future
    member.post(self_url("2027q1"), {"score": 90})
    admin = client_for(world.community_admin)
    organisation = admin.get(org_url(world.community, "2027q1")).content.decode()
    assert "2027年第1季度尚未开始" in organisation and f"score-{zhang.pk}" not in organisation
    admin.post(org_url(world.community, "2027q1"), {f"score-{zhang.pk}": 80})
    assert "../2026q3/" in admin.get(org_url(world.community, "2026q4")).content.decode()
    with pytest.raises(ReviewError):
        assessment_save(
            member=zhang, year=2027, quarter=1, kind=Assessment.Kind.SELF, score=50, by=world.member
        )
    assert not Assessment.objects.exists()
    # 00:01 on 1 January 2027 in Beijing: the quarter has begun.
    time_machine.move_to(dt.datetime(2026, 12, 31, 16, 1, tzinfo=dt.UTC), tick=False)
    client_for(world.member).post(self_url("2027q1"), {"score": 90})
    assert Assessment.objects.get().score == 90


def test_the_member_scores_themselves_on_their_quarter_in_the_records(world, client_for):
    """The page asked for a score with nothing to go on: it now shows the quarter's visits,
    hours and ratings, the showcase's figures for this member alone."""
    zhang = world.member.member
    pledge_with_visits(zhang, [("2025-04-07", "fulfilled"), ("2025-05-05", "missed")])
    review(record(zhang, at(2025, 4, 10), "2", ServiceRecord.Verification.VERIFIED), 5)
    review(record(zhang, at(2025, 5, 10), "1.5", ServiceRecord.Verification.RECORDED), 4)
    record(zhang, at(2025, 7, 1), "4", ServiceRecord.Verification.VERIFIED)  # Q3
    page = client_for(world.member).get(self_url("2025q2")).content.decode()
    figures = page.split("data-quarter-figures", 1)[1].split("</section>", 1)[0]
    assert "本季度的记录" in figures
    assert "<dd>1 / 2</dd>" in figures and "<dd>3.5 小时</dd>" in figures
    assert "2 条评价 · 平均 4.5 / 5" in figures
    empty = client_for(world.member).get(self_url("2024q2")).content.decode()
    assert "<dd>0 / 0</dd>" in empty and "暂无评价" in empty
