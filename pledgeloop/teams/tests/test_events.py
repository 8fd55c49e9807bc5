"""Events: sign-ups, attendance by the session's changing code (service records, counted
once), booth services as reviewed records, residents' registration (capacity, double tap),
on-order sessions counted once, and the console's scope."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image

from pledgeloop.diary.models import Article
from pledgeloop.lib.moments import format_moment, format_span
from pledgeloop.lib.qr import qr_png, qr_svg
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import age, member_of, new_member
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.services import site_create
from pledgeloop.people.models import Consent
from pledgeloop.reviews.models import Review
from pledgeloop.service import services as service_services
from pledgeloop.service.models import ServiceRecord
from pledgeloop.stats import definitions
from pledgeloop.stats.periods import Period
from pledgeloop.stats.scope import Scope
from pledgeloop.teams import events, services
from pledgeloop.teams.models import (
    Attendance,
    Event,
    EventPhoto,
    EventSession,
    QueueTicket,
    Registration,
)
from pledgeloop.teams.project_forms import EventLinkForm

from .helpers import course_in, position_in, school_order_taken, team_with_leaders

pytestmark = pytest.mark.django_db


def hours_ago(h: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=h)


def photo_file():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="fair.jpg")


def around_today() -> Period:
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1))


def repairs(world) -> Category:
    return Category.objects.get(street=world.street, code="repairs")


@pytest.fixture
def fair(world):
    """A fair that began four hours ago, with a repair booth and a 3-hour shift there."""
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        starts_at=hours_ago(4),
        ends_at=hours_ago(0.5),
    )
    booth = events.booth_add(event=event, name="家电维修", category=repairs(world))
    session = event.sessions.get()
    shift = events.shift_add(
        session=session, booth=booth, starts_at=hours_ago(4), ends_at=hours_ago(1)
    )
    return event, session, booth, shift


def scan(session, member, at):
    return events.attendance_scan(
        session=session,
        member=member,
        code=events.session_code(session=session, at=at),
        now=at,
    )


def test_attendance_by_the_code_becomes_a_verified_record_of_the_shift(world, fair):
    _event, session, _booth, shift = fair
    member = member_of(world)
    with pytest.raises(services.TeamError):  # not signed up yet
        scan(session, member, hours_ago(4))
    with pytest.raises(services.TeamError):  # too late to sign up for a shift that is over
        events.shift_signup(shift=shift, member=member)
    # (the sign-up made before the fair)
    shift.signups.create(street=world.street, member=member)
    scan(session, member, hours_ago(4.2))  # arrived early
    attendance = scan(session, member, hours_ago(0.6))  # left after the shift's end
    record = attendance.record
    assert attendance.hours == Decimal("3.00")  # the shift's 3 h, not the 3.6 h stay
    assert record.verification == ServiceRecord.Verification.VERIFIED
    assert record.evidence == ServiceRecord.Evidence.SITE_SCREEN
    assert list(record.members.all()) == [member] and record.category == repairs(world)
    period = around_today()
    assert definitions.service_hours(Scope(street_id=world.street.pk), period) == Decimal("3.00")
    with pytest.raises(services.TeamError):
        scan(session, member, hours_ago(0.55))  # a third scan changes nothing


def test_a_wrong_or_old_code_is_refused(world, fair):
    _event, session, _booth, shift = fair
    member = member_of(world)
    shift.signups.create(street=world.street, member=member)
    with pytest.raises(services.TeamError):
        events.attendance_scan(session=session, member=member, code="000000", now=hours_ago(4))
    stale = events.session_code(session=session, at=hours_ago(3))
    with pytest.raises(services.TeamError):
        events.attendance_scan(session=session, member=member, code=stale, now=hours_ago(2))
    assert not Attendance.objects.exists()


def test_attendance_covered_by_an_orders_record_is_not_counted_twice(world, fair):
    _event, session, _booth, shift = fair
    member = member_of(world)
    shift.signups.create(street=world.street, member=member)
    # The member served an order at the fair during their shift: its record counts the time.
    order_record = service_services.service_record_create(
        members=[member],
        started_at=hours_ago(3.5),
        ended_at=hours_ago(2.5),
        hours=Decimal("1"),
        by=world.community_admin,
    )
    before = ServiceRecord.objects.count()
    scan(session, member, hours_ago(4))
    attendance = scan(session, member, hours_ago(1))
    assert attendance.record is None and attendance.covered_by == order_record
    assert ServiceRecord.objects.count() == before
    period = around_today()
    assert definitions.service_hours(Scope(street_id=world.street.pk), period) == Decimal("1")


def test_a_volunteers_hours_stay_off_the_party_member_figures(world, fair, client_for):
    _event, session, _booth, shift = fair
    volunteer = services.volunteer_register(
        street=world.street,
        community=world.community,
        name="外卖小哥",
        phone="13512345678",
        consent=True,
        source="console",
    )
    shift.signups.create(street=world.street, volunteer=volunteer)
    attendance = events.attendance_mark_volunteer(session=session, volunteer=volunteer)
    assert attendance.hours == Decimal("3.00") and attendance.record is None
    period = around_today()
    assert definitions.participants(Scope(street_id=world.street.pk), period) == 0
    # the console's event page names them in Chinese punctuation: 外卖小哥 （志愿者）, and a
    # shift's time then its people after a full-width colon (it read "(志愿者)", "11:30: ")
    page = (
        client_for(world.community_admin)
        .get(reverse("console:teams:event", args=[_event.pk]))
        .content.decode()
    )
    assert page.count("外卖小哥 （志愿者）") == 2 and "(志愿者)" not in page
    assert re.search(r"\d\d:\d\d：外卖小哥", page)
    english = client_for(world.community_admin)
    english.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = english.get(reverse("console:teams:event", args=[_event.pk])).content.decode()
    assert re.search(r"(\d|m\.): 外卖小哥", page) and "外卖小哥 (volunteer)" in page


def test_serving_a_number_makes_a_record_the_resident_can_review(world, fair, client):
    _event, _session, booth, shift = fair
    worker = member_of(world)
    shift.signups.create(street=world.street, member=worker)
    url = reverse("teams:booth", args=[world.street.slug, booth.event.slug, booth.pk])
    client.get(url)
    client.post(url)
    ticket = QueueTicket.objects.get(booth=booth)
    QueueTicket.objects.filter(pk=ticket.pk).update(taken_at=hours_ago(2))
    outsider = new_member(world, "13600009999", "路人")
    with pytest.raises(services.TeamError):
        events.queue_ticket_serve(ticket=ticket, worker=outsider)
    served = events.queue_ticket_serve(ticket=ticket, worker=worker)
    record = served.record
    assert record.category == repairs(world) and record.community == world.community
    assert not record.members.exists()  # the worker's hours are their shift's
    page = client.get(url).content.decode()
    link = service_services.review_link_for(record)
    assert link in page
    review_page = client.get(link)
    assert review_page.status_code == 200
    answer = client.post(link, {"rating": "5", "hours_right": "yes", "comment": "修好了"})
    assert answer.status_code in (200, 302)
    assert Review.objects.filter(record=record, rating=5).exists()


@pytest.fixture
def course(world):
    start = timezone.now() + dt.timedelta(days=1)
    return course_in(world, "残疾人就业技能培训", start, hours=3, capacity=2).sessions.get()


def register_url(session):
    event = session.event
    return reverse("teams:session_register", args=[event.street.slug, event.slug, session.pk])


def test_registration_double_tap_gives_one_and_capacity_is_kept(world, course, client):
    data = {"name": "李明", "phone": "13611112222", "consent": "on"}
    first = client.post(register_url(course), data)
    again = client.post(register_url(course), data)
    assert first.status_code == again.status_code == 200
    assert "data-registered" in again.content.decode()
    assert Registration.objects.filter(session=course).count() == 1
    assert Consent.objects.filter(phone="13611112222", purpose="data_use").exists()
    client.post(register_url(course), {"name": "王芳", "phone": "13611113333", "consent": "on"})
    full = client.post(
        register_url(course), {"name": "赵强", "phone": "13611114444", "consent": "on"}
    )
    assert full.status_code == 400 and "满" in full.content.decode()
    assert Registration.objects.filter(session=course).count() == 2


def test_a_full_session_is_shown_full_and_points_to_the_others(world, course, client):
    """A full session was still offered (报名 on the event's page, a form under 剩余0个名额),
    and its refusal said only that it was full (session 26's third walk)."""
    event = course.event
    morning = EventSession.objects.create(
        street=world.street,
        event=event,
        label="上午场",
        starts_at=course.starts_at - dt.timedelta(hours=4),
        ends_at=course.starts_at - dt.timedelta(hours=2),
        capacity=2,
    )
    for n, name in enumerate(["李明", "王芳"]):
        client.post(
            register_url(course), {"name": name, "phone": f"1361111222{n}", "consent": "on"}
        )
    page = client.get(reverse("teams:event", args=[event.street.slug, event.slug])).content
    listed = page.decode().split(f'data-session="{course.pk}"', 1)[1].split("</li>", 1)[0]
    assert "data-full" in listed and register_url(course) not in listed
    assert register_url(morning) in page.decode()
    full = Client().get(register_url(course)).content.decode()  # a third resident's phone
    assert "data-register" not in full and "名额已满" in full
    assert register_url(morning) in full  # the morning still has places
    assert reverse("teams:event", args=[event.street.slug, event.slug]) in full


def test_a_returning_resident_sees_their_registration_not_a_blank_form(world, course, client):
    """A resident back on the session's page saw the blank form as if they had not registered
    (user walk 27): the browser they registered on keeps a signed cookie with the
    registration's id alone, and the page says 您已报名 with the session, its time and
    place and whom to call to cancel. Another browser still gets the form, and the same number
    again is answered as before (the first registration)."""
    Event.objects.filter(pk=course.event_id).update(
        place=position_in(world, "外国语学校", kind=Site.Kind.SCHOOL)
    )
    world.community.phone = "0513-8350 1001"
    world.community.save(update_fields=["phone"])
    data = {"name": "李明", "phone": "13611112222", "consent": "on"}
    assert client.post(register_url(course), data).status_code == 200
    registration = Registration.objects.get(session=course)
    kept = [c.value for c in client.cookies.values() if c.value.startswith(f"{registration.pk}:")]
    assert len(kept) == 1 and "13611112222" not in kept[0] and "李明" not in kept[0]

    back = client.get(register_url(course))
    body = back.content.decode()
    assert back.status_code == 200
    assert "您已报名" in body and "data-register>" not in body
    place = body.split("data-registered-for", 1)[1].split("</dl>", 1)[0]
    assert format_span(course.starts_at, course.ends_at) in place and "外国语学校" in place
    assert "136****2222" in body and "13611112222" not in body
    assert 'href="tel:051383501001"' in body  # to cancel

    elsewhere = Client()
    assert "data-register>" in elsewhere.get(register_url(course)).content.decode()
    again = elsewhere.post(register_url(course), data)  # the same person, another browser
    assert again.status_code == 200 and "data-registered" in again.content.decode()
    assert Registration.objects.filter(session=course).count() == 1
    # Someone else typing that number learns neither the name nor the registration, and
    # keeps no cookie of it.
    nosy = Client()
    answer = nosy.post(register_url(course), {**data, "name": "王强"}).content.decode()
    assert "data-number-taken" in answer and "data-registered" not in answer
    assert "李明" not in answer and "136****2222" not in answer
    assert not any(c.value.startswith(f"{registration.pk}:") for c in nosy.cookies.values())
    assert "data-register>" in nosy.get(register_url(course)).content.decode()
    assert Registration.objects.filter(session=course).count() == 1
    # a forged or another session's cookie is no one's registration
    stranger = Client()
    stranger.cookies[next(k for k, c in client.cookies.items() if c.value in kept)] = (
        f"{registration.pk}"
    )
    assert "data-register>" in stranger.get(register_url(course)).content.decode()


def withdraw_url(session):
    event = session.event
    return reverse("teams:session_withdraw", args=[event.street.slug, event.slug, session.pk])


def test_a_resident_who_cannot_come_cancels_and_the_place_goes_to_someone_else(
    world, course, client
):
    """A resident who could not come had only a number to call, and a full session stayed
    full (left alone in session 29's note). The browser they registered on cancels it, with a
    box ticked as for an order; the place is free at once, and the browser forgets the
    registration. No other browser cancels it, and nobody once the session has begun."""
    data = {"name": "李明", "phone": "13611112222", "consent": "on"}
    client.post(register_url(course), data)
    Client().post(register_url(course), {"name": "王芳", "phone": "13611113333", "consent": "on"})
    waiting = Client()
    assert "data-full" in waiting.get(register_url(course)).content.decode()
    mine = Registration.objects.get(session=course, phone="13611112222")

    page = client.get(register_url(course)).content.decode()
    assert "data-withdraw" in page and withdraw_url(course) in page
    unticked = client.post(withdraw_url(course), {})
    assert unticked.status_code == 400
    assert "请勾选确认" in unticked.content.decode() and "您已报名" in unticked.content.decode()
    assert Registration.objects.filter(pk=mine.pk).exists()
    # no registration in this browser, or another session's cookie forged: nothing to cancel
    for stranger in (Client(), waiting):
        assert stranger.post(withdraw_url(course), {"confirm": "on"}).status_code == 302
    forged = Client()
    forged.cookies[f"registered-{course.pk}"] = str(mine.pk)
    forged.post(withdraw_url(course), {"confirm": "on"})
    assert Registration.objects.filter(pk=mine.pk).exists()

    cancelled = client.post(withdraw_url(course), {"confirm": "on"})
    assert cancelled.status_code == 302 and cancelled["Location"] == register_url(course)
    assert not Registration.objects.filter(pk=mine.pk).exists()
    assert Registration.objects.filter(session=course).count() == 1
    assert Consent.objects.filter(phone="13611112222").exists()  # withdrawn only at /my/
    assert client.cookies[f"registered-{course.pk}"].value == ""
    after = client.get(register_url(course)).content.decode()
    assert "已取消报名" in after and "data-register>" in after and "您已报名" not in after
    # the one waiting takes the place
    taken = waiting.post(
        register_url(course), {"name": "赵强", "phone": "13611114444", "consent": "on"}
    )
    assert taken.status_code == 200 and "data-registered" in taken.content.decode()


def test_once_the_session_has_begun_the_resident_calls_instead(world, course, client):
    world.community.phone = "0513-8350 1001"
    world.community.save(update_fields=["phone"])
    client.post(register_url(course), {"name": "李明", "phone": "13611112222", "consent": "on"})
    EventSession.objects.filter(pk=course.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5)
    )
    page = client.get(register_url(course)).content.decode()
    assert "data-withdraw" not in page and "如不能参加，请致电社区取消报名" in page
    refused = client.post(withdraw_url(course), {"confirm": "on"})
    assert refused.status_code == 400 and "活动已开始" in refused.content.decode()
    assert Registration.objects.filter(session=course).count() == 1
    with pytest.raises(services.TeamError):
        events.registration_withdraw(registration=Registration.objects.get(session=course))


def test_registration_without_consent_stores_nothing(world, course, client):
    refused = client.post(register_url(course), {"name": "李明", "phone": "13611112222"})
    assert refused.status_code == 400
    assert not Registration.objects.exists() and not Consent.objects.filter(phone="13611112222")


def test_an_on_order_session_counts_as_one_on_order_service(world):
    order, heads = school_order_taken(world)
    order = age(order, hours=6)
    event = events.on_order_event_create(
        order=order, title="垃圾分类进校园", starts_at=hours_ago(4), ends_at=hours_ago(1)
    )
    session = event.sessions.get()
    shift = session.shifts.get()
    helper = member_of(world)
    shift.signups.create(street=world.street, member=helper)
    for person in (heads[0], helper):
        scan(session, person, hours_ago(4.1))
        scan(session, person, hours_ago(0.9))
    order.refresh_from_db()
    assert order.state == Order.State.DONE
    records = ServiceRecord.objects.filter(event_attendance__session=session)
    assert records.count() == 2 and records.filter(order=order).count() == 1
    period = around_today()
    scope = Scope(street_id=world.street.pk)
    assert definitions.on_order_services(scope, period) == 1
    assert definitions.service_hours(scope, period) == Decimal("6")


def test_place_order_link_needs_its_key(world, client):
    position = position_in(world, "外国语学校", kind=Site.Kind.SCHOOL)
    good = reverse(
        "teams:place_order", args=[world.street.slug, position.pk, events.place_order_key(position)]
    )
    assert client.get(good).status_code == 200
    bad = reverse("teams:place_order", args=[world.street.slug, position.pk, "guess"])
    assert client.get(bad).status_code == 404


def test_the_console_gives_each_place_its_whole_order_link_with_a_code_to_print(
    world, client, client_for
):
    """The page listed paths (/events/…/order/…) under "for their QR codes": no code, and a
    path no phone can open; on a phone the 60-character key ran off the screen."""
    position = position_in(world, "外国语学校", kind=Site.Kind.SCHOOL)
    html = (
        client_for(world.community_admin).get(reverse("console:teams:place_order")).content.decode()
    )
    item = html.split(f'data-place="{position.pk}"')[1].split("</li>")[0]
    [url] = [u for u in item.split('"') if u.startswith("http://testserver/events/")]
    assert f'<a href="{url}">{url}</a>' in item and qr_svg(url, title="外国语学校") in item
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))
    assert code.text == url
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_another_communitys_admin_cannot_see_or_change_the_event(world, fair, client_for):
    event, session, _booth, _shift = fair
    client = client_for(world.outsider)
    assert client.get(reverse("console:teams:event", args=[event.pk])).status_code == 404
    post = client.post(
        reverse("console:teams:event_add", args=[event.pk, "session"]),
        {"starts_at": "2026-03-05T09:00", "ends_at": "2026-03-05T12:00"},
    )
    assert post.status_code == 404
    screen = reverse("console:teams:session_screen", args=[event.pk, session.pk])
    assert client.get(screen).status_code == 404
    own = client_for(world.community_admin)
    assert own.get(reverse("console:teams:event", args=[event.pk])).status_code == 200
    page = own.get(screen).content.decode()
    assert events.session_code(session=session) in page


