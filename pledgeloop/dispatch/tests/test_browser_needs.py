"""The needs list on a desk's wide screen, in Chromium."""

import pytest

from pledgeloop.conftest import sign_in
from pledgeloop.orders.tests.loop import dispatched_order, new_order, triaged_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The cells (and headers) whose text the screen breaks over more than one line.
SHORT_CELLS = "table.needs th, table.needs td:not(.what):not(.deadline)"
BROKEN = f"""() => [...document.querySelectorAll("{SHORT_CELLS}")]
  .filter(cell => {{
    // the lines of the cell's own words (not its icons or badges' boxes): their tops
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const tops = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
    }}
    const size = parseFloat(getComputedStyle(cell).fontSize);
    return tops.some(top => Math.abs(top - tops[0]) > size / 2);
  }})
  .map(cell => cell.textContent.trim())"""


@pytest.mark.parametrize("width", [1366, 1280, 1024])
def test_the_needs_lists_short_cells_keep_to_one_line_on_a_desk(
    world, live_server, browser, screenshot_dir, width
):
    """助老扶 / 幼, 陈建 / 国, 来源渠 / 道 on a 1366 px screen (session 26's walk)."""
    new_order(world, code="elderly-children")
    triaged_order(world, description="楼道灯坏了，晚上看不见，老人上下楼很不方便，请尽快来修")
    dispatched_order(world)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, live_server.url, world.street_admin, then="/console/needs/")
    assert page.locator("table.needs tbody tr").count() == 3
    # the request's words keep a readable width (not four characters a line)
    assert page.locator("table.needs td.what").first.bounding_box()["width"] >= 180
    if width >= 1200:  # narrower, the cells wrap rather than widen the page
        assert page.evaluate(BROKEN) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(screenshot_dir / f"console-needs-{width}.png"))
    context.close()
