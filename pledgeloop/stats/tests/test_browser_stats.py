"""The indicator pages in Chromium: the dashboard draws every chart on a desktop, the public
page reads well on a 360 px phone, and the wall display (数据大屏) fills a 1920 × 1080 screen
exactly. Every text drawn in a chart is whole and clear of the others (chart_labels.js)."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from pledgeloop.conftest import DESKTOP, PHONE, make_user, wait_for_chart
from pledgeloop.orgs.models import Category
from pledgeloop.orgs.services import community_create, street_create
from pledgeloop.people.models import Role

from .conftest import _member, _record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["chart-trend", "chart-categories", "chart-communities", "chart-rates"]
CHART_LABELS = (Path(__file__).parent / "chart_labels.js").read_text()
WALL = {"viewport": {"width": 1920, "height": 1080}}
# The texts ECharts painted in one chart, from its zrender display list.
DRAWN_TEXTS = """(id) => window.echarts.getInstanceByDom(document.getElementById(id)).getZr()
    .storage.getDisplayList(true).filter((s) => s.type === "tspan" && !s.invisible)
    .map((s) => String(s.style.text))"""


@pytest.fixture
def busy_street(figures):
    """The hand-computed figures plus a street's worth of variety: six communities (some with
    long names), all six categories in very unequal shares, service in every recent month."""
    world = figures.world
    communities = [world.community, world.neighbour] + [
        community_create(street=world.street, name=name, slug=slug)
        for name, slug in [("滨江花园第一社区", "binjiang"), ("金科", "jinke"),
                           ("城中", "chengzhong"), ("虹桥新村", "hongqiao")]
    ]  # fmt: skip
    members = [
        _member(world, f"1390000{300 + i:04d}", f"队员{i}", communities[i % len(communities)])
        for i in range(12)
    ]
    categories = list(Category.objects.filter(street=world.street).order_by("pk"))
    today = timezone.localdate()
    for n in range(60):
        day = today - dt.timedelta(days=5 + n * 6)
        started = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9))
        category = categories[min(n % 11, len(categories) - 1)]  # the last ones are rare
        member = members[n % len(members)]
        _record(world, member.community, category, started, 1 + n % 4, [member])
    return figures


def signed_in_context(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", reduced_motion="reduce", **options)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def canvas_size(page, container: str) -> tuple[int, int]:
    page.locator(f"#{container}").scroll_into_view_if_needed()
    canvas = page.locator(f"#{container} canvas").first
    canvas.wait_for(state="attached", timeout=10_000)
    box = canvas.bounding_box()
    return int(box["width"]), int(box["height"])


def chart_labels(page) -> dict:
    # charts.js draws a chart (and fetches ECharts) when it comes near the screen
    # (waiting on selectors: wait_for_function's polling evaluates a string, which the
    # Content Security Policy refuses). The contexts ask for reduced motion: charts.js then
    # draws each chart whole at once, its texts where they end up after the opening
    # animation, without a second of frames to render first.
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        wait_for_chart(chart)
    return page.evaluate(CHART_LABELS)


def watch(page) -> list:
    """Collects the console's Content Security Policy complaints and any 404."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else 0)
    page.on("response", lambda r: problems.append(f"404 {r.url}") if r.status == 404 else 0)
    return problems