def test_a_write_up_becomes_a_diary_draft_with_only_consented_photos(world, fair, client_for):
    event, session, _booth, shift = fair
    member = member_of(world)
    shift.signups.create(street=world.street, member=member)
    scan(session, member, hours_ago(4.1))
    scan(session, member, hours_ago(0.9))
    events.event_write_up(event=event, write_up="八个摊位前排起长队。")
    shown = EventPhoto.objects.create(
        street=world.street, event=event, image=photo_file(), consent_confirmed=True
    )
    hidden = EventPhoto.objects.create(street=world.street, event=event, image=photo_file())
    outsider = client_for(world.outsider)
    url = reverse("diary:from_event", args=[event.pk])
    assert outsider.post(url).status_code == 404
    admin = client_for(world.community_admin)
    assert admin.post(url).status_code == 302
    article = Article.objects.get(street=world.street, title="红色便民集市")
    assert article.state == Article.State.DRAFT
    assert "八个摊位前排起长队。" in article.body and "3" in article.body
    assert reverse("teams:event_photo", args=[shown.pk]) in article.body
    assert reverse("teams:event_photo", args=[hidden.pk]) not in article.body
    assert admin.get(reverse("teams:event_photo", args=[hidden.pk])).status_code == 404


def test_an_admin_builds_an_event_in_the_console(world, client_for):
    admin = client_for(world.community_admin)
    assert admin.get(reverse("console:teams:events")).status_code == 200
    bad = admin.post(
        reverse("console:teams:event_new"),
        {
            "community": world.community.pk,
            "kind": "course",
            "title": "技能培训",
            "starts_at": "2027-03-17T09:00",
            "ends_at": "2027-03-17T08:00",
        },
    )
    assert bad.status_code == 400 and not Event.objects.exists()
    made = admin.post(
        reverse("console:teams:event_new"),
        {
            "community": world.community.pk,
            "kind": "course",
            "title": "技能培训",
            "starts_at": "2027-03-17T09:00",
            "ends_at": "2027-03-17T12:00",
            "capacity": "35",
            "registration": "on",
        },
    )
    event = Event.objects.get()
    assert made.status_code == 302 and event.sessions.count() == 1
    add = reverse("console:teams:event_add", args=[event.pk, "session"])
    admin.post(
        add, {"label": "第2天", "starts_at": "2027-03-18T09:00", "ends_at": "2027-03-18T12:00"}
    )
    assert event.sessions.count() == 2
    event.refresh_from_db()
    assert timezone.localtime(event.ends_at).day == 18
    session = event.sessions.order_by("starts_at").first()
    shift = reverse("console:teams:event_add", args=[event.pk, "shift"])
    admin.post(
        shift,
        {
            "session": session.pk,
            "role": "助教",
            "starts_at": "2027-03-17T09:00",
            "ends_at": "2027-03-17T12:00",
            "places": "2",
        },
    )
    assert session.shifts.count() == 1
    page = admin.get(reverse("console:teams:event", args=[event.pk])).content.decode()
    assert "助教" in page and "第2天" in page
    assert admin.get(reverse("console:teams:place_order")).status_code == 200
    member = client_for(world.member)
    mine = member.get(reverse("teams:my_events")).content.decode()
    assert f'data-shift="{session.shifts.get().pk}"' in mine


