"""Excel import and export of members and residents, read back with openpyxl."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from pledgeloop.lib.spreadsheets import build_csv
from pledgeloop.people.models import Consent, Member, PhoneView, Resident, User

pytestmark = pytest.mark.django_db

RESIDENT_HEADER = ["姓名", "手机号", "地址", "纬度", "经度", "同意数据使用"]
MEMBER_HEADER = [
    "姓名",
    "手机号",
    "类型",
    "入党日期",
    "技能",
    "容量",
    "纬度",
    "经度",
    "公开联系方式",
]


def workbook(header, rows, title=None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "upload.xlsx"
    return buffer


def upload(client, community, kind, file):
    return client.post(reverse("people:import", args=[community.pk, kind]), {"file": file})


def test_good_residents_file_imports_every_row(world, client_for):
    file = workbook(
        RESIDENT_HEADER,
        [
            ["刘一", "13800001111", "阳光花园1幢101室", 31.95, 120.94, "是"],
            ["陈二", "138 0000 2222", "阳光花园2幢202室", None, None, "否"],
        ],
        title="星港湾居民名单",
    )
    response = upload(client_for(world.community_admin), world.community, "residents", file)
    assert response.status_code == 302
    assert (
        Resident.objects.filter(community=world.community, name__in=["刘一", "陈二"]).count() == 2
    )
    assert Resident.objects.get(name="陈二").phone == "13800002222"
    assert Consent.objects.filter(resident__name="刘一").count() == 1
    assert not Consent.objects.filter(resident__name="陈二").exists()


def test_file_with_bad_rows_imports_nothing_and_reports_each_row(world, client_for):
    before = Resident.objects.count()
    file = workbook(
        RESIDENT_HEADER,
        [
            ["刘一", "13800001111", "阳光花园1幢101室", None, None, "是"],  # row 3: good
            ["陈二", "1380000", "阳光花园2幢202室", None, None, "是"],  # row 4: bad phone
            ["", "13800003333", "", None, None, "是"],  # row 5: no name, no address
            ["刘一", "13800001111", "阳光花园1幢101室", None, None, "是"],  # row 6: duplicate
            [
                "孙五",
                "13800005555",
                "阳光花园5幢",
                "north",
                120.9,
                "也许",
            ],  # row 7: bad point, consent
        ],
        title="星港湾居民名单",
    )
    response = upload(client_for(world.community_admin), world.community, "residents", file)
    assert response.status_code == 400
    assert Resident.objects.count() == before
    text = response.text
    for row in ["第 4 行", "第 5 行", "第 6 行", "第 7 行"]:
        assert row in text
    assert "第 3 行" not in text
    assert "不是中国大陆手机号" in text
    assert "姓名" in text or "缺少" in text


def test_members_import_creates_accounts_roles_and_skills(world, client_for):
    file = workbook(
        MEMBER_HEADER,
        [
            [
                "周七",
                "13600007777",
                "退休",
                "1978-07-01",
                "助老扶幼、便民维修",
                4,
                31.95,
                120.94,
                "是",
            ],
            ["吴八", "13600008888", "志愿者", None, "健康义诊", None, None, None, "否"],
        ],
    )
    response = upload(client_for(world.community_admin), world.community, "members", file)
    assert response.status_code == 302, response.text
    zhou = Member.objects.get(user__phone="13600007777")
    assert zhou.kind == Member.Kind.RETIRED
    assert sorted(s.name for s in zhou.skills.all()) == ["便民维修", "助老扶幼"]
    assert zhou.capacity == 4 and zhou.public_contact
    assert zhou.user.role_grants.get().community == world.community
    assert not zhou.user.has_usable_password()
    assert zhou.joined_on == timezone.localdate()  # on the roster from the day of the import


def test_members_import_rejects_bad_kind_missing_party_date_and_unknown_skill(world, client_for):
    file = workbook(
        MEMBER_HEADER,
        [
            ["周七", "13600007777", "党员", "1978-07-01", "助老扶幼", 4, None, None, "否"],
            ["吴八", "13600008888", "在职", None, "修电脑", 3, None, None, "否"],
            ["郑九", world.member.phone, "退休", "1990-01-01", "", 3, None, None, "否"],
        ],
    )
    users_before = User.objects.count()
    response = upload(client_for(world.community_admin), world.community, "members", file)
    assert response.status_code == 400
    assert User.objects.count() == users_before
    assert "第 2 行" in response.text and "第 3 行" in response.text and "第 4 行" in response.text
    assert "修电脑" in response.text


def test_not_an_excel_file_is_refused(world, client_for):
    file = io.BytesIO(b"name,phone\n")
    file.name = "people.csv"
    response = upload(client_for(world.community_admin), world.community, "residents", file)
    assert response.status_code == 400
    assert ".xlsx" in response.text
    broken = io.BytesIO(b"not a zip")
    broken.name = "people.xlsx"
    response = upload(client_for(world.community_admin), world.community, "residents", broken)
    assert response.status_code == 400


def test_export_has_title_row_masked_phones_totals_and_escaped_formulas(world, client_for):
    Resident.objects.create(
        street=world.street,
        community=world.community,
        name="=HYPERLINK(1)",
        phone="13811112222",
        address="@evil",
    )
    response = client_for(world.community_admin).get(
        reverse("people:export", args=[world.community.pk, "residents"])
    )
    assert response.status_code == 200
    assert (
        "星港湾" in response["Content-Disposition"].encode().decode("unicode_escape")
        or "%E6%98%9F%E6%B8%AF%E6%B9%BE" in response["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "星港湾" in rows[0][0] and "居民" in rows[0][0]
    assert list(rows[1]) == RESIDENT_HEADER
    names = [r[0] for r in rows[2:-1]]
    assert "'=HYPERLINK(1)" in names
    assert "'@evil" in [r[2] for r in rows[2:-1]]
    assert all("****" in r[1] for r in rows[2:-1])
    assert rows[-1][0] == "合计"
    assert not PhoneView.objects.exists()


def test_export_with_full_numbers_logs_every_view(world, client_for):
    response = client_for(world.community_admin).get(
        reverse("people:export", args=[world.community.pk, "residents"]) + "?full=1"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=3, column=2).value == "13812345678"
    assert PhoneView.objects.filter(viewer=world.community_admin, context="export").count() == 1


def test_exported_members_file_imports_back_into_an_empty_community(world, client_for):
    client = client_for(world.street_admin)
    exported = client.get(reverse("people:export", args=[world.community.pk, "members"]))
    Member.objects.all().delete()
    User.objects.filter(phone=world.member.phone).delete()
    file = io.BytesIO(exported.content)
    file.name = "back.xlsx"
    response = upload(client, world.community, "members", file)
    assert response.status_code == 302, response.text
    assert Member.objects.get().user.name == "张三"


def test_csv_has_a_byte_order_mark_and_escapes_formulas():
    content = build_csv(headers=["姓名", "备注"], rows=[["张三", "=1+1"]])
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "张三" in text and "'=1+1" in text
