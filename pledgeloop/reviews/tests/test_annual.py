"""年度评议: scores computed from explicit records match the numbers worked out by hand."""

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import IntegrityError
from django.urls import reverse
from pypdf import PdfReader

from pledgeloop.conftest import shared_fixture
from pledgeloop.orgs.services import community_create
from pledgeloop.people.models import Role, RoleGrant
from pledgeloop.reviews.annual import AnnualSummary, annual_review, annual_summary
from pledgeloop.reviews.models import Assessment, ReviewWeights
from pledgeloop.service.models import ServiceRecord

from .conftest import at, new_member, pledge_with_visits, record, review

V = ServiceRecord.Verification
ORG, SELF = Assessment.Kind.ORGANISATION, Assessment.Kind.SELF


def assess(member, quarter, kind, score, year=2025):
    Assessment.objects.create(
        street_id=member.street_id,
        member=member,
        year=year,
        quarter=quarter,
        kind=kind,
        score=score,
    )


@shared_fixture
def year_2025(world):
    """Three members of 星港湾 and their 2025 (plus a little 2024, which must not count).

    张三 (world.member):
      visits: 01-06 fulfilled, 02-03 fulfilled, 03-03 missed, 04-07 fulfilled, 12-29 still due,
              and 2024-12-02 fulfilled (last year)      → due 4, fulfilled 3        → 0.75
      records: 3 h verified (rated 5), 4.5 h recorded (rated 4), 2 h self (rated 2, not
               solved), and 3 h on 2024-12-30 (last year) → 9.5 h ÷ 24             → 0.395833…
      ratings: (5 + 4 + 2) ÷ 3 = 11/3, ÷ 5                                         → 0.733333…
      organisation: Q1 80, Q2 90 (and 2024 Q4 10, last year) → 85 ÷ 100            → 0.85
      self: Q1 95                                                                  → 0.95
    李梅:
      no visits (fulfilment left out); records 15 h verified (5), 15 h recorded (5) and a
      2 h verified record shared with 王五 (3) → 32 h → min(1, 32/24)              → 1
      ratings (5 + 5 + 3) ÷ 3 = 13/3, ÷ 5                                          → 0.866667…
      organisation Q1–Q4: 90, 95, 100, 95 → 95                                     → 0.95
      no self-assessment (left out)
    王五:
      only the shared 2 h record (rated 3): hours 2/24 → 0.083333…, ratings 3/5 → 0.6; the rest
      left out.
    """
    zhang = world.member.member
    li = new_member(world, "13900000201", "李梅")
    wang = new_member(world, "13900000202", "王五")
    pledge_with_visits(
        zhang,
        [
            ("2025-01-06", "fulfilled"),
            ("2025-02-03", "fulfilled"),
            ("2025-03-03", "missed"),
            ("2025-04-07", "fulfilled"),
            ("2025-12-29", "due"),
        ],
    )
    pledge_with_visits(zhang, [("2024-12-02", "fulfilled")], year=2024)
    review(record(zhang, at(2025, 3, 10), "3", V.VERIFIED), 5)
    review(record(zhang, at(2025, 6, 2), "4.5", V.RECORDED), 4)
    review(record(zhang, at(2025, 9, 15), "2", V.SELF), 2, solved=False)
    review(record(zhang, at(2024, 12, 30), "3", V.VERIFIED), 1)
    review(record(li, at(2025, 4, 1), "15", V.VERIFIED), 5)
    review(record(li, at(2025, 5, 1), "15", V.RECORDED), 5)
    review(record([li, wang], at(2025, 7, 1), "2", V.VERIFIED), 3)
    assess(zhang, 1, ORG, 80)
    assess(zhang, 2, ORG, 90)
    assess(zhang, 4, ORG, 10, year=2024)
    assess(zhang, 1, SELF, 95)
    for quarter, score in zip([1, 2, 3, 4], [90, 95, 100, 95], strict=True):
        assess(li, quarter, ORG, score)
    return zhang, li, wang


def by_name(scores):
    return {s.member.name: s for s in scores}


