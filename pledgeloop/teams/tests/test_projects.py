"""Projects (民生项目): progress and status computed from milestones; the public board."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.tests.loop import member_of
from pledgeloop.teams import projects
from pledgeloop.teams.models import Milestone, Project

pytestmark = pytest.mark.django_db


def make_project(world, title, slug, milestones):
    project = Project.objects.create(
        street=world.street,
        community=world.community,
        title=title,
        slug=slug,
        lead=member_of(world),
    )
    today = timezone.localdate()
    for name, due_in, done in milestones:
        Milestone.objects.create(
            street=world.street,
            project=project,
            title=name,
            due_on=today + dt.timedelta(days=due_in),
            done_on=today - dt.timedelta(days=1) if done else None,
        )
    return project


def test_progress_is_the_share_of_milestones_done(world):
    project = make_project(
        world, "充电雨棚", "shed", [("立项", -30, True), ("施工", 10, False), ("验收", 20, False)]
    )
    progress = projects.project_progress(project.milestones.all())
    assert (progress.done, progress.total, progress.percent) == (1, 3, 33)
    assert progress.status == "on_track"


def test_a_milestone_past_its_date_makes_the_project_late(world):
    project = make_project(
        world, "老街改造", "facelift", [("设计", -5, False), ("施工", 10, False)]
    )
    progress = projects.project_progress(project.milestones.all())
    assert progress.percent == 0 and progress.status == "late"


def test_every_milestone_done_is_done(world):
    project = make_project(world, "楼道照明", "lights", [("采购", -9, True), ("安装", -3, True)])
    progress = projects.project_progress(project.milestones.all())
    assert progress.percent == 100 and progress.status == "done"


def test_a_project_without_milestones_is_at_zero_and_on_track(world):
    project = make_project(world, "新项目", "new", [])
    progress = projects.project_progress(project.milestones.all())
    assert progress.percent == 0 and progress.status == "on_track"


def test_completing_a_milestone_moves_the_board(world, client):
    project = make_project(world, "充电雨棚", "shed", [("立项", -30, True), ("施工", 3, False)])
    url = reverse("teams:projects", args=[world.street.slug])
    body = client.get(url).content.decode()
    assert 'data-progress="50"' in body and '<span class="tag plain">' in body
    milestone = project.milestones.get(title="施工")
    projects.milestone_complete(
        milestone=milestone, done_on=timezone.localdate(), evidence="雨棚已建成"
    )
    body = client.get(url).content.decode()
    assert 'data-progress="100"' in body and 'data-status="done"' in body
    # a finished project reads calm, not in the red of what needs attention
    assert '<span class="tag calm">' in body and '<span class="tag">' not in body
    page = client.get(reverse("teams:project", args=[world.street.slug, "shed"]))
    assert "雨棚已建成" in page.content.decode()


def test_a_milestone_is_done_once_and_not_in_the_future(world):
    project = make_project(world, "充电雨棚", "shed", [("施工", 3, False)])
    milestone = project.milestones.get()
    with pytest.raises(projects.ProjectError):
        projects.milestone_complete(
            milestone=milestone,
            done_on=timezone.localdate() + dt.timedelta(days=1),
            evidence="",
        )
    projects.milestone_complete(milestone=milestone, done_on=timezone.localdate(), evidence="")
    with pytest.raises(projects.ProjectError):
        projects.milestone_complete(milestone=milestone, done_on=timezone.localdate(), evidence="")


def test_an_unknown_project_is_a_404(world, client):
    response = client.get(reverse("teams:project", args=[world.street.slug, "nothing"]))
    assert response.status_code == 404