def test_dashboard_draws_every_chart(busy_street, live_server, browser, screenshot_dir):
    context = signed_in_context(browser, live_server, busy_street.world.street_admin, **DESKTOP)
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/console/stats/")
    for chart in CHARTS:
        width, height = canvas_size(page, chart)
        assert width > 100 and height > 100, chart
    labels = chart_labels(page)
    assert [c["id"] for c in labels["charts"]] == CHARTS
    assert not labels["problems"], labels["problems"]
    # the month still running is shaded and labelled, in the drawn chart (its component is in
    # the bundle), not only in the option
    assert page.evaluate(DRAWN_TEXTS, "chart-trend").count("本月至今") == 1
    # the tooltip (drawn on the canvas: ECharts' HTML one breaks the policy)
    page.locator("#chart-categories").scroll_into_view_if_needed()
    page.hover("#chart-categories canvas", position={"x": 80, "y": 150})
    page.locator("#chart-trend").scroll_into_view_if_needed()
    page.hover("#chart-trend canvas", position={"x": 300, "y": 200})
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "stats-dashboard-desktop.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_public_page_reads_well_on_a_phone(busy_street, live_server, browser, screenshot_dir):
    context = browser.new_context(locale="zh-CN", reduced_motion="reduce", **PHONE)
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/stats/jianghai/")
    width, height = canvas_size(page, "chart-trend")
    assert 200 < width <= 360 and height > 100
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    labels = chart_labels(page)
    assert len(labels["charts"]) == 3
    assert not labels["problems"], labels["problems"]
    # The comparison table stacks its rows: the header row is gone, so each figure shows
    # its header beside it.
    table = page.locator("#table-communities table")
    assert not table.locator("thead").is_visible()
    headers = table.locator("thead th").all_inner_texts()
    cells = table.locator("tbody tr").first.locator("td")
    assert cells.count() == len(headers) >= 5
    shown = [
        cells.nth(i).evaluate("td => getComputedStyle(td, '::before').content")
        for i in range(cells.count())
    ]
    assert shown == [f'"{h}"' for h in headers]
    first = cells.nth(1).bounding_box()
    assert first["width"] > 250  # one figure a line, the width of the screen
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "stats-public-phone.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_wall_display_fills_1920_by_1080(busy_street, live_server, browser, screenshot_dir):
    context = signed_in_context(browser, live_server, busy_street.world.street_admin, **WALL)
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/console/stats/?screen=1")
    labels = chart_labels(page)
    assert not labels["problems"], labels["problems"]
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " document.body.scrollHeight]"
    )
    assert size == [1920, 1080, 1080], size
    boxes = {c: page.locator(f"#{c}").bounding_box() for c in CHARTS}
    panels = [b.bounding_box() for b in page.locator(".stats-panel").all()]
    # every chart whole on the screen, and big enough to read from across the room
    for chart, box in boxes.items():
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1920, (chart, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 1080, (chart, box)
        assert box["height"] >= 280 and box["width"] >= 500, (chart, box)
    # no empty region: the panels reach the right and the bottom edge (within the margins),
    # the trend spans the width and the three below share it
    right = max(p["x"] + p["width"] for p in panels)
    bottom = max(p["y"] + p["height"] for p in panels)
    assert right >= 1920 - 40 and bottom >= 1080 - 30, (right, bottom)
    trend, *row = panels
    assert trend["width"] >= 1920 - 80
    assert len(row) == 3 and sum(p["width"] for p in row) >= 1920 - 80 - 2 * 20
    page.screenshot(path=str(screenshot_dir / "stats-wall-display-1920.png"))
    assert not problems, problems
    context.close()


def test_a_street_with_no_service_yet_says_so_instead_of_an_even_ring(
    live_server, browser, screenshot_dir
):
    """A new street's dashboard (its first day): the category mix drew six equal slices, as
    if every category had a sixth of the service; it now says there is none, and the other
    charts draw their zeros."""
    street = street_create(name="新街道", slug="xinjie")
    community_create(street=street, name="新社区", slug="xinshequ")
    admin = make_user("13900000555", "新街道书记", Role.STREET_ADMIN, street, None)
    context = signed_in_context(browser, live_server, admin, **PHONE)
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/console/stats/")
    for chart in ["chart-trend", "chart-communities", "chart-rates"]:
        width, height = canvas_size(page, chart)
        assert width > 100 and height > 100, chart
    mix = page.locator("#chart-categories")
    mix.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    assert mix.inner_text() == "本期间没有服务记录"
    assert mix.locator("canvas").count() == 0
    mix.screenshot(path=str(screenshot_dir / "stats-empty-category-mix-phone.png"))
    assert not problems, problems
    context.close()