def test_annual_scores_match_the_hand_computed_values(world, year_2025):
    weights = ReviewWeights.for_street(world.street)  # defaults 30/20/25/15/10, 24 h
    scores = by_name(annual_review([world.community], 2025, weights))
    # 张三: 30×0.75 + 20×(9.5/24) + 25×(11/15) + 15×0.85 + 10×0.95
    #     = 22.5 + 7.91667 + 18.33333 + 12.75 + 9.5 = 71.0 over all 100 → 71.0, 合格
    assert scores["张三"].score == Decimal("71.0")
    assert scores["张三"].components["pledge_fulfilment"] == Decimal("0.75")
    assert str(scores["张三"].grade) == "合格"
    # 李梅: (20×1 + 25×(13/15) + 15×0.95) ÷ (20 + 25 + 15)
    #     = (20 + 21.66667 + 14.25) ÷ 60 = 55.91667 ÷ 60 = 93.194… → 93.2, 优秀
    assert scores["李梅"].score == Decimal("93.2")
    assert scores["李梅"].components["pledge_fulfilment"] is None
    assert scores["李梅"].components["self_assessment"] is None
    assert str(scores["李梅"].grade) == "优秀"
    # 王五: (20×(2/24) + 25×0.6) ÷ 45 = (1.66667 + 15) ÷ 45 = 37.037… → 37.0, 不合格
    assert scores["王五"].score == Decimal("37.0")
    assert str(scores["王五"].grade) == "不合格"


def test_the_headline_figures_from_ids_alone_are_those_of_every_member_s_score(world, year_2025):
    """The page's summary (annual_summary: ids and figures, no member's row) is the summary of
    the scores annual_review computes for the same members, with no evidence or with some,
    for the street and for one community."""
    new_member(world, "13900000203", "孙七")  # nothing at all: 未评议
    weights = ReviewWeights.for_street(world.street)
    summaries = []
    for communities in ([world.community], [world.community, world.neighbour]):
        expected = AnnualSummary.of(annual_review(communities, 2025, weights))
        assert annual_summary(communities, 2025, weights) == expected
        summaries.append(expected)
    # 张三 71.0 (合格), 李梅 93.2 (优秀), 王五 37.0 (不合格), 孙七 未评议: (71 + 93.2 + 37) ÷ 3
    assert summaries[0] == AnnualSummary(4, 3, Decimal("67.1"), (1, 0, 1, 1, 1))


def test_a_member_with_no_evidence_at_all_is_not_reviewed_rather_than_failed(world, year_2025):
    """72 of the demo's 75 不合格 had no records at all: no data once scored 0."""
    lonely = new_member(world, "13900000203", "孙七")
    scores = by_name(annual_review([world.community], 2025, ReviewWeights.for_street(world.street)))
    assert all(value is None for value in scores[lonely.name].components.values())
    assert scores[lonely.name].score is None
    assert str(scores[lonely.name].grade) == "未评议"


def test_no_service_records_is_no_record_for_hours_not_zero(world, year_2025):
    """Hours without a single record are 无记录 and left out, like every other component."""
    assessed = new_member(world, "13900000203", "孙七")
    assess(assessed, 1, ORG, 80)
    scores = by_name(annual_review([world.community], 2025, ReviewWeights.for_street(world.street)))
    assert scores["孙七"].components["hours"] is None
    # Only the organisation's assessment has evidence: 15 × 0.8 ÷ 15 = 80.0, 良好.
    assert scores["孙七"].score == Decimal("80.0")
    assert str(scores["孙七"].grade) == "良好"


def test_the_street_may_rule_that_no_evidence_fails(world, year_2025, client_for):
    url = reverse("reviews:weights", args=["jianghai"])
    admin = client_for(world.street_admin)
    page = admin.get(url).content.decode()
    assert "没有任何记录的党员" in page and "未评议" in page  # the rule, shown with its default
    lonely = new_member(world, "13900000203", "孙七")
    response = admin.post(url, ReviewWeights.DEFAULTS | {"no_evidence_grade": "unsatisfactory"})
    assert response.status_code == 302
    weights = ReviewWeights.objects.get(street=world.street)
    scores = by_name(annual_review([world.community], 2025, weights))
    assert scores[lonely.name].score is None
    assert str(scores[lonely.name].grade) == "不合格"
    annual = admin.get(reverse("reviews:annual", args=["jianghai", 2025])).content.decode()
    assert "没有任何记录的党员评为不合格" in annual
    bad = admin.post(url, ReviewWeights.DEFAULTS | {"no_evidence_grade": "excellent"})
    assert bad.status_code == 200
    weights.refresh_from_db()
    assert weights.no_evidence_grade == "unsatisfactory"


