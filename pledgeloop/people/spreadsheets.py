"""Excel import (openpyxl) and export (XlsxWriter) of members and residents (C1).

An import is all or nothing: every row is checked first, and a file with any bad row
writes nothing and reports each bad row with its row number and the reason, in the
user's language. The full-number export is the import template: the header row is found
below the title row, the totals row is skipped, the formula escape is undone
(lib.spreadsheets.unescape_cell), a person already registered is updated where the row
changed them and left as they are otherwise, and a new row adds a person. The masked
residents export says in its title that it is for reading only, and an import of it is
refused with one message, not one per row. Residents' buildings are checked against the
community's compounds and buildings (orgs.addresses), with the nearest name suggested.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.lib.masking import is_mainland_mobile, mask_phone, normalise_phone
from pledgeloop.lib.params import parse_int
from pledgeloop.lib.spreadsheets import build_xlsx, unescape_cell
from pledgeloop.orgs.addresses import CommunityPlaces
from pledgeloop.orgs.models import Category, Community

from .consents import consent_give
from .models import Consent, Member, Resident, Role, RoleGrant, User
from .services import phone_views_record

MAX_ROWS = 20000
YES = {"是", "y", "yes", "1", "true", "同意", "√"}
NO = {"否", "n", "no", "0", "false", "", "不同意"}
KIND_BY_LABEL = {
    "在职": Member.Kind.EMPLOYED,
    "在职党员": Member.Kind.EMPLOYED,
    "退休": Member.Kind.RETIRED,
    "退休党员": Member.Kind.RETIRED,
    "企业": Member.Kind.ENTERPRISE,
    "企业党员": Member.Kind.ENTERPRISE,
    "志愿者": Member.Kind.VOLUNTEER,
}
KIND_LABEL = {
    Member.Kind.EMPLOYED: "在职",
    Member.Kind.RETIRED: "退休",
    Member.Kind.ENTERPRISE: "企业",
    Member.Kind.VOLUNTEER: "志愿者",
}
RESIDENT_COLUMNS = ["姓名", "手机号", "地址", "纬度", "经度", "同意数据使用"]
MEMBER_COLUMNS = [
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


class ImportRejected(Exception):
    """The file has bad rows; nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)} bad rows")


@dataclass
class ImportResult:
    created: int
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def message(self, community: Community) -> str:
        return _(
            "Imported into %(c)s: %(created)s added, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "c": community.name,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def _read_rows(file, expected: list[str]) -> list[tuple[int, dict]]:
    """Rows as {column: value} keyed by the header row, found within the first five rows."""
    # openpyxl is imported here, on the first upload read, not as every process starts (a
    # tenth of a second of CPU; the downloads are written with XlsxWriter). A third-party
    # library, not one of our layers: this late import dodges no layer rule.
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise ImportRejected([(0, _("The file is not an Excel workbook (.xlsx)."))]) from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 10))
    book.close()
    header_index = None
    for index, row in enumerate(rows[:5]):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if "姓名" in cells and "手机号" in cells:
            header_index, header = index, cells
            break
    if header_index is None:
        wanted = _(", ").join(expected)
        raise ImportRejected(
            [(0, _("No header row found; the columns should be: %(cols)s.") % {"cols": wanted})]
        )
    missing = [c for c in expected[:2] if c not in header]
    if missing:
        raise ImportRejected(
            [(header_index + 1, _("Missing columns: %(cols)s.") % {"cols": _(", ").join(missing)})]
        )
    out = []
    for index, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        values = {header[i]: row[i] for i in range(min(len(header), len(row))) if header[i]}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        if str(values.get("姓名") or "").strip() in {"合计", "Total"}:
            continue  # the totals row of our own exports
        out.append((index, values))
    if len(out) > MAX_ROWS:
        raise ImportRejected([(0, _("Too many rows: at most %(n)s per file.") % {"n": MAX_ROWS})])
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(unescape_cell(value)).strip()


MASKED = "*"


