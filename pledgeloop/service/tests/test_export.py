"""The volunteer-hours export, read back with openpyxl."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
from django.urls import reverse
from django.utils import timezone

from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.selectors import hours_by_verification
from pledgeloop.service.services import service_record_create


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
