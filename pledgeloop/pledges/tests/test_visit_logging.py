"""Fulfilling a pledge visit (践诺): the record and the visit change together, through pledges.

The service app below keeps the record (and the visit it is given) and knows nothing else of
visits: logging a visit and checking out at the beneficiary's code go through the pledges
services and pages.
"""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.urls import resolve, reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.conftest import make_user
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, Role
from pledgeloop.pledges import services, visits
from pledgeloop.pledges.models import Pledge, PledgeError, Visit
from pledgeloop.service import access
from pledgeloop.service.models import CheckIn, ServiceRecord
from pledgeloop.service.services import ServiceError, service_record_log_by_member


@pytest.fixture
def due_visit(world):
    # Due yesterday: a visit logged from its morning has ended by now, at any hour.
    today = timezone.localdate() - dt.timedelta(days=1)
    pledge = Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=world.member.member,
        category=Category.objects.filter(street=world.street).first(),
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_here,
        rrule="FREQ=WEEKLY",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        target_visits=40,
        duration_minutes=90,
        state=Pledge.State.ACTIVE,
    )
    return Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=world.member.member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0))),
        due_on=today,
    )


def log_data(visit, **changes):
    return {"day": visit.due_on.isoformat(), "start": "00:00", "hours": "1.5", **changes}


def test_logging_a_visit_fulfils_it(world, client_for, due_visit):
    client = client_for(world.member)
    url = reverse("pledges:visit_log", args=[due_visit.pk])
    page = client.get(url)
    assert page.context["form"]["hours"].value() == 1.5
    assert page.context["form"]["note"].value() == due_visit.pledge.title
    response = client.post(url, log_data(due_visit))
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    due_visit.refresh_from_db()
    assert record.visit == due_visit
    assert record.beneficiary == world.resident_here
    assert record.category == due_visit.pledge.category
    assert due_visit.state == Visit.State.FULFILLED and due_visit.fulfilled_at == record.ended_at


def test_the_pledges_service_links_the_record_and_fulfils_the_visit(world, due_visit):
    record = services.visit_log_service(
        visit=due_visit,
        member=world.member.member,
        day=due_visit.due_on,
        start=dt.time(8, 0),
        hours=1,
    )
    due_visit.refresh_from_db()
    assert record.visit_id == due_visit.pk and record.verification == "self"
    assert due_visit.state == Visit.State.FULFILLED and due_visit.fulfilled_at == record.ended_at
    with pytest.raises(PledgeError):
        services.visit_log_service(
            visit=due_visit,
            member=world.member.member,
            day=due_visit.due_on,
            start=dt.time(10, 0),
            hours=1,
        )
    assert ServiceRecord.objects.count() == 1


def test_a_refused_record_leaves_the_visit_due(world, due_visit):
    member = world.member.member
    service_record_log_by_member(member=member, day=due_visit.due_on, start=dt.time(0), hours=2)
    with pytest.raises(ServiceError):  # overlaps the member's other service
        services.visit_log_service(
            visit=due_visit, member=member, day=due_visit.due_on, start=dt.time(1), hours=1
        )
    due_visit.refresh_from_db()
    assert due_visit.state == Visit.State.DUE and ServiceRecord.objects.count() == 1


def test_a_member_cannot_fulfil_anothers_visit(world, client_for, due_visit):
    user = make_user("13900000106", "李明", Role.MEMBER, world.street, world.community)
    other = Member.objects.create(
        user=user, street=world.street, community=world.community, kind="volunteer"
    )
    response = client_for(user).post(
        reverse("pledges:visit_log", args=[due_visit.pk]), log_data(due_visit, hours="1")
    )
    assert response.status_code == 404  # not one of their visits
    with pytest.raises(PledgeError):
        services.visit_log_service(
            visit=due_visit, member=other, day=due_visit.due_on, start=dt.time(0), hours=1
        )
    due_visit.refresh_from_db()
    assert due_visit.state == Visit.State.DUE
    assert not ServiceRecord.objects.exists()


def test_a_fulfilled_visit_cannot_be_logged_twice(world, client_for, due_visit):
    client = client_for(world.member)
    url = reverse("pledges:visit_log", args=[due_visit.pk])
    client.post(url, log_data(due_visit, hours="1"))
    again = client.post(url, log_data(due_visit, hours="1", start="03:00"))
    assert again.status_code == 302 and again.url == reverse("pledges:mine")
    assert ServiceRecord.objects.count() == 1


def test_a_visit_not_due_yet_is_not_logged_but_explained(world, client_for, due_visit):
    due_visit.due_on = timezone.localdate() + dt.timedelta(days=1)
    due_visit.scheduled_at += dt.timedelta(days=2)
    due_visit.save()
    response = client_for(world.member).get(reverse("pledges:visit_log", args=[due_visit.pk]))
    assert response.status_code == 302 and response.url == reverse("pledges:mine")


