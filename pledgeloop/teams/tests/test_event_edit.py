"""Changing an event after it was made (修改活动): its date, times, place, title, team and the
rest of the new-event form, from the console by the admins who may manage it. A change of time
or place moves its sessions and shifts with it and tells everyone signed up or registered,
once each, what changed; a bad change is refused and changes nothing. An event not yet held
is cancelled (取消活动) with a reason that everyone told reads, and nothing more happens at it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from pledgeloop.diary.models import Article
from pledgeloop.notify.kinds import PARAM_MOST
from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.notify.senders import text_params
from pledgeloop.notify.services import notifications_send
from pledgeloop.orders.tests.loop import member_of, new_member
from pledgeloop.orgs.models import Category
from pledgeloop.stats.periods import Period
from pledgeloop.stats.scope import Scope
from pledgeloop.stats.service_matrix import event_rows
from pledgeloop.teams import event_changes, events, services
from pledgeloop.teams.models import (
    Attendance,
    Event,
    EventSession,
    Registration,
    Shift,
    SignUp,
    Volunteer,
)
from pledgeloop.teams.schedule import member_shift_entries

from .helpers import position_in, team_with_leaders

pytestmark = pytest.mark.django_db


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local moment `days` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def fair(world):
    """A fair in ten days, 09:00–12:00 at the service centre, with a repair booth, two shifts
    the world's member signed up for, a volunteer on one of them and two residents registered
    (one of them the volunteer's own number)."""
    centre = position_in(world, "星港湾党群服务中心")
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        starts_at=at(10, 9),
        ends_at=at(10, 12),
        place=centre,
        registration=True,
    )
    booth = events.booth_add(
        event=event,
        name="家电维修",
        category=Category.objects.get(street=world.street, code="repairs"),
    )
    session = event.sessions.get()
    early = events.shift_add(session=session, booth=booth, starts_at=at(10, 9), ends_at=at(10, 11))
    late = events.shift_add(session=session, role="接待", starts_at=at(10, 11), ends_at=at(10, 12))
    member = member_of(world)
    events.shift_signup(shift=early, member=member)
    events.shift_signup(shift=late, member=member)
    volunteer = Volunteer.objects.create(
        street=world.street,
        name="外卖小哥",
        phone="13655556666",
        consent_at=timezone.now(),
        consent_source="test",
    )
    events.shift_signup_volunteer(shift=early, volunteer=volunteer)
    for name, phone in [("王秀兰", "13812345678"), ("外卖小哥", "13655556666")]:
        events.registration_submit(session=session, name=name, phone=phone, consent=True)
    return event


def form_of(event, **changes) -> dict:
    data = {
        "community": event.community_id or "",
        "kind": event.kind,
        "title": event.title,
        "starts_at": local(event.starts_at),
        "ends_at": local(event.ends_at),
        "team": event.team_id or "",
        "partner": event.partner,
        "place": event.place_id or "",
        "capacity": event.capacity or "",
        "audience": event.audience,
        "description": event.description,
    }
    if event.registration:
        data["registration"] = "on"
    data.update(changes)
    return data


def edit_url(event) -> str:
    return reverse("console:teams:event_edit", args=[event.pk])


def confirm_key(page) -> str:
    return page.context["preview"].key


def test_the_event_page_links_to_its_edit_page(world, fair, client_for):
    admin = client_for(world.community_admin)
    page = admin.get(reverse("console:teams:event", args=[fair.pk])).content.decode()
    assert f'href="{edit_url(fair)}"' in page
    edit = admin.get(edit_url(fair))
    assert edit.status_code == 200
    text = edit.content.decode()
    # two members' and residents' worth of people: the member once (two shifts), the
    # volunteer and the resident of the same number once, the other resident once
    assert 'data-people-told="3"' in text
    assert 'value="红色便民集市"' in text


