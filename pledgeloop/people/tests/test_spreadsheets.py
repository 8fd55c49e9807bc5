"""Excel import and export of members and residents, read back with openpyxl."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from pledgeloop.lib.spreadsheets import build_csv
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Consent, Member, PhoneView, Resident, User

from .reauth import password_confirmed

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    """Signed in and with the password just given again: the exports of whole numbers here
    are about their contents (the prompt itself is test_password_confirm.py's)."""

    def sign_in(user):
        return password_confirmed(client_for(user))

    return sign_in


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


@pytest.fixture
def sites(world):
    """星港湾's compounds and buildings: 阳光花园 1幢–3幢, 幸福小区 1幢."""
    made = {}
    for compound_name, buildings in [("阳光花园", ["1幢", "2幢", "3幢"]), ("幸福小区", ["1幢"])]:
        compound = Site.objects.create(
            street=world.street,
            community=world.community,
            kind=Site.Kind.COMPOUND,
            name=compound_name,
            latitude=31.95,
            longitude=120.94,
        )
        for name in buildings:
            made[compound_name + name] = Site.objects.create(
                street=world.street,
                community=world.community,
                parent=compound,
                kind=Site.Kind.BUILDING,
                name=name,
                latitude=31.95,
                longitude=120.94,
            )
    return made


def test_an_unknown_building_is_refused_with_the_nearest_name(world, client_for, sites):
    """ "不存在花园99幢101室" once went in: buildings are checked against the community's."""
    before = Resident.objects.count()
    file = workbook(
        RESIDENT_HEADER,
        [
            ["刘一", "13800001111", "不存在花园99幢101室", None, None, "是"],  # row 2
            ["陈二", "13800002222", "阳光花园9幢101室", None, None, "是"],  # row 3
            ["张三", "13800003333", "阳光花圆2幢301室", None, None, "是"],  # row 4: typo
            ["孙八", "13800004444", "阳光花园 3栋 202室", None, None, "是"],  # row 5: fine
        ],
    )
    response = upload(client_for(world.community_admin), world.community, "residents", file)
    assert response.status_code == 400
    assert Resident.objects.count() == before
    text = response.text
    assert "第 2 行" in text and "不存在花园99幢" in text
    assert "第 3 行" in text and "阳光花园没有9幢" in text
    assert "第 4 行" in text and "是不是“阳光花园2幢”" in text
    assert "第 5 行" not in text


def test_a_known_building_links_the_resident_to_it(world, client_for, sites):
    file = workbook(
        RESIDENT_HEADER,
        [
            ["孙八", "13800004444", "阳光花园 3栋 202室", None, None, "是"],
            ["周五", "13800005555", "幸福小区门卫室旁", None, None, "否"],
        ],
    )
    response = upload(client_for(world.community_admin), world.community, "residents", file)
    assert response.status_code == 302, response.text
    assert Resident.objects.get(name="孙八").site == sites["阳光花园3幢"]
    assert Resident.objects.get(name="周五").site.name == "幸福小区"


def _export(client, community, full: bool) -> io.BytesIO:
    url = reverse("people:export", args=[community.pk, "residents"])
    response = client.get(url + ("?full=1" if full else ""))
    file = io.BytesIO(response.content)
    file.name = "exported.xlsx"
    return file


def _with_rows(file: io.BytesIO, rows: list[list], edit=None) -> io.BytesIO:
    book = load_workbook(file)
    sheet = book.active
    totals = [c.value for c in sheet[sheet.max_row]]
    sheet.delete_rows(sheet.max_row)
    if edit:
        edit(sheet)
    for row in rows:
        sheet.append(row)
    sheet.append(totals)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "edited.xlsx"
    return out


def test_the_full_number_export_is_an_import_template(world, client_for):
    """Export with full numbers, change an address, add a row, import: the new person is
    added, the changed one updated, the others left as they are."""
    client = client_for(world.community_admin)
    exported = _export(client, world.community, full=True)

    def move(sheet):
        for row in sheet.iter_rows(min_row=3):
            if row[0].value == "王秀兰":
                row[2].value = "阳光花园5幢502室"

    edited = _with_rows(
        exported, [["刘一", "13800001111", "阳光花园1幢101室", None, None, "是"]], move
    )
    response = upload(client, world.community, "residents", edited)
    assert response.status_code == 302, response.text
    assert Resident.objects.filter(community=world.community).count() == 2
    assert Resident.objects.get(name="王秀兰").address == "阳光花园5幢502室"
    assert Resident.objects.get(name="刘一").phone == "13800001111"
    followed = client.get(response["Location"]).content.decode()
    assert "新增 1 人" in followed and "更新 1 人" in followed


def test_the_masked_export_says_it_is_for_reading_only(world, client_for):
    """It could not be imported (371 "not a mobile number" errors) though the page said an
    exported file can be edited and imported again."""
    client = client_for(world.community_admin)
    masked = _export(client, world.community, full=False)
    title = load_workbook(masked).active["A1"].value
    assert "仅供查看" in title and "不能导入" in title
    masked.seek(0)
    response = upload(client, world.community, "residents", masked)
    assert response.status_code == 400
    assert response.text.count("不是中国大陆手机号") == 0
    assert "隐去" in response.text and "完整手机号" in response.text
    tools = client.get(reverse("people:residents")).content.decode()
    assert "仅供查看" in tools
    page = client.get(reverse("people:import", args=[world.community.pk, "residents"]))
    assert "仅供查看" in page.content.decode()


def test_a_formula_like_value_survives_a_round_trip_unchanged(world, client_for):
    """ "=1+2" came back as "'=1+2": the export's formula escape is undone on import."""
    Resident.objects.create(
        street=world.street,
        community=world.community,
        name="=1+2",
        phone="13811112222",
        address="@阳光花园1幢",
    )
    client = client_for(world.community_admin)
    exported = _export(client, world.community, full=True)
    Resident.objects.filter(community=world.community).delete()
    response = upload(client, world.community, "residents", exported)
    assert response.status_code == 302, response.text
    assert Resident.objects.get(phone="13811112222").name == "=1+2"
    assert Resident.objects.get(phone="13811112222").address == "@阳光花园1幢"


def test_the_members_export_imports_back_as_a_template(world, client_for):
    client = client_for(world.community_admin)
    exported = client.get(reverse("people:export", args=[world.community.pk, "members"]))
    file = io.BytesIO(exported.content)

    def more_capacity(sheet):
        for row in sheet.iter_rows(min_row=3):
            if row[0].value == "张三":
                row[5].value = 5

    edited = _with_rows(
        file,
        [["周七", "13600007777", "志愿者", None, "健康义诊", 2, None, None, "否"]],
        more_capacity,
    )
    response = upload(client, world.community, "members", edited)
    assert response.status_code == 302, response.text
    assert Member.objects.get(user__phone=world.member.phone).capacity == 5
    assert Member.objects.get(user__phone="13600007777").community == world.community


def test_an_exported_list_is_titled_with_the_day_as_people_write_it(world, client_for):
    """The title's date reads 2026年3月5日, not 2026年03月05日, and the words are the
    language's (session 17's walk found them written by hand outside the translations)."""
    place = f"{world.street.name}{world.community.name}"
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, tzinfo=timezone.get_current_timezone())):
        client = client_for(world.community_admin)
        masked = load_workbook(_export(client, world.community, full=False)).active
        members = client.get(reverse("people:export", args=[world.community.pk, "members"]))
    masked_title = f"{place}居民名单（2026年3月5日导出·手机号已隐去，仅供查看，不能导入）"
    assert masked["A1"].value == masked_title
    title = load_workbook(io.BytesIO(members.content)).active["A1"].value
    assert title == f"{place}党员名单（2026年3月5日导出·完整手机号，可修改后再导入）"
    assert "20260305" in members["Content-Disposition"]
