"""Project updates in the diary: a month's draft lists the milestones of the community's
projects done in that month (and only those), linked to the project's public page."""

import datetime as dt

import pytest

from pledgeloop.diary.services import article_draft
from pledgeloop.orders.tests.loop import member_of
from pledgeloop.stats import periods
from pledgeloop.teams import projects

pytestmark = pytest.mark.django_db


def test_a_months_draft_lists_the_milestones_done_that_month(world):
    shed = projects.project_create(
        street=world.street,
        community=world.community,
        title="电动车充电雨棚",
        lead=member_of(world),
    )
    elsewhere = projects.project_create(
        street=world.street, community=world.neighbour, title="腾飞楼道照明", lead=member_of(world)
    )
    done_in_march = projects.milestone_add(
        project=shed, title="雨棚施工", due_on=dt.date(2026, 3, 20)
    )
    done_in_feb = projects.milestone_add(
        project=shed, title="方案公示", due_on=dt.date(2026, 2, 20)
    )
    not_done = projects.milestone_add(project=shed, title="验收", due_on=dt.date(2026, 3, 30))
    other = projects.milestone_add(project=elsewhere, title="灯具安装", due_on=dt.date(2026, 3, 9))
    projects.milestone_complete(
        milestone=done_in_march, done_on=dt.date(2026, 3, 12), evidence="可停60辆"
    )
    projects.milestone_complete(milestone=done_in_feb, done_on=dt.date(2026, 2, 27), evidence="")
    projects.milestone_complete(milestone=other, done_on=dt.date(2026, 3, 9), evidence="")
    article = article_draft(
        street=world.street,
        community=world.community,
        period=periods.month(2026, 3),
        kind="month",
        by=world.community_admin,
    )
    assert "民生项目" in article.body
    assert "3月12日" in article.body and "雨棚施工" in article.body and "可停60辆" in article.body
    assert "**：“雨棚施工”已完成：可停60辆" in article.body  # full-width colons, not ":"
    assert f"/projects/{world.street.slug}/{shed.slug}/" in article.body
    assert "方案公示" not in article.body and not_done.title not in article.body
    assert "灯具安装" not in article.body
    # The street's draft has both communities' updates.
    street_article = article_draft(
        street=world.street,
        community=None,
        period=periods.month(2026, 3),
        kind="month",
        by=world.street_admin,
    )
    assert "雨棚施工" in street_article.body and "灯具安装" in street_article.body


def test_a_month_without_project_updates_has_no_projects_section(world):
    article = article_draft(
        street=world.street,
        community=world.community,
        period=periods.month(2026, 3),
        kind="month",
        by=world.community_admin,
    )
    assert "民生项目" not in article.body