def test_a_fair_moved_to_another_day_moves_its_shifts_and_tells_everyone_once(
    world, fair, client_for
):
    admin = client_for(world.community_admin)
    before = Notification.objects.count()
    data = form_of(fair, starts_at=local(at(11, 9)), ends_at=local(at(11, 12)))
    preview = admin.post(edit_url(fair), data)
    # First the warning: who will be told and what; nothing is saved yet.
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "data-confirm-change" in text and 'data-people-told="3"' in text
    fair.refresh_from_db()
    assert fair.starts_at == at(10, 9) and Notification.objects.count() == before
    saved = admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    assert saved.status_code == 302
    assert saved["Location"] == reverse("console:teams:event", args=[fair.pk])
    fair.refresh_from_db()
    assert (fair.starts_at, fair.ends_at) == (at(11, 9), at(11, 12))
    session = fair.sessions.get()
    assert (session.starts_at, session.ends_at) == (at(11, 9), at(11, 12))
    shifts = list(Shift.objects.filter(session=session).order_by("starts_at"))
    assert [(s.starts_at, s.ends_at) for s in shifts] == [
        (at(11, 9), at(11, 11)),
        (at(11, 11), at(11, 12)),
    ]
    assert SignUp.objects.filter(shift__session=session).count() == 3
    assert Registration.objects.filter(session=session).count() == 2
    # Booth numbers open on the fair's new first day.
    assert services.queue_opens_on(fair) == at(11, 9).date()
    told = list(Notification.objects.filter(kind="event_changed").order_by("pk"))
    assert len(told) == 3 == Notification.objects.count() - before
    member = member_of(world)
    assert [n.user_id for n in told if n.user_id] == [member.user_id]
    assert sorted(n.phone for n in told if not n.user_id) == ["13655556666", "13812345678"]
    with translation.override("zh-hans"):
        old = f"{timezone.localtime(at(10, 9)):%Y}年{at(10, 9).month}月{at(10, 9).day}日"
        new = f"{timezone.localtime(at(11, 9)):%Y}年{at(11, 9).month}月{at(11, 9).day}日"
    for n in told:
        assert n.title.startswith("“红色便民集市”有变动：时间由" + old + " 09:00–12:00改为")
        assert new + " 09:00–12:00" in n.title
        # the text's values: the new arrangement, each short enough for any gateway
        assert n.params["event"] == "红色便民集市"
        assert n.params["when"] == f"{at(11, 9).month}月{at(11, 9).day}日 09:00–12:00"
        assert n.params["place"] == fair.place.site.name
        assert all(len(value) <= PARAM_MOST for value in n.params.values())
    [to_member] = [n for n in told if n.user_id]
    assert to_member.url == reverse("teams:my_events")
    assert "家电维修" in to_member.body and "接待" in to_member.body
    [to_resident] = [n for n in told if n.phone == "13812345678"]
    assert to_resident.url == reverse("teams:event", args=[world.street.slug, fair.slug])
    # Sent again (a double tap after the redirect was lost): nothing more to tell.
    again = admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    assert again.status_code == 302
    assert Notification.objects.filter(kind="event_changed").count() == 3


def test_a_new_place_tells_people_the_old_and_the_new_place(world, fair, client_for):
    hall = position_in(world, "腾飞社区广场")
    admin = client_for(world.community_admin)
    data = form_of(fair, place=hall.pk)
    preview = admin.post(edit_url(fair), data)
    assert "腾飞社区广场" in preview.content.decode()
    admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    fair.refresh_from_db()
    assert fair.place == hall
    titles = set(Notification.objects.filter(kind="event_changed").values_list("title", flat=True))
    assert titles == {"“红色便民集市”有变动：地点由星港湾党群服务中心改为腾飞社区广场"}


def test_a_new_title_team_and_description_are_saved_and_tell_nobody(world, fair, client_for):
    team, _heads = team_with_leaders(world)
    admin = client_for(world.community_admin)
    saved = admin.post(
        edit_url(fair),
        form_of(fair, title="红色便民集市（春季）", team=team.pk, description="八个摊位"),
    )
    assert saved.status_code == 302
    fair.refresh_from_db()
    assert (fair.title, fair.team, fair.description) == ("红色便民集市（春季）", team, "八个摊位")
    assert not Notification.objects.filter(kind="event_changed").exists()


def test_an_event_nobody_signed_up_for_moves_without_a_warning(world, client_for):
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.ACTIVITY,
        title="社区运动会",
        starts_at=at(5, 14),
        ends_at=at(5, 16),
    )
    admin = client_for(world.community_admin)
    saved = admin.post(
        edit_url(event), form_of(event, starts_at=local(at(6, 14)), ends_at=local(at(6, 17)))
    )
    assert saved.status_code == 302
    event.refresh_from_db()
    session = event.sessions.get()
    assert (session.starts_at, session.ends_at) == (at(6, 14), at(6, 17))
    assert (event.starts_at, event.ends_at) == (at(6, 14), at(6, 17))


def test_a_course_keeps_its_days_apart_and_its_last_day_takes_the_new_end(world, client_for):
    course = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.COURSE,
        title="智能手机课",
        starts_at=at(3, 9),
        ends_at=at(3, 11),
    )
    events.session_add(event=course, label="第2天", starts_at=at(4, 9), ends_at=at(4, 11))
    course.refresh_from_db()
    admin = client_for(world.community_admin)
    saved = admin.post(
        edit_url(course), form_of(course, starts_at=local(at(7, 9)), ends_at=local(at(8, 11, 30)))
    )
    assert saved.status_code == 302
    spans = [(s.starts_at, s.ends_at) for s in course.sessions.order_by("starts_at")]
    assert spans == [(at(7, 9), at(7, 11)), (at(8, 9), at(8, 11, 30))]