def test_my_pledges_and_the_log_page_lead_to_the_visits_due(world, client_for, due_visit):
    client = client_for(world.member)
    mine = client.get(reverse("pledges:mine")).content.decode()
    assert reverse("pledges:visit_log", args=[due_visit.pk]) in mine
    page = client.get(reverse("service:new"))
    assert page.context["due_visits_url"] == reverse("pledges:mine") + "#due-visits"
    Visit.objects.update(state=Visit.State.FULFILLED, fulfilled_at=timezone.now())
    assert client.get(reverse("service:new")).context["due_visits_url"] == ""


def test_an_old_visit_link_goes_to_the_visits_own_page(world, client_for, due_visit):
    response = client_for(world.member).get(reverse("service:new"), {"visit": due_visit.pk})
    assert response.status_code == 302
    assert response.url == reverse("pledges:visit_log", args=[due_visit.pk])


def test_plain_service_logged_at_service_new_fulfils_no_visit(world, client_for, due_visit):
    response = client_for(world.member).post(
        reverse("service:new"),
        {
            "day": due_visit.due_on.isoformat(),
            "start": "00:00",
            "hours": "1",
            "visit": due_visit.pk,
        },
    )
    assert response.status_code == 302
    assert ServiceRecord.objects.get().visit is None
    due_visit.refresh_from_db()
    assert due_visit.state == Visit.State.DUE


def test_checking_in_and_out_at_the_beneficiary_fulfils_the_visit_with_the_real_time(
    world, client_for, due_visit
):
    client = client_for(world.member)
    url = reverse("service:checkin", args=[access.checkin_token(world.resident_here)])
    client.post(url, {"action": "in"})
    CheckIn.objects.update(checked_in_at=timezone.now() - dt.timedelta(minutes=65))
    client.post(url, {"action": "out"})
    record = ServiceRecord.objects.get()
    due_visit.refresh_from_db()
    assert record.visit == due_visit and due_visit.state == Visit.State.FULFILLED
    assert due_visit.fulfilled_at == record.ended_at
    assert record.hours == 1  # the real time (65 min), not the pledge's planned 90 min
    assert record.evidence == ServiceRecord.Evidence.BENEFICIARY_CODE


def test_a_check_out_under_a_quarter_hour_leaves_the_visit_due(world, client_for, due_visit):
    client = client_for(world.member)
    url = reverse("service:checkin", args=[access.checkin_token(world.resident_here)])
    client.post(url, {"action": "in"})
    client.post(url, {"action": "out"})
    assert CheckIn.objects.get().checked_out_at is not None
    due_visit.refresh_from_db()
    assert due_visit.state == Visit.State.DUE and not ServiceRecord.objects.exists()


def test_service_pages_with_the_visit_step_are_served_by_pledges():
    # Root URLconf order: pledges' patterns before service's, on the same paths.
    assert resolve(reverse("service:new")).func is visits.service_new
    assert resolve(reverse("service:checkin", args=["x:y"])).func is visits.checkin
    assert resolve(reverse("service:screen", args=["k"])).url_name == "screen"


def test_service_code_never_names_looks_up_or_changes_pledges_models():
    """Issue 11: service sits below pledges; only its model's FK names the visit table."""
    service = Path(access.__file__).parent
    sources = [p for p in service.glob("*.py") if p.name != "models.py"]
    assert len(sources) > 5
    forbidden = re.compile(r"pledges|\bVisit\b|get_model|is_installed|import_string|type\(visit")
    found = [
        f"{p.name}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert found == []
    model = (service / "models.py").read_text()
    assert model.count("pledges") == 1 and '"pledges.Visit"' in model  # the FK, by reference


def test_a_visits_photo_is_kept_when_the_hours_are_wrong(
    world, client_for, due_visit, settings, tmp_path
):
    """The visit's log is the service log's form: its photos are kept as on the member's
    own log (lib/photos.py, KeepsPhoto), and stored with the record sent again."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTO_KEPT_DIR = tmp_path / "kept"
    client = client_for(world.member)
    url = reverse("pledges:visit_log", args=[due_visit.pk])
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "IMG_0201.jpg"
    html = client.post(url, log_data(due_visit, hours="0", photos=[buffer])).content.decode()
    assert "已保留您选的 1 张照片" in html and "IMG_0201.jpg" in html
    token = re.search(r'name="photos_kept" value="([^"]+)"', html).group(1)
    assert client.post(url, log_data(due_visit, photos_kept=token)).status_code == 302
    assert ServiceRecord.objects.get().photos.count() == 1
    assert not any((tmp_path / "kept").iterdir())
