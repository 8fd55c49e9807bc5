"""Pledge pages through real URLs, from every role: write, submit, review, withdraw."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.people.models import Member
from pledgeloop.pledges.models import Pledge

from .conftest import make_member, make_pledge

pytestmark = pytest.mark.django_db


def submitted(member: Member, **fields) -> Pledge:
    today = timezone.localdate()
    return make_pledge(
        member,
        state=Pledge.State.SUBMITTED,
        starts_on=today,
        ends_on=today + dt.timedelta(days=200),
        target_visits=20,
        **fields,
    )


# --- writing a pledge ---------------------------------------------------------------------


def test_member_writes_and_submits_a_pledge(world, member, client_for, valid_form):
    client = client_for(world.member)
    response = client.post(reverse("pledges:new"), {**valid_form, "submit": "1"})
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pledges:detail", args=[pledge.pk])
    assert pledge.state == Pledge.State.SUBMITTED
    assert pledge.rrule == "FREQ=WEEKLY;BYDAY=SA"
    assert pledge.member == member and pledge.street == world.street
    page = client.get(response.url)
    assert "每周为独居老人测血压" in page.text and "待审核" in page.text
    # who it is for, after a full-width colon (it read "群体: 独居老人")
    kind = pledge.get_beneficiary_kind_display()
    assert f"<dd>{kind}：{pledge.beneficiary_label}</dd>" in page.text


def test_member_saves_a_draft_with_a_written_rule(world, member, client_for, valid_form):
    form = {
        **valid_form,
        "frequency": "custom",
        "rrule": "freq=monthly;byday=2sa",
        "target_visits": "10",
        "save": "1",
    }
    client_for(world.member).post(reverse("pledges:new"), form)
    pledge = Pledge.objects.get()
    assert pledge.state == Pledge.State.DRAFT
    assert pledge.rrule == "FREQ=MONTHLY;BYDAY=2SA"
    assert pledge.frequency_text == "每月第二个周六"


def test_the_form_shows_clear_messages_for_a_bad_pledge(world, member, client_for, valid_form):
    today = timezone.localdate()
    form = {
        **valid_form,
        "frequency": "custom",
        "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "ends_on": (today - dt.timedelta(days=1)).isoformat(),
        "target_visits": "0",
    }
    page = client_for(world.member).post(reverse("pledges:new"), form)
    assert page.status_code == 400
    assert "结束日期早于开始日期" in page.text
    assert "目标至少为1次" in page.text
    assert not Pledge.objects.exists()
    form = {**valid_form, "frequency": "custom", "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}
    page = client_for(world.member).post(reverse("pledges:new"), form)
    assert "这一频次在" in page.text and "之间从不出现" in page.text


def test_a_preset_frequency_that_gives_too_few_visits_is_explained_beside_the_choice(
    world, member, client_for, valid_form
):
    form = {**valid_form, "frequency": "FREQ=MONTHLY;INTERVAL=3", "target_visits": "12"}
    page = client_for(world.member).post(reverse("pledges:new"), form)
    assert page.status_code == 400
    assert "少于目标12次" in page.text


def test_only_residents_of_the_members_community_are_offered(world, member, client_for):
    # Served (a pledge of theirs names them), yet of another community: still not offered.
    make_pledge(member, beneficiary_kind="resident", beneficiary_resident=world.resident_here)
    Member.objects.filter(pk=member.pk).update(community=world.neighbour)
    page = client_for(world.member).get(reverse("pledges:new"))
    assert "王秀兰" not in page.text
    Member.objects.filter(pk=member.pk).update(community=world.community)
    page = client_for(world.member).get(reverse("pledges:new"))
    assert "王秀兰" in page.text and "李四" not in page.text


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("pledges:new"))
    assert response.status_code == 302 and "/login/" in response.url
    assert client.post(reverse("pledges:new"), {}).status_code == 302
    assert not Pledge.objects.exists()


def test_a_resident_cannot_write_a_pledge(world, client_for, valid_form):
    client = client_for(world.resident)
    assert client.get(reverse("pledges:new")).status_code == 403
    assert client.post(reverse("pledges:new"), valid_form).status_code == 403
    assert not Pledge.objects.exists()


def test_a_member_cannot_change_or_submit_someone_elses_pledge(world, client_for, valid_form):
    other = make_member(world, "13900000180", "刘强")
    pledge = make_pledge(other, state=Pledge.State.DRAFT)
    client = client_for(world.member)
    assert client.get(reverse("pledges:edit", args=[pledge.pk])).status_code == 404
    assert client.post(reverse("pledges:edit", args=[pledge.pk]), valid_form).status_code == 404
    assert client.post(reverse("pledges:submit", args=[pledge.pk])).status_code == 404
    assert client.post(reverse("pledges:withdraw", args=[pledge.pk])).status_code == 404
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.DRAFT and pledge.title == "每周为独居老人测血压"


def test_member_changes_a_returned_pledge_and_resubmits(world, member, client_for, valid_form):
    pledge = make_pledge(
        member,
        state=Pledge.State.RETURNED,
        review_comment="请写清楚服务对象",
        starts_on=timezone.localdate(),
    )
    client = client_for(world.member)
    page = client.get(reverse("pledges:edit", args=[pledge.pk]))
    assert "请写清楚服务对象" in page.text
    form = {**valid_form, "beneficiary_name": "8幢独居老人", "submit": "1"}
    response = client.post(reverse("pledges:edit", args=[pledge.pk]), form)
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED and pledge.beneficiary_name == "8幢独居老人"


def test_an_active_pledge_cannot_be_edited(world, member, client_for, valid_form):
    pledge = make_pledge(member)
    response = client_for(world.member).post(reverse("pledges:edit", args=[pledge.pk]), valid_form)
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.rrule == "FREQ=WEEKLY"


def test_member_withdraws_their_pledge(world, member, client_for):
    pledge = make_pledge(member)
    client_for(world.member).post(reverse("pledges:withdraw", args=[pledge.pk]), {"reason": "搬家"})
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.WITHDRAWN


def test_my_pledges_lists_only_my_own(world, member, client_for):
    make_pledge(member, title="我的承诺")
    make_pledge(make_member(world, "13900000181", "刘强"), title="别人的承诺")
    page = client_for(world.member).get(reverse("pledges:mine"))
    assert "我的承诺" in page.text and "别人的承诺" not in page.text


# --- 审诺: reviewing ----------------------------------------------------------------------


def test_admin_approves_one_pledge(world, member, client_for):
    pledge = submitted(member)
    url = reverse("pledges:review_one", args=[pledge.pk])
    client_for(world.community_admin).post(url, {"action": "approve"})
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE


def test_admin_returns_one_pledge_with_a_comment(world, member, client_for):
    pledge = submitted(member)
    url = reverse("pledges:review_one", args=[pledge.pk])
    client = client_for(world.community_admin)
    client.post(url, {"action": "return", "comment": ""})
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED
    client.post(url, {"action": "return", "comment": "目标太低"})
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.RETURNED and pledge.review_comment == "目标太低"


def test_a_member_cannot_review(world, member, client_for):
    pledge = submitted(member)
    url = reverse("pledges:review_one", args=[pledge.pk])
    assert client_for(world.member).post(url, {"action": "approve"}).status_code == 403
    assert client_for(world.member).get(reverse("pledges:review")).status_code == 403
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED


def test_an_admin_of_another_community_cannot_see_or_review(world, member, client_for):
    pledge = submitted(member)
    client = client_for(world.outsider)
    assert client.get(reverse("pledges:detail", args=[pledge.pk])).status_code == 404
    url = reverse("pledges:review_one", args=[pledge.pk])
    assert client.post(url, {"action": "approve"}).status_code == 404
    client.post(reverse("pledges:review"), {"pledge": [pledge.pk], "action": "approve"})
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED


def test_an_admin_cannot_approve_their_own_pledge_through_the_page(world, client_for):
    secretary = Member.objects.create(
        user=world.community_admin,
        street=world.street,
        community=world.community,
        kind=Member.Kind.EMPLOYED,
        party_join_date=dt.date(2005, 7, 1),
    )
    pledge = submitted(secretary)
    client = client_for(world.community_admin)
    response = client.post(
        reverse("pledges:review_one", args=[pledge.pk]), {"action": "approve"}, follow=True
    )
    assert "不能审核自己的承诺" in response.text
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED
    queue = client.get(reverse("pledges:review"))
    assert f'value="{pledge.pk}"' not in queue.text and "本人" in queue.text
    # sent in bulk all the same, it is refused by name, with a full-width colon
    bulk = client.post(
        reverse("pledges:review"), {"pledge": [pledge.pk], "action": "approve"}, follow=True
    )
    said = [str(m) for m in bulk.context["messages"]]
    assert any(m.startswith(f"{secretary.name} · {pledge.title}：") for m in said), said


def test_admin_approves_in_bulk(world, member, client_for):
    pledges = [submitted(member, title=f"承诺{n}") for n in range(3)]
    elsewhere = submitted(make_member(world, "13900000182", "刘强", world.neighbour))
    client = client_for(world.community_admin)
    queue = client.get(reverse("pledges:review"))
    assert "承诺0" in queue.text and "刘强" not in queue.text
    chosen = [p.pk for p in pledges[:2]] + [elsewhere.pk]
    response = client.post(
        reverse("pledges:review"), {"pledge": chosen, "action": "approve"}, follow=True
    )
    assert "已批准2项承诺" in response.text
    states = dict(Pledge.objects.values_list("pk", "state"))
    assert [states[p.pk] for p in pledges] == ["active", "active", "submitted"]
    assert states[elsewhere.pk] == "submitted"


def test_admin_returns_in_bulk_only_with_a_comment(world, member, client_for):
    pledges = [submitted(member, title=f"承诺{n}") for n in range(2)]
    client = client_for(world.community_admin)
    chosen = {"pledge": [p.pk for p in pledges], "action": "return"}
    client.post(reverse("pledges:review"), {**chosen, "comment": ""})
    assert set(Pledge.objects.values_list("state", flat=True)) == {"submitted"}
    client.post(reverse("pledges:review"), {**chosen, "comment": "请量化目标"})
    assert set(Pledge.objects.values_list("state", flat=True)) == {"returned"}


def test_a_street_admin_reviews_every_community_of_the_street(world, member, client_for):
    here = submitted(member)
    there = submitted(make_member(world, "13900000183", "刘强", world.neighbour))
    client = client_for(world.street_admin)
    client.post(reverse("pledges:review"), {"pledge": [here.pk, there.pk], "action": "approve"})
    assert set(Pledge.objects.values_list("state", flat=True)) == {"active"}
