"""The main pages in Chromium break no rule of the Content Security Policy (no inline style
or script) and ask for nothing that is not there (a favicon included)."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from pledgeloop.conftest import PHONE, wait_for_chart

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC = [
    "/login/",
    "/order/new/jianghai/xinggangwan/",
    "/wall/xinggangwan/",
    "/stats/jianghai/",
    "/diary/",
]
MEMBER = ["/me/", "/me/service/new/", "/pledges/new/"]
STREET_ADMIN = ["/console/needs/", "/console/stats/", "/console/stats/?screen=1"]


def test_main_pages_keep_to_the_policy(world, live_server, browser):
    problems = []
    for user, paths in [(None, PUBLIC), (world.member, MEMBER), (world.street_admin, STREET_ADMIN)]:
        context = browser.new_context(locale="zh-CN", **PHONE)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": cookie,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.on(
            "console",
            lambda m, page=page: (
                problems.append(f"{page.url}: {m.text}") if "Content Security" in m.text else 0
            ),
        )
        page.on(
            "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else 0
        )
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            page.wait_for_load_state("load")
            # every chart into view: the stats pages fetch ECharts and draw as their charts
            # show; the test goes on once each has drawn (or said it has nothing to draw)
            for chart in page.locator("[data-chart]").all():
                chart.scroll_into_view_if_needed()
                wait_for_chart(chart)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        context.close()
    assert not problems, problems