def _refuse_masked(rows: list[tuple[int, dict]]) -> None:
    """The masked export cannot be imported: say so once, not once per row."""
    masked = [row for row, values in rows if MASKED in _text(values.get("手机号"))]
    if masked:
        raise ImportRejected(
            [
                (
                    0,
                    _(
                        "%(n)s mobile numbers in this file are masked (such as 138****1234): "
                        "it is the export for reading only and cannot be imported. Export "
                        "with full numbers (each view is logged), edit that file and import it."
                    )
                    % {"n": len(masked)},
                )
            ]
        )


def _phone(value, problems: list[str]) -> str:
    phone = normalise_phone(_text(value))
    if not phone:
        problems.append(_("the mobile number is missing"))
    elif not is_mainland_mobile(phone):
        problems.append(_("%(v)s is not a mainland mobile number") % {"v": phone})
    return phone


def _point(values: dict, problems: list[str]) -> tuple[Decimal | None, Decimal | None]:
    lat_raw, lng_raw = _text(values.get("纬度")), _text(values.get("经度"))
    if not lat_raw and not lng_raw:
        return None, None
    try:
        lat, lng = (
            Decimal(lat_raw).quantize(Decimal("0.000001")),
            Decimal(lng_raw).quantize(Decimal("0.000001")),
        )
    except InvalidOperation:
        problems.append(_("latitude and longitude must both be numbers"))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        problems.append(_("the latitude or longitude is out of range"))
    return lat, lng


def _yes_no(value, column: str, problems: list[str]) -> bool:
    raw = _text(value).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    problems.append(_("%(col)s must be 是 or 否, not %(v)s") % {"col": column, "v": raw})
    return False


def _name(values: dict, problems: list[str]) -> str:
    name = _text(values.get("姓名"))
    if not name:
        problems.append(_("the name is missing"))
    elif len(name) > 40:
        problems.append(_("the name is longer than 40 characters"))
    return name


def _finish(errors: list[tuple[int, str]], row: int, problems: list[str]) -> None:
    if problems:
        errors.append(
            (row, _("Row %(row)s: %(problems)s.") % {"row": row, "problems": "；".join(problems)})
        )


def residents_import(*, community: Community, file, by: User) -> ImportResult:
    rows = _read_rows(file, RESIDENT_COLUMNS)
    _refuse_masked(rows)
    places = CommunityPlaces(community)
    errors: list[tuple[int, str]] = []
    seen: set[tuple[str, str]] = set()
    existing = {(r.name, r.phone): r for r in Resident.objects.filter(community=community)}
    consented = _consented_ids(community)
    new, changed, unchanged = [], [], 0
    for row, values in rows:
        problems: list[str] = []
        name = _name(values, problems)
        phone = _phone(values.get("手机号"), problems)
        address = _text(values.get("地址"))[:200]
        if not address:
            problems.append(_("the address is missing"))
        lat, lng = _point(values, problems)
        consent = _yes_no(values.get("同意数据使用"), "同意数据使用", problems)
        if (name, phone) in seen:
            problems.append(_("this person appears twice in the file"))
        seen.add((name, phone))
        current = existing.get((name, phone))
        if current is not None and current.address == address:
            site = current.site  # registered with this address already: nothing to check
        else:
            site = places.site_for(address, problems) if address else None
        _finish(errors, row, problems)
        fields = {"address": address, "site": site, "latitude": lat, "longitude": lng}
        if current is None:
            new.append((name, phone, fields, consent))
            continue
        updates = [f for f, v in fields.items() if getattr(current, f) != v]
        consent_changes = consent != (current.pk in consented)
        if updates or consent_changes:
            for f in updates:
                setattr(current, f, fields[f])
            changed.append((current, updates, consent))
        else:
            unchanged += 1
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        for name, phone, fields, consent in new:
            resident = Resident.objects.create(
                street_id=community.street_id, community=community, name=name, phone=phone, **fields
            )
            if consent:
                _consent_give(resident, by)
        for resident, updates, consent in changed:
            if updates:
                resident.save(update_fields=updates)
            if consent and resident.pk not in consented:
                _consent_give(resident, by)
            elif not consent and resident.pk in consented:
                Consent.objects.filter(
                    resident=resident, purpose=Consent.Purpose.DATA_USE, withdrawn_at__isnull=True
                ).update(withdrawn_at=timezone.now())  # the record's own, not its number's
    return ImportResult(created=len(new), updated=len(changed), unchanged=unchanged)


