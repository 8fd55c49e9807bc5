"""A member logs a visit with two photos on a 360 px phone, in real Chromium, and the record
shows up."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pledgeloop.conftest import PHONE, sign_in
from pledgeloop.orders.tests.test_browser_resident import photo_with_gps
from pledgeloop.service.models import ServicePhoto, ServiceRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_logs_a_visit_on_a_phone(world, live_server, browser, screenshot_dir):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.member, then="/me/service/new/")
    # Date, start and 1 hour are filled in: only what was done and for whom.
    assert page.input_value("#id_hours") == "1"
    # Yesterday morning: over by now, whatever time the test runs.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    page.fill("#id_day", yesterday.isoformat())
    page.fill("#id_start", "08:00")
    page.fill("#id_beneficiary_q", "wxl")
    page.fill("#id_note", "上门测血压")
    # The photos: one big button in Chinese over the browser's own control (out of sight),
    # then a line naming what was chosen.
    button = page.locator("#photos-button")
    expect(button).to_have_text("拍照或选几张照片")
    expect(page.locator("#photos-remove")).to_be_hidden()
    assert page.locator("#id_photos").bounding_box()["width"] <= 1
    with page.expect_file_chooser() as chooser:
        button.tap()
    assert chooser.value.is_multiple()
    chooser.value.set_files(
        files=[
            {"name": name, "mimeType": "image/jpeg", "buffer": photo_with_gps()}
            for name in ("IMG_0101.jpg", "IMG_0102.jpg")
        ]
    )
    expect(page.locator("#photos-chosen")).to_have_text("已选好照片：IMG_0101.jpgIMG_0102.jpg")
    expect(page.locator("#photos-chosen .photo-name")).to_have_count(2)
    expect(button).to_have_text("重新选照片")
    expect(page.locator("#photos-remove")).to_have_text("不用这些照片")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the form is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "service-log-phone.png"), full_page=True)
    # A day in the future by mistake: the page comes back with the photos kept on the server
    # (lib/photos.py), named, not to be chosen again.
    page.fill("#id_day", (timezone.localdate() + dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    kept = page.locator("#photos-kept")
    expect(kept.locator(".photo-kept-line")).to_have_text("已保留您选的 2 张照片，不用重新选择。")
    expect(kept.locator(".photo-kept-names li")).to_have_count(2)
    expect(kept.locator(".photo-kept-names")).to_contain_text("IMG_0102.jpg（")
    expect(kept.locator("label.tick")).to_have_text("不要这些照片")
    expect(page.locator("#photos-chosen")).to_be_hidden()
    expect(button).to_have_text("重新选照片")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the form is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "service-log-photos-kept-phone.png"), full_page=True)
    page.fill("#id_day", yesterday.isoformat())
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/me/service/")
    assert "上门测血压" in page.content()
    assert "已登记" in page.locator(".messages").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the list is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "service-records-phone.png"), full_page=True)
    record = ServiceRecord.objects.get()
    assert record.beneficiary == world.resident_here and record.verification == "self"
    assert ServicePhoto.objects.filter(record=record).count() == 2
    context.close()


def test_the_desk_ticks_members_with_a_thumb_on_a_phone(world, live_server, browser):
    """Recording service for members without a phone, the desk ticks who served in a list of
    13 px boxes; each row is now a box as large as the forms' other ticks, beside its name,
    and the name ticks it too."""
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.community_admin, then="/console/service/new/")
    boxes = page.locator(".member-choices input[type=checkbox]")
    assert boxes.count() >= 1
    size = boxes.first.bounding_box()
    assert size["width"] >= 20 and size["height"] >= 20, size
    page.locator(".member-choices label").first.click()
    assert boxes.first.is_checked()
    context.close()
