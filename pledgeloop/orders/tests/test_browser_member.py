"""A member claims and finishes an order on a 360 px phone; the admin sees it done. A member
reports a problem found on patrol, with a photo, on a phone."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pledgeloop.conftest import DESKTOP, PHONE, sign_in
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category
from pledgeloop.service.models import ServiceRecord

from .loop import HOME, age, member_of, triaged_order
from .test_browser_resident import photo_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_fits(page, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll}px wide"


def test_member_claims_and_finishes_and_the_admin_sees_it_done(
    world, live_server, browser, screenshot_dir
):
    member = member_of(world)
    member.home_latitude, member.home_longitude = HOME
    member.save()
    order = triaged_order(
        world,
        phone=world.resident_here.phone,
        latitude=HOME[0] + Decimal("0.002"),
        longitude=HOME[1],
        description="楼下王阿姨家水龙头漏水，需要换阀芯",
    )
    width = PHONE["viewport"]["width"]

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, world.member)
    page.goto(f"{live_server.url}/me/orders/nearby/")
    card = page.locator(f'article[data-order="{order.pk}"]')
    assert "水龙头漏水" in card.inner_text()
    assert "分钟" in card.inner_text()
    assert_fits(page, width, "nearby needs")
    page.screenshot(path=str(screenshot_dir / "member-nearby-phone.png"), full_page=True)

    card.locator("button.primary").click()
    page.wait_for_url(f"{live_server.url}/me/orders/{order.pk}/")
    age(order, hours=2)  # the member served for a while after taking it
    page.reload()
    assert "最多可以记 2 小时" in page.inner_text("#finish")
    assert "13812345678" not in page.inner_text(".phone")  # masked until asked for
    page.locator(f'form[action="/me/orders/{order.pk}/phone/"] button[type=submit]').click()
    page.wait_for_url(f"{live_server.url}/me/orders/{order.pk}/phone/")
    assert "13812345678" in page.inner_text(".phone")  # the member who holds it sees it whole
    assert_fits(page, width, "order page")
    page.screenshot(path=str(screenshot_dir / "member-order-taken-phone.png"), full_page=True)

    page.fill("#id_hours", "1.5")
    page.fill("#id_note", "换了阀芯，不漏了")
    page.locator(f'form[action="/me/orders/{order.pk}/finish/"] button[type=submit]').click()
    page.wait_for_url(f"{live_server.url}/me/orders/")
    assert "已完成" in page.inner_text(".messages")
    assert_fits(page, width, "my orders")
    page.screenshot(path=str(screenshot_dir / "member-order-done-phone.png"), full_page=True)
    phone.close()

    order.refresh_from_db()
    assert order.state == Order.State.DONE
    assert ServiceRecord.objects.get(order=order).hours == Decimal("1.5")

    desktop = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desktop.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/console/needs/?state=done")
    row = page.locator(f'tr[data-order="{order.pk}"]')
    assert "已完成" in row.inner_text() and "张三" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "console-needs-done-desktop.png"), full_page=True)
    row.locator("a").first.click()
    page.wait_for_url(f"{live_server.url}/console/orders/{order.pk}/")
    history = page.inner_text(".history")
    for step in ("提交", "受理进入需求清单", "党员认领", "开始服务", "服务完成"):
        assert step in history
    assert "换了阀芯" in page.content()
    assert "138****5678" in page.inner_text(".phone")
    page.screenshot(path=str(screenshot_dir / "console-order-done-desktop.png"), full_page=True)
    desktop.close()


def test_a_member_reports_what_they_found_with_a_photo_on_a_phone(
    world, live_server, browser, screenshot_dir
):
    """The patrol report's photo is one big button in Chinese (the browser's own control out
    of sight); a photo chosen is named, can be taken off and chosen again, and arrives."""
    member_of(world)
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, world.member)
    page.goto(f"{live_server.url}/me/patrol/")
    button = page.locator("#photo-button")
    expect(button).to_have_text("拍照或选一张照片")
    expect(page.locator("#photo-chosen")).to_have_text("还没有选照片。")
    assert page.locator("#id_photo").bounding_box()["width"] <= 1
    for name in ("IMG_0201.jpg", "IMG_0202.jpg"):
        with page.expect_file_chooser() as chooser:
            button.tap()
        assert not chooser.value.is_multiple()
        chooser.value.set_files(
            files=[{"name": name, "mimeType": "image/jpeg", "buffer": photo_with_gps()}]
        )
        expect(page.locator("#photo-chosen")).to_have_text(f"已选好照片：{name}")
        expect(button).to_have_text("换一张照片")
        if name == "IMG_0201.jpg":
            page.locator("#photo-remove").tap()
            expect(page.locator("#photo-chosen")).to_have_text("还没有选照片。")
            expect(page.locator("#photo-remove")).to_be_hidden()
    category = Category.objects.filter(street=world.street).first()
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_description", "小区门口路灯坏了，晚上很黑")
    page.select_option("#id_community", str(world.community.pk))
    assert_fits(page, PHONE["viewport"]["width"], "the patrol report")
    page.screenshot(path=str(screenshot_dir / "member-patrol-photo-phone.png"), full_page=True)

    # Sent without saying where: the page comes back, and the photo is kept on the server
    # (lib/photos.py): named, with a tick to drop it, not to be chosen again.
    with page.expect_navigation():
        page.locator("button[type=submit].primary").tap()
    kept = page.locator("#photo-kept")
    expect(kept.locator(".photo-kept-line")).to_have_text(
        re.compile(r"已保留您选的照片（IMG_0202\.jpg，[\d.]+\sKB），不用重新选择。")
    )
    expect(page.locator("#photo-chosen")).to_be_hidden()
    expect(button).to_have_text("换一张照片")
    assert_fits(page, PHONE["viewport"]["width"], "the patrol report with a kept photo")
    page.screenshot(path=str(screenshot_dir / "member-patrol-photo-kept-phone.png"), full_page=True)
    # A new choice stands for the kept one while it is chosen; taken off, the kept one is back.
    with page.expect_file_chooser() as chooser:
        button.tap()
    chooser.value.set_files(
        files=[{"name": "IMG_0203.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}]
    )
    expect(kept).to_be_hidden()
    expect(page.locator("#photo-chosen")).to_have_text("已选好照片：IMG_0203.jpg")
    page.locator("#photo-remove").tap()
    expect(kept).to_be_visible()
    expect(page.locator("#photo-chosen")).to_be_hidden()

    page.fill("#id_address", "阳光花园北门")
    page.locator("button[type=submit].primary").tap()
    page.wait_for_url(f"{live_server.url}/me/orders/")
    expect(page.locator(".messages")).to_contain_text("星港湾")
    order = Order.objects.get(channel=Order.Channel.PATROL)
    assert order.photo and order.description == "小区门口路灯坏了，晚上很黑"
    phone.close()