def _consented_ids(community: Community) -> set[int]:
    return set(
        Consent.objects.filter(
            resident__community=community,
            purpose=Consent.Purpose.DATA_USE,
            withdrawn_at__isnull=True,
        ).values_list("resident_id", flat=True)
    )


def _consent_give(resident: Resident, by: User) -> None:
    consent_give(
        street_id=resident.street_id,
        resident=resident,
        purpose=Consent.Purpose.DATA_USE,
        source=f"excel:{by.pk}",
    )


def _date(value, problems: list[str]) -> dt.date | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = (
        _text(value)
        .replace("年", "-")
        .replace("月", "-")
        .replace("日", "")
        .replace("/", "-")
        .replace(".", "-")
    )
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in raw.split("-")))
    except ValueError:
        problems.append(_("%(v)s is not a date such as 1998-07-01") % {"v": _text(value)})
        return None


def members_import(*, community: Community, file, by: User) -> ImportResult:
    rows = _read_rows(file, MEMBER_COLUMNS)
    _refuse_masked(rows)
    categories = {c.name: c for c in Category.objects.filter(street_id=community.street_id)}
    taken = set(User.objects.values_list("phone", flat=True))
    mine = {
        m.user.phone: m
        for m in Member.objects.filter(community=community)
        .select_related("user")
        .prefetch_related("skills")
    }
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    new, changed, unchanged = [], [], 0
    today = timezone.localdate()
    for row, values in rows:
        problems: list[str] = []
        name = _name(values, problems)
        phone = _phone(values.get("手机号"), problems)
        kind_label = _text(values.get("类型"))
        kind = KIND_BY_LABEL.get(kind_label)
        if kind is None:
            problems.append(
                _("类型 must be 在职, 退休, 企业 or 志愿者, not %(v)s") % {"v": kind_label or "—"}
            )
        joined = _date(values.get("入党日期"), problems)
        if kind and kind != Member.Kind.VOLUNTEER and joined is None and not problems:
            problems.append(_("a party member needs 入党日期"))
        if joined and joined > today:
            problems.append(_("入党日期 is in the future"))
        skill_names = [
            s.strip()
            for s in _text(values.get("技能")).replace("，", "、").replace(",", "、").split("、")
            if s.strip()
        ]
        unknown = [s for s in skill_names if s not in categories]
        if unknown:
            problems.append(_("unknown skills: %(v)s") % {"v": _(", ").join(unknown)})
        capacity = parse_int(_text(values.get("容量")) or "3", minimum=0, maximum=50)
        if capacity is None:
            problems.append(_("容量 must be a whole number from 0 to 50"))
            capacity = 0
        lat, lng = _point(values, problems)
        public = _yes_no(values.get("公开联系方式"), "公开联系方式", problems)
        current = mine.get(phone)
        if phone in seen:
            problems.append(_("this mobile number appears twice in the file"))
        elif phone in taken and current is None:
            problems.append(_("%(v)s already has an account") % {"v": mask_phone(phone)})
        elif current is not None and current.user.name != name:
            # The number is the account: a different name is more likely a mistake.
            problems.append(
                _("%(v)s is the number of %(name)s, not of %(other)s")
                % {"v": mask_phone(phone), "name": current.user.name, "other": name}
            )
        seen.add(phone)
        _finish(errors, row, problems)
        skills = [categories[s] for s in skill_names if s in categories]
        fields = {
            "kind": kind,
            "party_join_date": joined,
            "capacity": capacity,
            "home_latitude": lat,
            "home_longitude": lng,
            "public_contact": public,
        }
        if current is None:
            new.append((name, phone, fields, skills))
            continue
        updates = [f for f, v in fields.items() if getattr(current, f) != v]
        reskilled = {c.pk for c in current.skills.all()} != {c.pk for c in skills}
        if updates or reskilled:
            for f in updates:
                setattr(current, f, fields[f])
            changed.append((current, updates, skills if reskilled else None))
        else:
            unchanged += 1
    if errors:
        raise ImportRejected(errors)
    # A fresh account may not sign in until an admin sets or resets its password.
    unusable = make_password(None)
    with transaction.atomic():
        for name, phone, fields, skills in new:
            user = User.objects.create(phone=phone, name=name, password=unusable)
            RoleGrant.objects.create(
                user=user, role=Role.MEMBER, street_id=community.street_id, community=community
            )
            member = Member.objects.create(
                user=user,
                street_id=community.street_id,
                community=community,
                joined_on=today,  # on the roster from today: earlier figures do not count them
                **fields,
            )
            member.skills.set(skills)
        for member, updates, skills in changed:
            if updates:
                member.save(update_fields=updates)
            if skills is not None:
                member.skills.set(skills)
    return ImportResult(created=len(new), updated=len(changed), unchanged=unchanged)


