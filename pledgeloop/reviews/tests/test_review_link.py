"""评诺 through the signed link: one review per service, no login, nothing forgeable."""

from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse

from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import SALT, review_link_for, review_token_for

from .conftest import at, record


@pytest.fixture(autouse=True)
def _links_do_not_expire_here(settings):
    """These tests review services of 2025; expiry is test_review_link_expiry.py's."""
    settings.REVIEW_LINK_DAYS = 100 * 365


def test_review_link_is_a_path_to_the_review_page(world, done_order):
    _order, rec = done_order
    link = review_link_for(rec)
    assert link.startswith("/review/") and link.endswith("/")
    assert str(rec.pk) not in link.split("/")[2].split(":")[1:]  # the id is not in clear


def test_the_review_page_opens_without_login_in_chinese(client, world, done_order):
    _order, rec = done_order
    page = client.get(review_link_for(rec))
    text = page.content.decode()
    assert page.status_code == 200
    for level in ["非常满意", "满意", "一般", "不满意", "非常不满意"]:
        assert level in text
    assert "张三" in text
    assert world.resident_here.phone not in text


def test_nothing_is_chosen_for_the_resident(client, done_order):
    """The questions ask for the resident's judgement: no answer is preselected, "not sure"
    included; a rating sent without the others keeps what was chosen and nothing more."""
    _order, rec = done_order
    text = client.get(review_link_for(rec)).content.decode()
    assert text.count('type="radio"') == 11
    assert " checked" not in text
    page = client.post(review_link_for(rec), {"solved": "unsure", "comment": "没选"})
    text = page.content.decode()
    assert text.count(" checked") == 1
    assert 'name="solved" value="unsure" checked' in text


def test_not_sure_is_kept_as_no_answer(client, done_order):
    _order, rec = done_order
    client.post(review_link_for(rec), {"rating": "4", "solved": "unsure", "hours_right": "unsure"})
    assert Review.objects.get(record=rec).solved is None
    rec.refresh_from_db()
    assert rec.verification == ServiceRecord.Verification.SELF  # "not sure" confirms nothing


def test_a_satisfied_review_marks_the_done_order_reviewed(client, world, done_order):
    order, rec = done_order
    page = client.post(review_link_for(rec), {"rating": "5", "solved": "yes", "comment": "很好"})
    assert page.status_code == 200
    assert "感谢" in page.content.decode()
    saved = Review.objects.get(record=rec)
    assert (saved.rating, saved.solved, saved.comment, saved.order_id) == (
        5,
        True,
        "很好",
        order.pk,
    )
    order.refresh_from_db()
    assert order.state == Order.State.REVIEWED


def test_an_unanswered_solved_question_still_marks_the_order_reviewed(client, done_order):
    order, rec = done_order
    client.post(review_link_for(rec), {"rating": "4"})
    order.refresh_from_db()
    assert Review.objects.get(record=rec).solved is None
    assert order.state == Order.State.REVIEWED


def test_not_solved_reopens_the_order_with_the_comment_as_reason(client, done_order):
    order, rec = done_order
    client.post(review_link_for(rec), {"rating": "2", "solved": "no", "comment": "灯还是不亮"})
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED
    event = order.events.order_by("-at", "-pk").first()
    assert event.action == "reopen" and event.reason == "灯还是不亮"


def test_not_solved_without_a_comment_reopens_with_a_default_reason(client, done_order):
    order, rec = done_order
    client.post(review_link_for(rec), {"rating": "1", "solved": "no"})
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED
    assert order.events.order_by("-at", "-pk").first().reason


def test_a_rating_is_required(client, done_order):
    order, rec = done_order
    page = client.post(review_link_for(rec), {"comment": "没选"})
    assert "请选择" in page.content.decode()
    assert not Review.objects.exists()


def test_a_link_used_twice_changes_nothing(client, done_order):
    order, rec = done_order
    link = review_link_for(rec)
    client.post(link, {"rating": "5", "solved": "yes"})
    second = client.post(link, {"rating": "1", "solved": "no", "comment": "改主意"})
    assert second.status_code == 200
    assert "已经评价" in second.content.decode()
    assert Review.objects.get().rating == 5
    order.refresh_from_db()
    assert order.state == Order.State.REVIEWED
    assert "已经评价" in client.get(link).content.decode()


def test_a_forged_link_is_refused(client, world, done_order):
    _order, rec = done_order
    for token in ["abc", "eyJyIjoxfQ:1abcde:forged", review_token_for(rec) + "x"]:
        page = client.post(reverse("reviews:review", args=[token]), {"rating": "5"})
        assert page.status_code == 404
        assert "链接无效" in page.content.decode()
    assert not Review.objects.exists()


def test_a_token_for_one_record_cannot_review_another(client, world, done_order):
    _order, mine = done_order
    theirs = record(world.member.member, at(2025, 5, 1), "2")
    token = review_token_for(mine)
    # Edit the payload to name the other record, keeping the signature: refused.
    payload, rest = token.split(":", 1)
    other = signing.dumps({"r": theirs.pk}, salt=SALT).split(":", 1)[0]
    page = client.post(reverse("reviews:review", args=[f"{other}:{rest}"]), {"rating": "1"})
    assert page.status_code == 404
    # A token signed with another salt (another feature's signature) is refused too.
    foreign = signing.dumps({"r": theirs.pk}, salt="another-purpose")
    assert (
        client.post(reverse("reviews:review", args=[foreign]), {"rating": "1"}).status_code == 404
    )
    assert not Review.objects.exists()
    # The genuine token reviews its own record only.
    client.post(reverse("reviews:review", args=[token]), {"rating": "4"})
    assert list(Review.objects.values_list("record_id", flat=True)) == [mine.pk]