def test_street_weights_change_the_scores(world, year_2025, client_for):
    page = client_for(world.street_admin).post(
        reverse("reviews:weights", args=["jianghai"]),
        {
            "pledge_fulfilment": 40,
            "hours": 30,
            "resident_ratings": 10,
            "organisation": 10,
            "self_assessment": 10,
            "target_hours": 12,
            "no_evidence_grade": "unreviewed",
        },
    )
    assert page.status_code == 302
    weights = ReviewWeights.objects.get(street=world.street)
    scores = by_name(annual_review([world.community], 2025, weights))
    # 张三: 40×0.75 + 30×min(1, 9.5/12) + 10×(11/15) + 10×0.85 + 10×0.95
    #     = 30 + 23.75 + 7.33333 + 8.5 + 9.5 = 79.08333 → 79.1, 良好
    assert scores["张三"].score == Decimal("79.1")
    assert str(scores["张三"].grade) == "良好"


def test_weights_that_do_not_add_up_to_100_are_refused(world, client_for):
    page = client_for(world.street_admin).post(
        reverse("reviews:weights", args=["jianghai"]),
        {
            "pledge_fulfilment": 30,
            "hours": 20,
            "resident_ratings": 25,
            "organisation": 15,
            "self_assessment": 20,
            "target_hours": 24,
            "no_evidence_grade": "unreviewed",
        },
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "各项权重之和是 110，必须是 100。" in text and "review_weights_sum_100" not in text
    assert not ReviewWeights.objects.exists()


def test_the_database_refuses_weights_that_do_not_add_up(world):
    with pytest.raises(IntegrityError):
        ReviewWeights.objects.create(street=world.street, **(ReviewWeights.DEFAULTS | {"hours": 5}))


def test_only_street_admins_of_the_street_edit_weights(world, client_for):
    url = reverse("reviews:weights", args=["jianghai"])
    assert client_for(world.street_admin).get(url).status_code == 200
    for user in [world.community_admin, world.member, world.outsider]:
        assert client_for(user).get(url).status_code == 404
    assert (
        client_for(world.street_admin).get(reverse("reviews:weights", args=["heping"])).status_code
        == 404
    )


def test_annual_page_by_role(world, year_2025, client_for):
    url = reverse("reviews:annual", args=["jianghai", 2025])
    for user in [world.street_admin, world.community_admin]:
        text = client_for(user).get(url).content.decode()
        assert "张三" in text and "71.0" in text and "优秀" in text
    # The neighbouring community's admin sees the street's page, but none of 星港湾's members.
    text = client_for(world.outsider).get(url).content.decode()
    assert "张三" not in text
    assert client_for(world.member).get(url).status_code == 404


def test_drill_down_shows_the_records_behind_each_component(world, year_2025, client_for):
    zhang, li, _wang = year_2025
    url = reverse("reviews:annual_member", args=["jianghai", 2025, zhang.pk])
    text = client_for(world.community_admin).get(url).content.decode()
    assert "71.0" in text and "合格" in text
    # Each component's heading in one sentence, with a full-width colon (it read
    # "承诺履行率: 排班 3 / 4").
    assert "<h2>承诺履行：应践诺 4 次，已践诺 3 次</h2>" in text
    assert "<h2>服务时长：9.5 小时，全年目标 24 小时</h2>" in text
    assert "<h2>群众评价：3 条 · 平均 3.67 / 5</h2>" in text
    assert "每月为独居老人测血压" in text  # the visits
    assert "2025年3月10日" in text and "2025年9月15日" in text  # the records
    assert "2024年12月30日" not in text  # last year's record does not count
    assert "未解决" in text  # the review that said "not solved"
    # The member sees their own drill-down, not someone else's; the outsider sees neither.
    assert client_for(world.member).get(url).status_code == 200
    other = reverse("reviews:annual_member", args=["jianghai", 2025, li.pk])
    assert client_for(world.member).get(other).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404


def test_excel_export_reads_back(world, year_2025, client_for):
    url = reverse("reviews:annual_export", args=["jianghai", 2025, "xlsx"])
    response = client_for(world.community_admin).get(url)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert "年度评议" in rows[0][0]
    assert rows[1][-2:] == ("得分", "等次")
    table = {row[1]: row for row in rows[2:-1]}
    assert table["张三"][-2:] == (71.0, "合格")
    assert table["李梅"][-2:] == (93.2, "优秀")
    assert table["李梅"][2] == "无记录"  # left out: no visits
    assert rows[-1][0] == "合计"


def test_pdf_export_contains_the_chinese_names_and_grades(world, year_2025, client_for):
    url = reverse("reviews:annual_export", args=["jianghai", 2025, "pdf"])
    response = client_for(world.street_admin).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ["张三", "李梅", "王五", "合格", "优秀", "不合格", "71.0", "93.2"]:
        assert expected in text


def test_exports_are_refused_outside_the_scope(world, year_2025, client_for):
    url = reverse("reviews:annual_export", args=["jianghai", 2025, "xlsx"])
    assert client_for(world.member).get(url).status_code == 404
    bad = reverse("reviews:annual_export", args=["jianghai", 2025, "csv"])
    assert client_for(world.street_admin).get(bad).status_code == 404


@shared_fixture
def half_way(world):
    """Three members whose figures end on a 5 in the second decimal of a percentage, where
    rounding half up and rounding half to even part ways (56.25 → 56.3, not 56.2).

    甲: 13.5 h of 24 (56.25 %), nothing else                       → 56.3
    乙: 9 of 16 visits fulfilled (56.25 %), 1.5 h (6.25 %)          → (30×.5625 + 20×.0625) ÷ 50
                                                                    = 36.25 → 36.3
    丙: organisation 56, 56, 56, 57 (56.25 %), one record of 0.25 h → (15×.5625 + 20×.0104…)
                                                                    ÷ 35 = 24.702… → 24.7
    """
    jia = new_member(world, "13900000211", "甲")
    yi = new_member(world, "13900000212", "乙")
    bing = new_member(world, "13900000213", "丙")
    record(jia, at(2025, 5, 6), "13.5", V.RECORDED)
    states = ["fulfilled"] * 9 + ["missed"] * 7
    pledge_with_visits(yi, [(f"2025-{m:02d}-{d:02d}", st) for (m, d), st in zip(
        [(m, d) for m in range(1, 9) for d in (3, 17)], states, strict=True
    )])  # fmt: skip
    record(yi, at(2025, 6, 2), "1.5", V.SELF)
    for quarter, score in zip([1, 2, 3, 4], [56, 56, 56, 57], strict=True):
        assess(bing, quarter, ORG, score)
    record(bing, at(2025, 7, 2), "0.25", V.SELF)
    return jia, yi, bing


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_page_excel_and_pdf_round_the_same_way(world, half_way, client_for):
    """The Excel once wrote 56.2 where the PDF said 56.3 (half to even against half up)."""
    client = client_for(world.community_admin)
    page = client.get(reverse("reviews:annual", args=["jianghai", 2025])).content.decode()
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        found = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in found]
        if len(cells) == 9:
            rows[cells[1]] = cells
    assert rows["甲"][2:] == ["无记录", "56.3%", "无记录", "无记录", "无记录", "56.3", "不合格"]
    assert rows["乙"][2:4] == ["56.3%", "6.3%"] and rows["乙"][7] == "36.3"
    assert rows["丙"][5] == "56.3%" and rows["丙"][7] == "24.7"

    xlsx = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    table = {r[1]: r for r in list(sheet.iter_rows(values_only=True))[2:-1]}

    pdf = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, "pdf"]))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    pdf_rows = {line.split()[1]: line for line in text.splitlines() if line.startswith("星港湾 ")}

    def value(cell):
        if cell is None or cell == "—":
            return "—"
        return cell if cell == "无记录" else Decimal(str(cell).rstrip("%"))

    for name in ["甲", "乙", "丙", "张三"]:
        on_page = [value(c) for c in rows[name][2:8]]
        assert [value(c) for c in table[name][2:8]] == on_page, name
        in_pdf = [Decimal(n) for n in _numbers(pdf_rows[name])]
        assert in_pdf == [v for v in on_page if isinstance(v, Decimal)], name
        assert rows[name][8] == table[name][8] and rows[name][8] in pdf_rows[name]
    # Chinese punctuation in the rules' line: it read "权重: … 年度目标 24 小时." on the page
    # and "权重: … 10%." in the PDF.
    assert "权重：" in page and "年度目标 24 小时。" in page and "小时." not in page
    assert "权重：" in text and "10%." not in text


