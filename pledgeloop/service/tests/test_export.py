"""The volunteer-hours export, read back with openpyxl."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orgs.services import community_create
from pledgeloop.people.models import PhoneView, Role, RoleGrant
from pledgeloop.people.tests.reauth import password_confirmed
from pledgeloop.reviews.tests.conftest import new_member
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.selectors import hours_by_verification
from pledgeloop.service.services import service_record_create


@pytest.fixture
def client_for(client_for):
    """Signed in with the password just given again: the sheet holds whole numbers."""

    def sign_in(user):
        return password_confirmed(client_for(user))

    return sign_in


def make_record(world, *, hours, verification, note="", days_ago=1, members=None):
    # One record a day (a member's hours never overlap), in the morning of that day.
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
    evidence = ServiceRecord.Evidence.REVIEW if verification == "verified" else ""
    return service_record_create(
        members=members or [world.member.member],
        started_at=start,
        ended_at=start + dt.timedelta(hours=float(hours)),
        hours=Decimal(hours),
        by=world.community_admin,
        note=note,
        verification=verification,
        evidence=evidence,
    )


def period(days=30):
    today = timezone.localdate()
    return {"start": (today - dt.timedelta(days=days)).isoformat(), "end": today.isoformat()}


def test_hours_by_verification_keeps_kinds_apart(world):
    make_record(world, hours="1.5", verification="verified", days_ago=1)
    make_record(world, hours="2", verification="recorded", days_ago=2)
    make_record(world, hours="0.5", verification="self", days_ago=3)
    make_record(world, hours="1", verification="self", days_ago=4)
    assert hours_by_verification(ServiceRecord.objects.all()) == {
        "verified": Decimal("1.5"),
        "recorded": Decimal("2"),
        "self": Decimal("1.5"),
    }


def test_export_lists_each_volunteer_with_totals_and_escapes_formulas(world, client_for):
    make_record(world, hours="1.5", verification="verified", note="=HYPERLINK(1)")
    make_record(world, hours="2", verification="recorded", note="助老", days_ago=2)
    make_record(world, hours="3", verification="self", note="too old", days_ago=90)
    response = client_for(world.community_admin).get(
        reverse("service:export"), {**period(), "community": world.community.pk}
    )
    assert response.status_code == 200
    filename = unquote(response["Content-Disposition"].split("''", 1)[1])
    assert "星港湾" in filename and timezone.localdate().strftime("%Y%m%d") in filename
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "星港湾" in rows[0][0]
    assert rows[1] == (
        "姓名", "手机号", "活动名称/服务内容", "服务日期", "开始时间", "结束时间",
        "服务时长(小时)", "时长类型", "核验依据",
    )  # fmt: skip
    data = rows[2:-1]
    assert len(data) == 2
    assert {r[0] for r in data} == {"张三"}
    assert {r[7] for r in data} == {"核验", "登记"}
    assert {(r[7], r[8]) for r in data} == {("核验", "服务对象的评价"), ("登记", "")}
    assert any(r[2] == "'=HYPERLINK(1)" for r in data)
    assert rows[-1][0] == "合计" and rows[-1][6] == 3.5
    # The day and the times are Excel dates, which sort and filter as such (were text).
    assert all(isinstance(r[3], dt.datetime) and isinstance(r[4], dt.time) for r in data)
    assert {r[3].date() for r in data} <= {
        timezone.localdate() - dt.timedelta(days=n) for n in (0, 1, 2)
    }


def test_export_denied_to_members_and_other_communities(world, client_for):
    make_record(world, hours="1", verification="self")
    assert client_for(world.member).get(reverse("service:export"), period()).status_code == 404
    response = client_for(world.outsider).get(
        reverse("service:export"), {**period(), "community": world.community.pk}
    )
    # The community is not one of theirs: the form refuses it and nothing is exported.
    assert response.status_code == 302
    own = client_for(world.outsider).get(reverse("service:export"), period())
    rows = list(openpyxl.load_workbook(io.BytesIO(own.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3  # title, header, totals: none of 星港湾's hours


def _title_and_filename(response):
    filename = unquote(response["Content-Disposition"].split("''", 1)[1])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return sheet["A1"].value, filename


def test_a_community_admins_export_is_titled_and_named_for_their_community(world, client_for):
    """It was titled and named for the whole street though it held one community's hours."""
    make_record(world, hours="1", verification="self")
    response = client_for(world.community_admin).get(reverse("service:export"), period())
    title, filename = _title_and_filename(response)
    assert "星港湾" in title and "星港湾" in filename
    assert "江海街道" not in title and "江海街道" not in filename