def test_a_review_of_a_record_without_order_is_kept(client, world):
    rec = record(world.member.member, at(2025, 5, 1), "2")
    page = client.post(review_link_for(rec), {"rating": "3", "solved": "no", "comment": "一般"})
    saved = Review.objects.get(record=rec)
    assert saved.order_id is None and saved.solved is False
    # No order to reopen: the community's admins are told, and the page promises only that.
    told = Notification.objects.get(user=world.community_admin, kind="review_not_solved")
    assert told.body == "一般" and told.url == reverse("service:record", args=[rec.pk])
    text = page.content.decode()
    assert "社区已收到您的反馈" in text and "重新受理" not in text


def test_not_solved_on_an_order_says_the_community_takes_it_again(client, done_order):
    _order, rec = done_order
    page = client.post(review_link_for(rec), {"rating": "2", "solved": "no", "comment": "漏水"})
    assert "社区已重新受理您的需求" in page.content.decode()
    assert not Notification.objects.filter(kind="review_not_solved").exists()


def test_a_review_that_confirms_the_hours_verifies_them_and_names_the_review(client, world):
    rec = record(world.member.member, at(2025, 5, 1), "2")
    client.post(review_link_for(rec), {"rating": "4", "solved": "yes", "hours_right": "yes"})
    rec.refresh_from_db()
    assert rec.verification == "verified"
    assert rec.evidence == ServiceRecord.Evidence.REVIEW


def test_a_rating_alone_does_not_confirm_hours_the_resident_did_not_affirm(client, world):
    # Issue 12: a rating marked the record verified though the page never showed the hours.
    rec = record(world.member.member, at(2025, 5, 1), "2")
    client.post(review_link_for(rec), {"rating": "5", "solved": "yes"})
    rec.refresh_from_db()
    assert Review.objects.filter(record=rec).exists()
    assert rec.verification == "self" and rec.evidence == ""


def test_the_review_page_shows_the_date_and_hours_it_confirms(client, world):
    rec = record(world.member.member, at(2025, 5, 1, 14), "2.5")
    text = client.get(review_link_for(rec)).content.decode()
    assert "2025年5月1日" in text
    assert "14:00–16:30" in text
    assert "2.5 小时" in text
    assert "时长不对" in text
    assert "您的回答就是" in text and "你" not in text  # a resident is addressed as 您


def test_hours_wrong_flags_the_record_for_the_admin_instead_of_confirming(
    client, client_for, world
):
    rec = record(world.member.member, at(2025, 5, 1), "2")
    page = client.post(
        review_link_for(rec),
        {"rating": "3", "solved": "yes", "hours_right": "no", "comment": "只来了半小时"},
    )
    assert page.status_code == 200
    rec.refresh_from_db()
    assert rec.verification == "self" and rec.evidence == ""
    assert rec.is_flagged and rec.flag_reason == "只来了半小时"
    # The community's admins are told, and the console lists it.
    note = Notification.objects.get(user=world.community_admin, kind="hours_disputed")
    assert note.url == reverse("service:record", args=[rec.pk])
    console = client_for(world.community_admin).get(reverse("service:console"))
    assert console.context["flagged"] and list(console.context["flagged"]) == [rec]
    assert "只来了半小时" in console.content.decode()


def test_hours_wrong_takes_back_hours_a_check_in_had_verified(client, world):
    rec = record(
        world.member.member,
        at(2025, 5, 1),
        "2",
        verification=ServiceRecord.Verification.VERIFIED,
        evidence=ServiceRecord.Evidence.SITE_SCREEN,
    )
    client.post(review_link_for(rec), {"rating": "2", "hours_right": "no"})
    rec.refresh_from_db()
    assert (rec.verification, rec.evidence, rec.is_flagged) == ("self", "", True)


def test_the_admin_settles_disputed_hours_as_verified_by_staff(client, client_for, world):
    rec = record(world.member.member, at(2025, 5, 1), "2")
    client.post(review_link_for(rec), {"rating": "3", "hours_right": "no"})
    admin = client_for(world.community_admin)
    settle = reverse("service:settle", args=[rec.pk])
    # More than the service lasted is refused, and changes nothing.
    assert admin.post(settle, {"hours": "3"}).status_code == 400
    rec.refresh_from_db()
    assert rec.is_flagged and rec.hours == 2
    assert admin.post(settle, {"hours": "0.5"}).status_code == 302
    rec.refresh_from_db()
    assert (rec.hours, rec.verification, rec.evidence) == (Decimal("0.5"), "verified", "staff")
    assert not rec.is_flagged and rec.settled_by == world.community_admin
    # Members and admins of other communities cannot settle.
    other = record(world.member.member, at(2025, 5, 2), "2")
    client.post(review_link_for(other), {"rating": "3", "hours_right": "no"})
    for who in (world.member, world.outsider):
        assert (
            client_for(who)
            .post(reverse("service:settle", args=[other.pk]), {"hours": "1"})
            .status_code
            == 404
        )
    other.refresh_from_db()
    assert other.is_flagged


def test_a_not_solved_review_does_not_verify_the_hours(client, world):
    rec = record(world.member.member, at(2025, 5, 1), "2")
    client.post(review_link_for(rec), {"rating": "4", "solved": "no"})
    rec.refresh_from_db()
    assert rec.verification == "self"