def test_a_shorter_event_cuts_the_shifts_it_ends_in_and_refuses_one_it_leaves_out(
    world, fair, client_for
):
    admin = client_for(world.community_admin)
    # 09:00–11:30: the 接待 shift (11:00–12:00) is cut to 11:00–11:30, shown before saving
    data = form_of(fair, ends_at=local(at(10, 11, 30)))
    preview = admin.post(edit_url(fair), data)
    assert "接待" in preview.content.decode()
    admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    late = Shift.objects.get(role="接待")
    assert (late.starts_at, late.ends_at) == (at(10, 11), at(10, 11, 30))
    # 09:00–10:30 would leave nothing of it: refused, nothing changed, nobody told
    told = Notification.objects.filter(kind="event_changed").count()
    refused = admin.post(
        edit_url(fair), {**form_of(fair, ends_at=local(at(10, 10, 30))), "confirm": "x"}
    )
    assert refused.status_code == 400
    assert "接待" in refused.content.decode() and "更晚的结束时间" in refused.content.decode()
    fair.refresh_from_db()
    assert fair.ends_at == at(10, 11, 30)
    assert fair.sessions.get().ends_at == at(10, 11, 30)
    assert Notification.objects.filter(kind="event_changed").count() == told


def test_an_end_before_the_start_is_refused_and_changes_nothing(world, fair, client_for):
    admin = client_for(world.community_admin)
    bad = admin.post(
        edit_url(fair),
        form_of(fair, title="改过的名字", starts_at=local(at(11, 9)), ends_at=local(at(11, 8))),
    )
    assert bad.status_code == 400
    assert "结束时间必须晚于开始时间" in bad.content.decode()
    empty = admin.post(edit_url(fair), form_of(fair, title="  "))
    assert empty.status_code == 400
    fair.refresh_from_db()
    assert (fair.title, fair.starts_at, fair.ends_at) == ("红色便民集市", at(10, 9), at(10, 12))
    assert not Notification.objects.filter(kind="event_changed").exists()


def test_times_stay_once_someone_checked_in(world, fair, client_for):
    session = fair.sessions.get()
    Attendance.objects.create(
        street=world.street,
        session=session,
        member=member_of(world),
        checked_in_at=at(10, 9),
        proof=Attendance.Proof.STAFF,
    )
    admin = client_for(world.community_admin)
    data = form_of(fair, starts_at=local(at(11, 9)), ends_at=local(at(11, 12)))
    refused = admin.post(edit_url(fair), {**data, "confirm": "x"})
    assert refused.status_code == 400
    fair.refresh_from_db()
    assert fair.starts_at == at(10, 9)
    assert EventSession.objects.get(pk=session.pk).starts_at == at(10, 9)


def test_only_the_events_admins_may_change_it(world, fair, client_for):
    data = form_of(fair, title="别人改的")
    assert client_for(world.outsider).get(edit_url(fair)).status_code == 404
    assert client_for(world.outsider).post(edit_url(fair), data).status_code == 404
    assert client_for(world.member).post(edit_url(fair), data).status_code == 403
    assert client_for(world.resident).get(edit_url(fair)).status_code == 403
    fair.refresh_from_db()
    assert fair.title == "红色便民集市"
    street_admin = client_for(world.street_admin)
    assert street_admin.post(edit_url(fair), form_of(fair, title="街道改的")).status_code == 302
    fair.refresh_from_db()
    assert fair.title == "街道改的"


def test_a_community_admin_cannot_move_the_event_to_another_community(world, fair, client_for):
    admin = client_for(world.community_admin)
    moved = admin.post(edit_url(fair), form_of(fair, community=world.neighbour.pk))
    assert moved.status_code == 400
    street_wide = admin.post(edit_url(fair), form_of(fair, community=""))
    assert street_wide.status_code == 400
    fair.refresh_from_db()
    assert fair.community_id == world.community.pk


def test_the_texts_are_in_the_sites_language_whoever_changes_it(world, fair, client_for):
    admin = client_for(world.community_admin)
    admin.post("/i18n/setlang/", {"language": "en", "next": "/"})
    data = form_of(fair, starts_at=local(at(12, 9)), ends_at=local(at(12, 12)))
    preview = admin.post(edit_url(fair), data)
    assert "will be told" in preview.content.decode()
    admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    titles = Notification.objects.filter(kind="event_changed").values_list("title", flat=True)
    assert len(titles) == 3 and all("有变动" in t for t in titles)


