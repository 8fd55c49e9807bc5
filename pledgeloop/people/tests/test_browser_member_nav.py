"""A member's pages on a 360 px phone in Chromium (issue 14, part 6): one menu, the same on
every member page, on one row, every link in it at least 44 px tall; no CSP violation."""

import pytest

from pledgeloop.conftest import PHONE, sign_in
from pledgeloop.orders.tests.loop import dispatched_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER_PAGES = [
    "/me/",
    "/me/orders/",
    "/me/orders/nearby/",
    "/pledges/",
    "/pledges/new/",
    "/pledges/needs/",
    "/me/service/",
    "/me/service/new/",
    "/me/patrol/",
    "/inbox/",
]


def test_the_member_menu_is_one_row_of_big_tabs_on_every_page(
    world, live_server, browser, screenshot_dir
):
    dispatched_order(world, description="楼道灯坏了，晚上看不见")
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None
        ),
    )
    sign_in(page, live_server.url, world.member, then="/me/")
    menus = {}
    for path in MEMBER_PAGES:
        # No member page fetches anything after its load event (no hx-trigger="load"), so
        # the load event is the page whole; "networkidle" waited another 500 ms each.
        page.goto(f"{live_server.url}{path}")
        tabs = page.locator("nav.member-tabs a")
        assert tabs.count() == 5, f"{path}: {tabs.count()} tabs"
        boxes = [tabs.nth(i).bounding_box() for i in range(tabs.count())]
        assert len({round(b["y"]) for b in boxes}) == 1, f"{path}: the tabs wrap"
        for i, box in enumerate(boxes):
            assert box["height"] >= 44 and box["width"] >= 44, f"{path}: tab {i} is {box}"
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360.5, f"{path}: tab {i} off"
        # The top bar is one row too, and its links are as easy to tap.
        bar = page.locator("header.topbar").bounding_box()
        assert bar["height"] <= 60, f"{path}: the top bar is {bar['height']}px tall"
        for link in page.locator("header.topbar .topnav a, header.topbar .topnav button").all():
            box = link.bounding_box()
            assert box["height"] >= 44, f"{path}: {link.inner_text()} is {box['height']}px"
        menus[path] = (
            page.locator("nav.member-tabs").inner_text(),
            page.locator("header.topbar").inner_text(),
        )
        assert _cut_labels(page) == [], f"{path}: tab labels cut short"
        current = page.locator('nav.member-tabs a[aria-current="page"]')
        assert current.count() <= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide"
        name = path.strip("/").replace("/", "-") or "root"
        page.screenshot(path=str(screenshot_dir / f"member-{name}-phone.png"))
    assert len(set(menus.values())) == 1, menus
    page.goto(f"{live_server.url}/me/")
    page.screenshot(path=str(screenshot_dir / "member-home-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/me/service/new/")
    with page.expect_response(lambda response: "beneficiaries" in response.url) as asked:
        page.fill("#id_beneficiary_q", "wxl")  # htmx asks for the matches
    assert asked.value.ok
    assert not violations, violations


def _cut_labels(page) -> list[str]:
    """The tab labels the phone shows only in part (ending in "…")."""
    return page.locator("nav.member-tabs .tab-label").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"
    )


def test_the_member_tabs_read_whole_in_english_on_a_phone(world, live_server, browser):
    """English labels are longer than Chinese ones: "Nearby needs" showed as "Nearby n…",
    and "My pledges" as "My pledg…" on its own page, where the current tab is bold."""
    context = browser.new_context(locale="en-US", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.member, then="/me/")
    labels = page.locator("nav.member-tabs .tab-label").all_inner_texts()
    assert labels[0] == "Home", labels  # the page is in English
    for path in ["/me/", "/me/orders/", "/me/orders/nearby/", "/pledges/", "/me/service/"]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator('nav.member-tabs a[aria-current="page"]').count() == 1, path
        assert _cut_labels(page) == [], f"{path}: {labels}"
    context.close()


# A tile's name, line by line: those whose last line holds a single character alone.
ORPHANS = """() => [...document.querySelectorAll(".tools-grid .tool")].flatMap(tile => {
    const text = tile.querySelector(".tool-name");
    if (!text) return [tile.textContent.trim() + " (no .tool-name)"];
    const range = document.createRange();
    range.selectNodeContents(text);
    const lines = [...range.getClientRects()].filter(r => r.width > 0);
    const size = parseFloat(getComputedStyle(tile).fontSize);
    const last = lines[lines.length - 1];
    return lines.length > 1 && last.width < 1.5 * size ? [text.textContent.trim()] : [];
})"""


# The tiles whose name takes more than one line.
WRAPPED = """() => [...document.querySelectorAll(".tools-grid .tool-name")].filter(name => {
    const range = document.createRange();
    range.selectNodeContents(name);
    return new Set([...range.getClientRects()].filter(r => r.width > 0)
      .map(r => Math.round(r.top))).size > 1;
}).map(name => name.textContent.trim())"""


def test_no_tile_leaves_one_character_alone_on_a_line(world, live_server, browser):
    """认领长期需 / 求 and 我的公开主 / 页 on the member's home on a phone; 代居民下 / 单 and
    点单二维 / 码 on the console's home on a desk (session 26's walk)."""
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.member, then="/me/")
    assert page.locator(".tools-grid .tool").count() >= 8
    assert page.evaluate(ORPHANS) == []
    # the icon above the name: 认领长期需求 and 我的公开主页 whole, not 认领长 / 期需求
    assert page.evaluate(WRAPPED) == []
    context.close()
    for width in (1366, 1024):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
        page = context.new_page()
        sign_in(page, live_server.url, world.community_admin, then="/console/")
        assert page.locator(".tools-grid .tool").count() >= 8
        assert page.evaluate(ORPHANS) == [], width
        # a desk's tiles hold a name of up to five characters whole (点单二维码)
        assert [name for name in page.evaluate(WRAPPED) if len(name) <= 5] == [], width
        context.close()