def test_the_street_admins_export_names_the_street_or_the_community_chosen(world, client_for):
    client = client_for(world.street_admin)
    title, filename = _title_and_filename(client.get(reverse("service:export"), period()))
    assert "江海街道" in title and "江海街道" in filename
    chosen = client.get(reverse("service:export"), {**period(), "community": world.neighbour.pk})
    title, filename = _title_and_filename(chosen)
    assert "腾飞" in title and "腾飞" in filename and "江海街道" not in title


def test_an_admin_of_two_communities_gets_both_names_not_the_streets(world, client_for):
    community_create(street=world.street, name="金科", slug="jinke")  # 2 of 3 communities
    RoleGrant.objects.create(
        user=world.community_admin,
        role=Role.COMMUNITY_ADMIN,
        street=world.street,
        community=world.neighbour,
    )
    response = client_for(world.community_admin).get(reverse("service:export"), period())
    title, filename = _title_and_filename(response)
    assert "星港湾" in title and "腾飞" in title and "江海街道" not in title
    assert "星港湾" in filename and "腾飞" in filename


def test_the_records_page_counts_hours_per_participant_like_the_export(world, client_for):
    """A 3-member × 2 h staff entry is 6 volunteer hours (DESIGN.md §5): the records page
    once said 2 while the export said 6."""
    others = [new_member(world, f"1390000030{i}", name) for i, name in enumerate(["甲", "乙"])]
    make_record(world, hours="2", verification="recorded", members=[world.member.member, *others])
    client = client_for(world.community_admin)
    page = client.get(reverse("service:console"), period())
    assert page.context["totals"]["recorded"] == Decimal("6")
    assert '<p class="figure">6</p>' in page.content.decode()
    export = client.get(reverse("service:export"), period())
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][6] == 6
    # Each member's own page counts their own hours: 2.
    mine = client_for(world.member).get(reverse("service:mine"))
    assert mine.context["totals"]["recorded"] == Decimal("2")


def test_the_sheet_of_whole_numbers_asks_for_the_password_and_logs_each_number(world, client):
    make_record(world, hours="2", verification=ServiceRecord.Verification.SELF)
    client.force_login(world.community_admin)
    url = reverse("service:export")
    asked = client.get(url, period())
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("people:password_confirm"))
    assert not PhoneView.objects.exists()
    password_confirmed(client)
    assert client.get(url, period()).status_code == 200
    view = PhoneView.objects.get()
    assert (view.viewer, view.subject_name, view.context) == (
        world.community_admin,
        "张三",
        "hours export",
    )


@pytest.mark.parametrize(
    "today, start",
    [("2026-12-01", dt.date(2026, 11, 1)), ("2026-03-15", dt.date(2026, 2, 1))],
)
def test_the_records_page_opens_on_last_month_and_this_one(world, client_for, today, start):
    """It opened on the last day of last month: on 1 December, "30 November to 1 December"."""
    with time_machine.travel(dt.datetime.fromisoformat(f"{today}T09:00+08:00"), tick=False):
        response = client_for(world.community_admin).get(reverse("service:console"))
    assert (response.context["start"], response.context["end"]) == (
        start,
        dt.date.fromisoformat(today),
    )