def test_a_resident_without_an_account_gets_the_change_by_text(world, fair, client_for):
    """A registered resident has only a number: the change must be a kind the SMS senders
    send (notify.kinds.TEXTS), not one they skip for want of a template."""
    admin = client_for(world.community_admin)
    data = form_of(fair, starts_at=local(at(11, 9)), ends_at=local(at(11, 12)))
    preview = admin.post(edit_url(fair), data)
    admin.post(edit_url(fair), {**data, "confirm": confirm_key(preview)})
    notifications_send()
    text = Delivery.objects.get(notification__phone="13812345678", channel="sms")
    assert text.status == Delivery.Status.LOGGED
    assert text_params(text.notification)["event"] == "红色便民集市"
    # A long title and a place's long name are cut to what a gateway takes (Huawei Cloud's
    # text variables hold 20 characters), not refused by it.
    text.notification.params["event"] = "江海街道二〇二六年秋季红色便民服务集市暨志愿服务展示活动"
    cut = text_params(text.notification)
    assert (
        cut["event"] == "江海街道二〇二六年秋季红色便民服务集市…"
        and len(cut["event"]) == PARAM_MOST
    )
    assert all(len(value) <= PARAM_MOST for value in cut.values())


# --- cancelling (取消活动) ---------------------------------------------------------------------


def cancel_url(event) -> str:
    return reverse("console:teams:event_cancel", args=[event.pk])


def test_an_admin_cancels_a_fair_and_everyone_is_told_once_why(world, fair, client_for):
    """Rain on the day of a fair: the admin had no way to call it off but to move it (left
    alone in session 29's note). The page says who will be told; the reason is asked for;
    each person is told once, in the site's language, by a kind the SMS senders send."""
    admin = client_for(world.community_admin)
    page = admin.get(reverse("console:teams:event", args=[fair.pk])).content.decode()
    assert f'href="{cancel_url(fair)}"' in page
    asked = admin.get(cancel_url(fair)).content.decode()
    assert 'data-people-told="3"' in asked and "data-cancel-event" in asked
    before = Notification.objects.count()
    for reason in ["", "   ", "雨" * 101]:  # no reason, or one too long for a text
        refused = admin.post(cancel_url(fair), {"reason": reason})
        assert refused.status_code == 400
    fair.refresh_from_db()
    assert fair.cancelled_at is None and Notification.objects.count() == before

    done = admin.post(cancel_url(fair), {"reason": "因降雨，集市取消，改期另行通知。"})
    assert done.status_code == 302
    assert done["Location"] == reverse("console:teams:event", args=[fair.pk])
    fair.refresh_from_db()
    assert (
        fair.cancelled_at is not None and fair.cancel_reason == "因降雨，集市取消，改期另行通知。"
    )
    told = list(Notification.objects.filter(kind="event_cancelled").order_by("pk"))
    assert len(told) == 3 == Notification.objects.count() - before
    assert [n.user_id for n in told if n.user_id] == [member_of(world).user_id]
    assert sorted(n.phone for n in told if not n.user_id) == ["13655556666", "13812345678"]
    for n in told:
        assert n.title == "“红色便民集市”已取消：因降雨，集市取消，改期另行通知。"
        assert n.params == {
            "event": "红色便民集市",
            "when": f"{at(10, 9).month}月{at(10, 9).day}日 09:00–12:00",
        }
    [to_member] = [n for n in told if n.user_id]
    assert to_member.url == reverse("teams:my_events") and "家电维修" in to_member.body
    [to_resident] = [n for n in told if n.phone == "13812345678"]
    assert to_resident.url == reverse("teams:event", args=[world.street.slug, fair.slug])
    notifications_send()
    text = Delivery.objects.get(notification__phone="13812345678", channel="sms")
    assert text.status == Delivery.Status.LOGGED
    # The record stays: who signed up and registered, with the event, marked.
    assert SignUp.objects.filter(shift__session__event=fair).count() == 3
    assert Registration.objects.filter(session__event=fair).count() == 2
    # Sent again (a double tap after the redirect was lost): refused, nobody told twice.
    again = admin.post(cancel_url(fair), {"reason": "因降雨"})
    assert again.status_code == 400 and "已取消" in again.content.decode()
    assert Notification.objects.filter(kind="event_cancelled").count() == 3
    shown = admin.get(reverse("console:teams:event", args=[fair.pk])).content.decode()
    assert "data-event-cancelled" in shown and "因降雨，集市取消" in shown
    assert f'href="{cancel_url(fair)}"' not in shown and f'href="{edit_url(fair)}"' not in shown
    listed = admin.get(reverse("console:teams:events")).content.decode()
    assert "data-cancelled" in listed.split(f'data-event="{fair.pk}"', 1)[1].split("</tr>", 1)[0]