def test_a_place_orders_by_its_qr_and_the_console_plans_the_teams_session(
    world, client, client_for
):
    team, heads = team_with_leaders(world)
    mall = site_create(
        community=world.community,
        kind=Site.Kind.MALL,
        name="奥特莱斯",
        latitude=Decimal("31.9"),
        longitude=Decimal("120.9"),
    )
    position = services.position_create(site=mall)
    url = reverse(
        "teams:place_order", args=[world.street.slug, position.pk, events.place_order_key(position)]
    )
    sent = client.post(
        url,
        {
            "category": Category.objects.get(street=world.street, code="legal").pk,
            "description": "周末给商户做反诈宣传",
            "contact_name": "商场办公室",
            "phone": "13633334444",
            "consent": "on",
        },
    )
    assert sent.status_code == 200 and "data-ordered" in sent.content.decode()
    order = Order.objects.get(site=mall)
    assert order.channel == Order.Channel.QR and order.state == Order.State.SUBMITTED
    order = order_services.order_triage(order=order, by=world.community_admin)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=heads[1])
    admin = client_for(world.community_admin)
    detail = admin.get(reverse("console:order_detail", args=[order.pk])).content.decode()
    assert "data-plan-session" in detail
    plan = reverse("console:teams:on_order_event", args=[order.pk])
    later = timezone.localtime() + dt.timedelta(days=2)
    made = admin.post(
        plan,
        {
            "title": "商场反诈宣传",
            "starts_at": later.strftime("%Y-%m-%dT14:00"),
            "ends_at": later.strftime("%Y-%m-%dT16:00"),
        },
    )
    event = Event.objects.get(order=order)
    assert made.status_code == 302 and event.place == position and event.team == team
    assert event.sessions.get().shifts.get().signups.get().member == heads[1]
    again = admin.post(
        plan, {"title": "x", "starts_at": "2027-01-01T09:00", "ends_at": "2027-01-01T10:00"}
    )
    assert again.status_code == 400 and Event.objects.filter(order=order).count() == 1


