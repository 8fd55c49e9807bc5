"""The service matrix in the indicators: team figures, events and projects on the dashboard
and the public page, against a hand-computed fixture."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.conftest import shared_fixture
from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age, member_of, triaged_order
from pledgeloop.orgs.models import Category
from pledgeloop.reviews.services import review_submit
from pledgeloop.teams import projects, services
from pledgeloop.teams.models import Booth, Event, Project, QueueTicket
from pledgeloop.teams.tests.helpers import team_with_leaders

pytestmark = pytest.mark.django_db


@shared_fixture
def matrix(world):
    """A team serving two orders (1.5 h each, rated 5 and 3, one registered resident); an
    order served alone (not the team's); a fair with two booths and three numbers, two
    served; three projects: one done, one late, one on track."""
    team, heads = team_with_leaders(world)
    member = member_of(world)
    for n, (rating, phone) in enumerate(((5, "13812345678"), (3, "13698765432"))):
        order = triaged_order(world, phone=phone)
        dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
        services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=member)
        order_services.order_start(order=order, member=member)
        order = age(order, hours=10)
        order, record = order_services.order_finish(
            order=order,
            member=member,
            hours=Decimal("1.5"),
            started_at=order.accepted_at + dt.timedelta(hours=2 + 3 * n),
        )
        review_submit(record=record, rating=rating)
    alone = triaged_order(world)
    order_services.order_claim(order=alone, member=member)
    order_services.order_start(order=alone, member=member)
    alone = age(alone, hours=2)
    order_services.order_finish(
        order=alone, member=member, hours=Decimal("1"), started_at=alone.accepted_at
    )
    start = timezone.now() - dt.timedelta(days=2)
    fair = Event.objects.create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug="market",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
    )
    repairs = Category.objects.get(street=world.street, code="repairs")
    booths = [
        Booth.objects.create(street=world.street, event=fair, name=name, category=repairs)
        for name in ("家电维修", "磨刀")
    ]
    for n, (booth, state) in enumerate(
        [(booths[0], "served"), (booths[0], "served"), (booths[1], "waiting")]
    ):
        QueueTicket.objects.create(
            street=world.street, booth=booth, number=n + 1, client_key=f"k{n}", state=state
        )
    today = timezone.localdate()
    lead = member_of(world)
    for title, steps in (
        ("楼道照明", [(-9, True), (-3, True)]),
        ("老街改造", [(-5, False), (10, False)]),
        ("充电雨棚", [(-30, True), (3, False)]),
    ):
        project = projects.project_create(
            street=world.street, community=world.community, title=title, lead=lead
        )
        for n, (due_in, done) in enumerate(steps):
            m = projects.milestone_add(
                project=project, title=f"第{n + 1}步", due_on=today + dt.timedelta(days=due_in)
            )
            if done:
                projects.milestone_complete(
                    milestone=m, done_on=today - dt.timedelta(days=1), evidence=""
                )
    return world, team


def table(response, name):
    return response.context["data"]["tables"][name]


def test_the_dashboard_shows_team_event_and_project_figures(matrix, client_for):
    world, team = matrix
    response = client_for(world.community_admin).get(
        reverse("stats:dashboard"), {"community": world.community.pk}
    )
    # 2 sessions, 1 registered person served, 1.5 + 1.5 h, ratings 5 and 3: 4.0, 1 of 2 ≥ 4.
    assert table(response, "teams").rows == [[team.name, 2, 1, 3.0, 2, 4.0, 50]]
    fair_row = table(response, "events").rows[0]
    assert fair_row[1:] == [1, 2, 2]
    assert response.context["data"]["projects"] == {"on_track": 1, "late": 1, "done": 1}
    rows = {r[0]: r for r in table(response, "projects").rows}
    assert rows["楼道照明"][3:5] == [100, "2/2"]
    assert rows["老街改造"][3:5] == [0, "0/2"]
    assert rows["充电雨棚"][3:5] == [50, "1/2"]
    body = response.content.decode()
    assert 'id="table-teams"' in body and "data-project-counts" in body


def test_the_team_table_exports_to_excel(matrix, client_for):
    world, _team = matrix
    response = client_for(world.community_admin).get(
        reverse("stats:dashboard"), {"export": "csv", "table": "teams"}
    )
    assert response.status_code == 200
    assert "星港湾便民服务队" in response.content.decode("utf-8-sig")
    assert "href" not in response.content.decode("utf-8-sig")  # links are the page's alone


def test_the_public_stats_page_shows_the_projects_progress(matrix, client):
    world, team = matrix
    response = client.get(reverse("stats:public", args=[world.street.slug]))
    body = response.content.decode()
    assert response.context["data"]["projects"] == {"on_track": 1, "late": 1, "done": 1}
    assert "楼道照明" in body and "老街改造" in body and team.name in body
    assert reverse("teams:projects", args=[world.street.slug]) in body
    # Each team and project names its own public page: the figures led nowhere.
    team_page = reverse("teams:team", args=[world.street.slug, team.slug])
    assert f'<a href="{team_page}">{team.name}</a>' in body
    project = Project.objects.get(title="老街改造")
    project_page = reverse("teams:project", args=[world.street.slug, project.slug])
    assert f'<a href="{project_page}">老街改造</a>' in body
    assert client.get(team_page).status_code == client.get(project_page).status_code == 200
    # The public page has no member table.
    assert "members" not in response.context["data"]["tables"]


def test_a_category_dashboard_leaves_teams_and_events_out(matrix, client_for):
    world, _team = matrix
    repairs = Category.objects.get(street=world.street, code="repairs")
    response = client_for(world.street_admin).get(
        reverse("stats:dashboard"), {"category": repairs.pk}
    )
    tables = response.context["data"]["tables"]
    assert "teams" not in tables and "events" not in tables and "projects" in tables