def test_nothing_more_happens_at_a_cancelled_event(world, fair, client_for, client):
    member = member_of(world)
    since = timezone.now()
    assert len(member_shift_entries(member, since=since)) == 2
    period = Period(timezone.localdate(), timezone.localdate() + dt.timedelta(days=30))
    assert event_rows(Scope(street_id=world.street.pk), period)[0][1] == 1
    event_changes.event_cancel(event=fair, reason="场地临时征用")
    fair.refresh_from_db()
    session, booth = fair.sessions.get(), fair.booths.get()
    shift = Shift.objects.filter(session=session).first()
    refused = [
        lambda: events.registration_submit(
            session=session, name="李明", phone="13611112222", consent=True
        ),
        lambda: events.shift_signup(shift=shift, member=new_member(world, "13700001111", "张伟")),
        lambda: events.session_add(event=fair, starts_at=at(11, 9), ends_at=at(11, 12)),
        lambda: events.booth_add(event=fair, name="理发", category=booth.category),
        lambda: events.shift_add(
            session=session, role="引导", starts_at=at(10, 9), ends_at=at(10, 10)
        ),
        lambda: services.queue_ticket_take(booth=booth, client_key="phone-key"),
        lambda: events.attendance_scan(
            session=session,
            member=member,
            code=events.session_code(session=session, at=at(10, 9)),
            now=at(10, 9),
        ),
        lambda: events.event_write_up(event=fair, write_up="很成功"),
        lambda: event_changes.event_cancel(event=fair, reason="再取消一次"),
    ]
    for attempt in refused:
        with pytest.raises(services.TeamError, match="场地临时征用"):
            attempt()
    # Nobody is shown a way to do it, nobody's schedule keeps it, no figure counts it.
    assert member_shift_entries(member, since=since) == []
    assert event_rows(Scope(street_id=world.street.pk), period)[0][1] == 0
    public = client.get(reverse("teams:event", args=[world.street.slug, fair.slug]))
    body = public.content.decode()
    assert "data-event-cancelled" in body and "场地临时征用" in body
    register = reverse("teams:session_register", args=[world.street.slug, fair.slug, session.pk])
    assert register not in body and "hx-get" not in body
    form = client.get(register).content.decode()
    assert "data-event-cancelled" in form and "data-register>" not in form
    booth_page = reverse("teams:booth", args=[world.street.slug, fair.slug, booth.pk])
    assert "data-take" not in client.get(booth_page).content.decode()
    listing = client.get(reverse("teams:events", args=[world.street.slug])).content.decode()
    assert "data-cancelled" in listing
    mine = client_for(member.user).get(reverse("teams:my_events")).content.decode()
    assert "data-event-cancelled" in mine and "data-checkin-link" not in mine
    admin = client_for(world.community_admin)
    edit = admin.post(edit_url(fair), form_of(fair, title="红色便民集市（改期）"))
    assert edit.status_code == 400 and "场地临时征用" in edit.content.decode()
    write_up = admin.post(reverse("console:teams:event", args=[fair.pk]), {"write_up": "很成功"})
    assert write_up.status_code == 400
    drafted = admin.post(reverse("diary:from_event", args=[fair.pk]))
    assert drafted.status_code == 302 and not Article.objects.exists()
    fair.refresh_from_db()
    assert fair.title == "红色便民集市" and fair.write_up == ""
    assert fair.sessions.count() == 1 and fair.booths.count() == 1


def test_an_event_under_way_or_over_is_not_cancelled(world, fair):
    session = fair.sessions.get()
    Attendance.objects.create(
        street=world.street,
        session=session,
        shift=Shift.objects.filter(session=session).first(),
        member=member_of(world),
        checked_in_at=at(10, 9),
        proof=Attendance.Proof.CODE,
    )
    with pytest.raises(services.TeamError, match="已有人签到"):
        event_changes.event_cancel(event=fair, reason="因降雨")
    Attendance.objects.all().delete()
    Event.objects.filter(pk=fair.pk).update(starts_at=at(-2, 9), ends_at=at(-2, 12))
    with pytest.raises(services.TeamError, match="已结束"):
        event_changes.event_cancel(event=fair, reason="因降雨")
    fair.refresh_from_db()
    assert fair.cancelled_at is None
    assert not Notification.objects.filter(kind="event_cancelled").exists()