def test_the_desks_event_page_reads_plainly_and_shows_its_mistakes(world, fair, client_for):
    """Session 26's third walk on the desk's event page: the day written twice in its time
    ("2026年12月10日 09:00–2026年12月10日 16:00"); a session's name labelled 姓名 and an
    unnamed one shown as "2026-12-10 09:00"; a refused session (its end before its start)
    came back with its form folded away, the mistake out of sight."""
    event, session, _booth, _shift = fair
    admin = client_for(world.community_admin)
    page = admin.get(reverse("console:teams:event", args=[event.pk])).content.decode()
    assert format_span(event.starts_at, event.ends_at) in page
    if timezone.localtime(event.starts_at).date() == timezone.localtime(event.ends_at).date():
        assert page.count(date_format(timezone.localtime(event.starts_at), "DATE_FORMAT")) >= 1
        assert f"–{timezone.localtime(event.ends_at):%H:%M}" in page
    assert "场次名称" in page
    assert str(session) == (session.label or format_moment(session.starts_at))
    start = timezone.localtime(event.starts_at)
    refused = admin.post(
        reverse("console:teams:event_add", args=[event.pk, "session"]),
        {
            "starts_at": f"{start:%Y-%m-%dT%H:%M}",
            "ends_at": f"{start - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
        },
    )
    assert refused.status_code == 400
    folded = re.search(r"<details([^>]*)><summary>添加场次", refused.content.decode())
    assert folded and "open" in folded.group(1)


