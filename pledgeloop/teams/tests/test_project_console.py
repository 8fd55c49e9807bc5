"""The console's project pages: an admin creates a project, adds milestones, marks one done
with a note and a photo, and links orders and events; who may, and what the public sees."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.orders.tests.loop import member_of, new_order
from pledgeloop.teams import projects
from pledgeloop.teams.models import Event, Milestone, Project

pytestmark = pytest.mark.django_db


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    return SimpleUploadedFile("shed.png", buffer.getvalue(), content_type="image/png")


def a_project(world, **fields) -> Project:
    return projects.project_create(
        street=world.street,
        community=world.community,
        title=fields.pop("title", "电动车充电雨棚"),
        lead=member_of(world),
        **fields,
    )


def test_an_admin_creates_a_project_and_its_milestones(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:project_new"),
        {
            "title": "老旧小区改造",
            "community": world.community.pk,
            "lead": member_of(world).pk,
            "budget": "120000",
            "description": "外立面与楼道",
        },
    )
    project = Project.objects.get(title="老旧小区改造")
    assert response.status_code == 302
    assert (project.community, project.lead, project.budget) == (
        world.community,
        member_of(world),
        120000,
    )
    due = timezone.localdate() + dt.timedelta(days=20)
    url = reverse("console:teams:milestone_add", args=[project.pk])
    assert client.post(url, {"title": "方案公示", "due_on": due.isoformat()}).status_code == 302
    page = client.get(reverse("console:teams:project", args=[project.pk])).content.decode()
    assert "方案公示" in page and 'data-progress="0"' in page


def test_an_admin_edits_a_project(world, client_for):
    project = a_project(world)
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:project", args=[project.pk]),
        {"title": "充电雨棚二期", "lead": member_of(world).pk, "budget": "", "description": ""},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "充电雨棚二期" and project.budget is None


def test_a_project_needs_a_title_and_a_lead(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:project_new"), {"title": "", "community": world.community.pk}
    )
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_marking_a_milestone_done_with_a_photo_moves_the_public_board(world, client_for, client):
    project = a_project(world)
    milestone = projects.milestone_add(
        project=project, title="雨棚施工", due_on=timezone.localdate() + dt.timedelta(days=3)
    )
    admin = client_for(world.community_admin)
    response = admin.post(
        reverse("console:teams:milestone_done", args=[project.pk, milestone.pk]),
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence": "雨棚已建成,可停60辆",
            "photo": png(),
        },
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (
        milestone.done_on == timezone.localdate()
        and milestone.completed_by == world.community_admin
    )
    assert milestone.photo.name.endswith(".png") and not milestone.photo_public
    photo_url = reverse(
        "teams:milestone_photo", args=[world.street.slug, project.slug, milestone.pk]
    )
    assert admin.get(photo_url).status_code == 200
    admin.logout()
    board = client.get(reverse("teams:projects", args=[world.street.slug])).content.decode()
    assert 'data-progress="100"' in board and 'data-status="done"' in board
    page = client.get(reverse("teams:project", args=[world.street.slug, project.slug]))
    assert "雨棚已建成" in page.content.decode() and photo_url not in page.content.decode()
    # Not cleared for public pages: a passer-by cannot load it.
    assert client.get(photo_url).status_code == 404


def test_a_photo_cleared_for_public_pages_is_shown_to_residents(world, client_for, client):
    project = a_project(world)
    milestone = projects.milestone_add(project=project, title="验收", due_on=timezone.localdate())
    client_for(world.street_admin).post(
        reverse("console:teams:milestone_done", args=[project.pk, milestone.pk]),
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence": "验收通过",
            "photo": png(),
            "photo_public": "on",
        },
    )
    client.logout()
    photo_url = reverse(
        "teams:milestone_photo", args=[world.street.slug, project.slug, milestone.pk]
    )
    page = client.get(reverse("teams:project", args=[world.street.slug, project.slug]))
    assert photo_url in page.content.decode()
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"done_on": "2999-01-01", "evidence": "完成"}, "不能"),
        ({"evidence": "完成", "photo": "x"}, ""),
        ({"done_on": "today", "evidence": ""}, ""),
    ],
)
def test_a_bad_completion_changes_nothing(world, client_for, fields, message):
    project = a_project(world)
    milestone = projects.milestone_add(project=project, title="施工", due_on=timezone.localdate())
    data = {"done_on": timezone.localdate().isoformat(), **fields}
    if data["done_on"] == "today":
        data["done_on"] = timezone.localdate().isoformat()
    if data.get("photo") == "x":
        data["photo"] = SimpleUploadedFile("shed.jpg", b"not a photo at all", "image/jpeg")
    response = client_for(world.community_admin).post(
        reverse("console:teams:milestone_done", args=[project.pk, milestone.pk]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.done_on is None and not milestone.photo


def test_orders_and_events_are_linked_and_listed_without_names(world, client_for, client):
    project = a_project(world)
    order = new_order(world)
    start = timezone.now()
    event = Event.objects.create(
        street=world.street,
        kind=Event.Kind.ACTIVITY,
        title="雨棚启用仪式",
        slug="shed-opening",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    admin = client_for(world.community_admin)
    link = reverse("console:teams:project_link", args=[project.pk, "order"])
    assert admin.post(link, {"order": order.pk}).status_code == 302
    link = reverse("console:teams:project_link", args=[project.pk, "event"])
    assert admin.post(link, {"event": event.pk}).status_code == 302
    assert list(project.orders.all()) == [order] and list(project.events.all()) == [event]
    # Each link is a row with the street (Sharding by street, docs/ARCHITECTURE.md).
    assert project.order_links.get().street == project.event_links.get().street == world.street
    page = client.get(reverse("teams:project", args=[world.street.slug, project.slug]))
    body = page.content.decode()
    assert f'data-linked-order="{order.pk}"' in body and "雨棚启用仪式" in body
    assert order.phone not in body and "王秀兰" not in body
    unlink = reverse("console:teams:project_unlink", args=[project.pk, "order", order.pk])
    assert admin.post(unlink).status_code == 302
    assert not project.orders.exists()


def test_an_order_of_another_community_cannot_be_linked(world, client_for):
    project = a_project(world)
    other = new_order(world, community=world.neighbour)
    response = client_for(world.community_admin).post(
        reverse("console:teams:project_link", args=[project.pk, "order"]), {"order": other.pk}
    )
    assert response.status_code == 400
    assert not project.orders.exists()


def test_another_communitys_admin_gets_a_404_and_changes_nothing(world, client_for):
    project = a_project(world)
    milestone = projects.milestone_add(project=project, title="施工", due_on=timezone.localdate())
    client = client_for(world.outsider)
    assert client.get(reverse("console:teams:project", args=[project.pk])).status_code == 404
    response = client.post(
        reverse("console:teams:milestone_done", args=[project.pk, milestone.pk]),
        {"done_on": timezone.localdate().isoformat(), "evidence": "完成"},
    )
    assert response.status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    assert project.pk not in [
        p.pk for p in client.get(reverse("console:teams:projects")).context["projects"]
    ]


def test_members_and_residents_have_no_project_console(world, client_for):
    project = a_project(world)
    for user in (world.member, world.resident):
        client = client_for(user)
        assert client.get(reverse("console:teams:projects")).status_code == 403
        assert client.get(reverse("console:teams:project", args=[project.pk])).status_code == 403