def test_annual_exports_are_named_for_the_communities_they_hold(world, year_2025, client_for):
    community_create(street=world.street, name="金科", slug="jinke")
    RoleGrant.objects.create(
        user=world.community_admin,
        role=Role.COMMUNITY_ADMIN,
        street=world.street,
        community=world.neighbour,
    )
    client = client_for(world.community_admin)
    for fmt in ["xlsx", "pdf"]:
        response = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, fmt]))
        filename = unquote(response["Content-Disposition"].split("''", 1)[1])
        assert "星港湾" in filename and "腾飞" in filename and "江海街道" not in filename, fmt
    xlsx = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, "xlsx"]))
    title = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["A1"].value
    assert "星港湾" in title and "腾飞" in title and "江海街道" not in title
    page = client.get(reverse("reviews:annual", args=["jianghai", 2025])).content.decode()
    assert "<h1>星港湾、腾飞 2025 年度评议</h1>" in page


def test_the_review_of_a_year_holds_the_members_of_that_year(world, year_2025):
    """Not today's roster: a member who joined later is not reviewed for 2025 (未评议 for a
    year they were not there), and one who served in 2025 and left since still is."""
    newcomer = new_member(world, "13900000221", "新来")
    newcomer.joined_on = date(2026, 3, 1)
    newcomer.save(update_fields=["joined_on"])
    leaver = new_member(world, "13900000222", "离开")
    record(leaver, at(2025, 4, 2), "6", V.RECORDED)
    leaver.active, leaver.left_on = False, date(2025, 9, 1)
    leaver.save(update_fields=["active", "left_on"])
    scores = by_name(annual_review([world.community], 2025, ReviewWeights.for_street(world.street)))
    assert "新来" not in scores
    assert scores["离开"].score == Decimal("25.0")  # 6 of 24 h: hours is the only evidence
    this_year = by_name(
        annual_review([world.community], 2026, ReviewWeights.for_street(world.street))
    )
    assert "新来" in this_year and "离开" not in this_year


def test_the_review_of_the_year_under_way_says_it_counts_to_today(
    world, year_2025, client_for, time_machine
):
    """In June the review of the year read like the year's verdict: it counts the records
    up to today, against the whole year's hours target. The page, the Excel and the PDF
    say so; a year that is over does not."""
    time_machine.move_to(datetime(2025, 6, 15, 2, tzinfo=UTC), tick=False)
    client = client_for(world.community_admin)
    page = client.get(reverse("reviews:annual", args=["jianghai", 2025])).content.decode()
    assert "本年度尚未结束：评议按截至今天（2025年6月15日）的记录计算" in page
    xlsx = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, "xlsx"]))
    title = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["A1"].value
    assert title.endswith("2025 年度评议（截至6月15日）")
    pdf = client.get(reverse("reviews:annual_export", args=["jianghai", 2025, "pdf"]))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "（截至6月15日）" in text
    over = client.get(reverse("reviews:annual", args=["jianghai", 2024])).content.decode()
    assert "data-year-running" not in over
    xlsx = client.get(reverse("reviews:annual_export", args=["jianghai", 2024, "xlsx"]))
    assert "截至" not in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["A1"].value