def test_a_member_marks_a_number_served_with_a_button_that_says_so(world, fair, client_for):
    """The button read 已服务 beside each waiting number, as if each had been served."""
    _event, _session, booth, shift = fair
    shift.signups.create(street=world.street, member=member_of(world))
    services.queue_ticket_take(booth=booth, client_key="resident")
    page = client_for(world.member).get(reverse("teams:booth_serve", args=[booth.pk]))
    text = page.content.decode()
    assert "标记已服务" in text and ">已服务<" not in text
    assert f'href="{reverse("teams:my_events")}"' in text


def test_a_project_links_an_event_named_with_its_day(world, fair):
    """Two fairs of one name (December's and March's) were listed alike in the picker."""
    event = fair[0]
    form = EventLinkForm(events=Event.objects.filter(pk=event.pk))
    (_blank, (_value, label)) = list(form.fields["event"].choices)
    assert (
        label
        == f"{event.title} · {date_format(timezone.localtime(event.starts_at), 'DATE_FORMAT')}"
    )


def test_a_shift_signed_up_for_moves_to_my_shifts(world, client_for):
    """After signing up, the shift stayed under 可报名的班次 with its sign-in and cancel
    buttons (session 26's third walk): it is listed under 我报名的班次 instead."""
    start = timezone.now() + dt.timedelta(days=3)
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
    )
    booth = events.booth_add(event=event, name="法律咨询", category=repairs(world))
    shift = events.shift_add(
        session=event.sessions.get(), booth=booth, starts_at=start, ends_at=event.ends_at
    )
    member = client_for(world.member)
    before = member.get(reverse("teams:my_events")).content.decode()
    assert "data-my-shifts" not in before and f'data-shift="{shift.pk}"' in before
    member.post(reverse("teams:shift_signup", args=[shift.pk]))
    after = member.get(reverse("teams:my_events")).content.decode()
    mine, open_shifts = after.split("data-open-shifts", 1)
    assert "我报名的班次" in mine and f'data-shift="{shift.pk}"' in mine
    assert f'data-shift="{shift.pk}"' not in open_shifts
