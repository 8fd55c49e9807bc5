"""A member logs a pledge visit from "My pledges" on a 360 px phone, in real Chromium."""

import datetime as dt

import pytest
from django.utils import timezone

from pledgeloop.conftest import PHONE, sign_in
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.pledges.tests.conftest import category_of
from pledgeloop.service.models import ServiceRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_logs_a_due_visit_on_a_phone(world, live_server, browser, screenshot_dir):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    pledge = Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=world.member.member,
        category=category_of(world.street),
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_here,
        rrule="FREQ=WEEKLY",
        starts_on=yesterday - dt.timedelta(days=30),
        ends_on=yesterday + dt.timedelta(days=300),
        target_visits=40,
        duration_minutes=60,
        state=Pledge.State.ACTIVE,
    )
    visit = Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=world.member.member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(9, 0))),
        due_on=yesterday,
    )
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.member, then="/me/service/new/")
    page.click("text=是承诺的走访")  # the ad-hoc log page points to the visits due
    page.wait_for_url(f"{live_server.url}/pledges/#due-visits")
    page.click("#due-visits a.button")
    page.wait_for_url(f"{live_server.url}/pledges/visits/{visit.pk}/log/")
    # Filled in from the pledge: only what was done is left to say.
    assert float(page.input_value("#id_hours")) == 1
    assert page.input_value("#id_start") == "09:00"
    assert page.input_value("#id_note") == "每周为独居老人测血压"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the form is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "pledge-visit-log-phone.png"), full_page=True)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/me/service/")
    assert "已登记" in page.locator(".messages").inner_text()
    record = ServiceRecord.objects.get()
    visit.refresh_from_db()
    assert record.visit == visit and visit.state == Visit.State.FULFILLED
    assert record.beneficiary == world.resident_here
    context.close()
