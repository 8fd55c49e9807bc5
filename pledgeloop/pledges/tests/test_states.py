"""Every state change of a pledge, the approval rules and their refusals (services)."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from pledgeloop.conftest import make_user
from pledgeloop.people.models import Member, Role
from pledgeloop.pledges import jobs, services
from pledgeloop.pledges.models import Pledge, PledgeError, Visit

from .conftest import category_of, fulfil_all_past, make_pledge

pytestmark = pytest.mark.django_db


def new_pledge(world, member, *, submit=False, **fields) -> Pledge:
    today = timezone.localdate()
    values = {
        "category": category_of(world.street),
        "title": "每周为独居老人测血压",
        "beneficiary_kind": Pledge.Beneficiary.GROUP,
        "beneficiary_name": "独居老人",
        "rrule": "FREQ=WEEKLY",
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=180),
        "target_visits": 20,
    }
    values.update(fields)
    return services.pledge_create(member=member, by=member.user, submit=submit, **values)


def history(pledge: Pledge) -> list[tuple[str, str]]:
    return list(pledge.events.order_by("at", "id").values_list("from_state", "to_state"))


def test_a_new_pledge_is_a_draft_and_its_creation_is_recorded(world, member):
    pledge = new_pledge(world, member)
    assert pledge.state == Pledge.State.DRAFT
    assert history(pledge) == [("", "draft")]
    assert pledge.street_id == world.street.pk and pledge.community_id == world.community.pk


def test_submit_then_approve_makes_a_pledge_active_with_its_visits(world, member):
    pledge = new_pledge(world, member)
    pledge = services.pledge_submit(pledge=pledge, by=world.member)
    pledge = services.pledge_approve(pledge=pledge, by=world.community_admin, comment="很具体")
    assert pledge.state == Pledge.State.ACTIVE
    assert history(pledge) == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "active"),
    ]
    assert pledge.reviewed_by == world.community_admin and pledge.approved_at is not None
    # Weekly, from today to 90 days ahead: 13 visits.
    assert pledge.visits.count() == 13
    assert pledge.events.get(to_state="approved").comment == "很具体"


def test_a_pledge_starting_later_stays_approved_until_the_job_activates_it(world, member):
    today = timezone.localdate()
    start = today + dt.timedelta(days=10)
    pledge = new_pledge(
        world,
        member,
        submit=True,
        starts_on=start,
        ends_on=start + dt.timedelta(days=60),
        target_visits=8,
    )
    pledge = services.pledge_approve(pledge=pledge, by=world.community_admin)
    assert pledge.state == Pledge.State.APPROVED and not pledge.visits.exists()
    jobs.generate_visits(today=start - dt.timedelta(days=1))
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.APPROVED
    jobs.generate_visits(today=start)
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE
    assert pledge.visits.first().due_on == start


def test_a_returned_pledge_carries_the_comment_and_can_be_changed_and_resubmitted(world, member):
    pledge = new_pledge(world, member, submit=True)
    pledge = services.pledge_return(
        pledge=pledge, by=world.community_admin, comment="请写明服务对象"
    )
    assert pledge.state == Pledge.State.RETURNED
    assert pledge.review_comment == "请写明服务对象"
    assert pledge.events.get(to_state="returned").comment == "请写明服务对象"
    pledge = services.pledge_update(pledge=pledge, by=world.member, beneficiary_name="8幢独居老人")
    pledge = services.pledge_submit(pledge=pledge, by=world.member)
    assert pledge.state == Pledge.State.SUBMITTED
    assert history(pledge)[-2:] == [("submitted", "returned"), ("returned", "submitted")]


def test_returning_without_a_comment_is_refused(world, member):
    pledge = new_pledge(world, member, submit=True)
    with translation.override("en"), pytest.raises(PledgeError, match="needs a comment"):
        services.pledge_return(pledge=pledge, by=world.community_admin, comment="  ")
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED


def test_a_member_cannot_approve_their_own_pledge(world):
    # The community secretary is a party member too, with a pledge of her own.
    secretary = Member.objects.create(
        user=world.community_admin,
        street=world.street,
        community=world.community,
        kind=Member.Kind.EMPLOYED,
        party_join_date=dt.date(2005, 7, 1),
    )
    pledge = new_pledge(world, secretary, submit=True)
    with translation.override("en"), pytest.raises(PledgeError, match="your own pledge"):
        services.pledge_approve(pledge=pledge, by=world.community_admin)
    with pytest.raises(PledgeError):
        services.pledge_return(pledge=pledge, by=world.community_admin, comment="自己退回")
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.SUBMITTED
    # Another admin of the street may approve it.
    assert services.pledge_approve(pledge=pledge, by=world.street_admin).state == "active"


def test_an_admin_of_another_community_cannot_approve(world, member):
    pledge = new_pledge(world, member, submit=True)
    with translation.override("en"), pytest.raises(PledgeError, match="do not administer"):
        services.pledge_approve(pledge=pledge, by=world.outsider)


def test_a_member_cannot_approve_anyones_pledge(world, member):
    colleague_user = make_user("13900000199", "李红", Role.MEMBER, world.street, world.community)
    colleague = Member.objects.create(
        user=colleague_user,
        street=world.street,
        community=world.community,
        kind=Member.Kind.VOLUNTEER,
    )
    pledge = new_pledge(world, colleague, submit=True)
    with pytest.raises(PledgeError):
        services.pledge_approve(pledge=pledge, by=world.member)


def test_only_a_submitted_pledge_can_be_approved(world, member):
    draft = new_pledge(world, member)
    with translation.override("en"), pytest.raises(PledgeError, match="awaiting approval"):
        services.pledge_approve(pledge=draft, by=world.community_admin)
    active = make_pledge(member)
    with pytest.raises(PledgeError):
        services.pledge_approve(pledge=active, by=world.community_admin)


def test_a_submitted_pledge_cannot_be_changed(world, member):
    pledge = new_pledge(world, member, submit=True)
    with translation.override("en"), pytest.raises(PledgeError, match="can no longer be changed"):
        services.pledge_update(pledge=pledge, by=world.member, title="改个标题")


def test_illegal_transitions_are_refused_with_the_state_names(world, member):
    pledge = new_pledge(world, member)
    with translation.override("en"), pytest.raises(PledgeError) as refused:
        services.pledge_activate(pledge=pledge, by=world.member)
    assert str(refused.value) == "A pledge that is “Draft” cannot become “Active”."
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.DRAFT and history(pledge) == [("", "draft")]
    closed = make_pledge(member, state=Pledge.State.LAPSED)
    with pytest.raises(PledgeError):
        services.pledge_activate(pledge=closed)
    with pytest.raises(PledgeError):
        services.pledge_withdraw(pledge=closed, by=world.member)
    assert not closed.events.exists() and not closed.visits.exists()


def test_a_pledge_changes_state_only_through_its_services(world, member):
    """No model method saves a state change: pledges/services.py moves it (lib.transitions)."""
    assert not hasattr(Pledge, "transition_to")
    pledge = new_pledge(world, member, submit=True)
    pledge = services.pledge_return(pledge=pledge, by=world.community_admin, comment="写具体些")
    fresh = Pledge.objects.get(pk=pledge.pk)
    assert fresh.state == Pledge.State.RETURNED and fresh.review_comment == "写具体些"
    assert fresh.reviewed_by == world.community_admin and fresh.reviewed_at is not None
    last = fresh.events.order_by("-at", "-id").first()
    assert (last.from_state, last.to_state, last.by, last.comment) == (
        "submitted",
        "returned",
        world.community_admin,
        "写具体些",
    )
    assert last.street_id == fresh.street_id


def test_withdrawing_an_active_pledge_removes_its_future_visits_only(world, member):
    pledge = make_pledge(member)
    jobs.generate_visits()
    past = pledge.visits.filter(scheduled_at__lt=timezone.now()).count()
    assert past and pledge.visits.count() > past
    pledge = services.pledge_withdraw(pledge=pledge, by=world.member, reason="搬家")
    assert pledge.state == Pledge.State.WITHDRAWN
    assert pledge.visits.count() == past
    assert pledge.events.get(to_state="withdrawn").comment == "搬家"


def test_a_stranger_cannot_withdraw_a_pledge(world, member):
    pledge = make_pledge(member)
    with pytest.raises(PledgeError):
        services.pledge_withdraw(pledge=pledge, by=world.outsider)
    # The community's admin can, e.g. when the member has moved away.
    assert services.pledge_withdraw(pledge=pledge, by=world.community_admin).state == "withdrawn"


def test_an_ended_pledge_closes_as_fulfilled_when_the_target_was_reached(world, member):
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=70), today - dt.timedelta(days=8)
    reached = make_pledge(member, starts_on=start, ends_on=end, target_visits=8)
    short = make_pledge(member, starts_on=start, ends_on=end, target_visits=8, title="每周打扫楼道")
    jobs.generate_visits(today=end)
    fulfil_all_past(reached, end)
    for visit in list(short.visits.all()[:3]):
        services.visit_mark_fulfilled(visit=visit)
    jobs.mark_missed_visits(today=today)
    reached.refresh_from_db()
    short.refresh_from_db()
    assert reached.state == Pledge.State.FULFILLED
    assert short.state == Pledge.State.LAPSED
    assert short.events.get(to_state="lapsed").comment == "已完成3次，目标8次。"
    assert short.visits.filter(state=Visit.State.MISSED).count() == short.visits.count() - 3


def test_fulfilling_a_missed_visit_late_counts(world, member):
    pledge = make_pledge(member)
    jobs.generate_visits()
    jobs.mark_missed_visits()
    missed = pledge.visits.filter(state=Visit.State.MISSED).first()
    assert missed is not None
    visit = services.visit_mark_fulfilled(visit=missed)
    assert visit.state == Visit.State.FULFILLED and visit.fulfilled_at is not None


def test_bulk_review_approves_others_and_reports_the_refusals(world, member):
    secretary = Member.objects.create(
        user=world.community_admin,
        street=world.street,
        community=world.community,
        kind=Member.Kind.EMPLOYED,
        party_join_date=dt.date(2005, 7, 1),
    )
    mine = new_pledge(world, secretary, submit=True)
    theirs = [new_pledge(world, member, submit=True, title=f"承诺{n}") for n in range(3)]
    outcome = services.pledges_review(
        pledges=[mine, *theirs], by=world.community_admin, approve=True
    )
    assert [p.pk for p in outcome.done] == [p.pk for p in theirs]
    assert [p.pk for p, _reason in outcome.refused] == [mine.pk]


@pytest.mark.parametrize("state", ["draft", "submitted", "returned", "approved", "active"])
def test_an_open_pledge_can_be_withdrawn_from_any_state(world, member, state):
    pledge = make_pledge(member, state=state)
    assert services.pledge_withdraw(pledge=pledge, by=world.member).state == "withdrawn"
    assert history(pledge) == [(state, "withdrawn")]


@pytest.mark.parametrize("state", ["fulfilled", "lapsed", "withdrawn"])
def test_a_closed_pledge_cannot_be_withdrawn(world, member, state):
    pledge = make_pledge(member, state=state)
    with pytest.raises(PledgeError):
        services.pledge_withdraw(pledge=pledge, by=world.member)