def _dated_title(kind: str, community: Community, *, template: bool) -> tuple[str, str]:
    """The title says what the file is for: the full-number file is the import template;
    the masked one is for reading only. `kind` is the list's translated name (居民, 党员)."""
    today = timezone.localdate()
    use = (
        _("full numbers: edit and import this file again")
        if template
        else _("numbers masked: for reading only, cannot be imported")
    )
    title = _("%(street)s%(community)s %(kind)s list (exported %(date)s · %(use)s)") % {
        "street": community.street.name,
        "community": community.name,
        "kind": kind,
        "date": date_format(today, "DATE_FORMAT"),
        "use": use,
    }
    suffix = "" if template else "-" + _("read-only")
    filename = f"{community.name}-{kind}-{today:%Y%m%d}{suffix}.xlsx"
    return title, filename


def residents_export(
    *, community: Community, by: User, full_phones: bool = False, page: str = ""
) -> tuple[bytes, str]:
    """Residents of one community. Whole numbers only when asked, and then each view is logged."""
    residents = list(Resident.objects.filter(community=community).order_by("name_sort"))
    consented = _consented_ids(community)
    if full_phones:
        phone_views_record(
            viewer=by,
            street_id=community.street_id,
            community_id=community.pk,
            people=((r.name, r.phone, r) for r in residents),
            context="export",
            page=page,
        )
    title, filename = _dated_title(_("residents"), community, template=full_phones)
    rows = (
        [
            r.name,
            r.phone if full_phones else mask_phone(r.phone),
            r.address,
            float(r.latitude) if r.latitude is not None else None,
            float(r.longitude) if r.longitude is not None else None,
            "是" if r.pk in consented else "否",
        ]
        for r in residents
    )
    content = build_xlsx(
        title=title,
        headers=RESIDENT_COLUMNS,
        rows=rows,
        totals=[None, _("%(n)s people") % {"n": len(residents)}, None, None, None, None],
    )
    return content, filename


def members_export(*, community: Community, by: User, page: str = "") -> tuple[bytes, str]:
    """Members of one community with their whole numbers (the import template); each number
    in the file is logged as seen."""
    members = list(
        Member.objects.filter(community=community)
        .select_related("user")
        .prefetch_related("skills")
        .order_by("user__name_sort")
    )
    phone_views_record(
        viewer=by,
        street_id=community.street_id,
        community_id=community.pk,
        people=((m.user.name, m.user.phone, None) for m in members),
        context="members export",
        page=page,
    )
    title, filename = _dated_title(_("members"), community, template=True)
    rows = (
        [
            m.user.name,
            m.user.phone,
            KIND_LABEL[m.kind],
            m.party_join_date,  # an Excel date; the import reads it back as one
            "、".join(s.name for s in m.skills.all()),
            m.capacity,
            float(m.home_latitude) if m.home_latitude is not None else None,
            float(m.home_longitude) if m.home_longitude is not None else None,
            "是" if m.public_contact else "否",
        ]
        for m in members
    )
    content = build_xlsx(
        title=title,
        headers=MEMBER_COLUMNS,
        rows=rows,
        totals=[None, _("%(n)s people") % {"n": len(members)}] + [None] * 7,
    )
    return content, filename
