"""The dashboard's figures come from the cache (stats/figures_cache.py) and are never stale.

A write to what they show makes the next answer fresh (the key holds the street's data
version); another scope, street or language never gets an entry made for another one.
The March 2026 figures are those of conftest.py (street 11.5 hours, 星港湾 5.5, 腾飞 6).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledgeloop.conftest import make_user
from pledgeloop.orgs.models import StreetVersion
from pledgeloop.people.models import Role
from pledgeloop.service.services import service_record_create
from pledgeloop.stats.rollups import rollups_refresh
from pledgeloop.stats.tests.conftest import at
from pledgeloop.teams import projects

URL = "/console/stats/"
MARCH = {"period": "2026-03"}


@pytest.fixture(autouse=True)
def rollups_caught_up(figures):
    """The rollups up to date and both streets at one data version: a first answer's
    refresh bumps no version (which would make the next one a miss whatever its key), and
    only the key's street tells the streets' entries apart."""
    rollups_refresh()
    StreetVersion.objects.filter(
        street__in=[figures.world.street, figures.world.other_street]
    ).update(n=1000)


def card(response, name: str) -> str:
    """The figure shown on a card of the page (without its unit)."""
    body = response.content.decode()
    section = body.split(f'data-name="{name}"', 1)[1].split("</section>", 1)[0]
    return re.search(r'<p class="stats-figure">([^<]*)(<span class="stats-unit">|</p>)', section)[1]


def data_card(response, name: str):
    return next(c for c in response.context["data"]["cards"] if c["name"] == name)["value"]


def test_the_second_answer_comes_from_the_cache(figures, client_for, settings):
    # The page drawn again (not the viewer's copy of it, orgs/pagecache.signed_in_page), its
    # figures from their own cache.
    settings.SIGNED_IN_PAGE_CACHE_SECONDS = 0
    client = client_for(figures.world.street_admin)
    first = client.get(URL, MARCH)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, MARCH)
    assert card(again, "service_hours") == card(first, "service_hours") == "11.5"
    # No aggregate ran: the session with its user, their roles and unread notifications
    # (notify/sessions.py), the admin's communities and the street's data version.
    assert len(queries) == 4, [q["sql"] for q in queries]
    assert not any("stats_" in q["sql"] for q in queries)


def test_a_write_makes_the_next_answer_fresh(figures, client_for):
    client = client_for(figures.world.street_admin)
    before = client.get(URL, MARCH)
    assert card(before, "service_hours") == "11.5"
    export = client.get(URL, {**MARCH, "export": "csv", "table": "headline"})
    assert "11.5" in export.content.decode("utf-8-sig")
    service_record_create(
        members=[figures.members["zhang"]],
        started_at=at(2026, 3, 25, 9),
        ended_at=at(2026, 3, 25, 11),
        hours=Decimal(2),
        by=figures.world.street_admin,
        category=figures.a,
    )
    after = client.get(URL, MARCH)
    assert card(after, "service_hours") == "13.5"
    assert data_card(after, "service_hours") == Decimal("13.5")
    export = client.get(URL, {**MARCH, "export": "csv", "table": "headline"})
    assert "13.5" in export.content.decode("utf-8-sig")


def test_a_renamed_member_is_renamed_in_the_ranking_at_once(figures, client_for):
    client = client_for(figures.world.street_admin)
    assert "张三" in client.get(URL, MARCH).content.decode()
    user = figures.members["zhang"].user
    user.name = "张三丰"
    user.save(update_fields=["name", "name_pinyin", "name_initials"])
    assert "张三丰" in client.get(URL, MARCH).content.decode()


def test_another_scope_never_gets_the_street_s_figures(figures, client_for, client):
    street = client_for(figures.world.street_admin).get(URL, MARCH)
    assert card(street, "service_hours") == "11.5"
    # The community admin asks the very same address: their own community's figures.
    client.logout()
    community = client_for(figures.world.community_admin).get(URL, MARCH)
    assert community.context["place"] == "星港湾"
    assert card(community, "service_hours") == "5.5"
    assert data_card(community, "service_hours") == Decimal("5.5")
    # A street admin choosing the neighbouring community, and a category of the street.
    client.logout()
    admin = client_for(figures.world.street_admin)
    neighbour = admin.get(URL, {**MARCH, "community": figures.world.neighbour.pk})
    assert card(neighbour, "service_hours") == "6"
    category_b = admin.get(URL, {**MARCH, "category": figures.b.pk})
    assert card(category_b, "service_hours") == "1.5"
    # Another month of the same street.
    assert card(admin.get(URL, {"period": "2026-04"}), "service_hours") == "1"


def test_another_street_never_gets_them(figures, client_for, client):
    assert card(client_for(figures.world.street_admin).get(URL, MARCH), "service_hours") == "11.5"
    client.logout()
    far_admin = make_user(
        "13900000298", "和平街道管理员", Role.STREET_ADMIN, figures.world.other_street, None
    )
    far = client_for(far_admin).get(URL, MARCH)
    assert far.context["place"] == "和平街道"
    assert card(far, "service_hours") == "5"
    assert "张三" not in far.content.decode()


def test_each_language_gets_its_own_figures(figures, client_for):
    client = client_for(figures.world.street_admin)
    chinese = client.get(URL, MARCH, headers={"accept-language": "zh-hans"}).content.decode()
    english = client.get(URL, MARCH, headers={"accept-language": "en"}).content.decode()
    assert "Member ranking" not in chinese
    assert "Member ranking" in english


def test_the_next_day_is_another_key(figures, client_for, time_machine):
    """A project whose milestone falls due today is on track today and late tomorrow,
    nothing written in between (the same period: the last twelve months to July). Beijing
    time 23:59 and, two minutes later (the session and the entries still alive), 00:01."""
    time_machine.move_to(dt.datetime(2026, 7, 15, 15, 59, tzinfo=dt.UTC), tick=False)
    project = projects.project_create(
        street=figures.world.street,
        community=figures.world.community,
        title="楼道照明",
        lead=figures.members["zhang"],
    )
    projects.milestone_add(project=project, title="第一步", due_on=dt.date(2026, 7, 15))
    rollups_refresh()
    client = client_for(figures.world.street_admin)
    today = client.get(URL)
    assert today.context["data"]["projects"] == {"on_track": 1, "late": 0, "done": 0}
    time_machine.move_to(dt.datetime(2026, 7, 15, 16, 1, tzinfo=dt.UTC), tick=False)
    tomorrow = client.get(URL)
    assert tomorrow.context["period"] == today.context["period"]
    assert tomorrow.context["data"]["projects"] == {"on_track": 0, "late": 1, "done": 0}
    assert "按计划推进0个 · 滞后1个" in tomorrow.content.decode()  # the rendered figures too
