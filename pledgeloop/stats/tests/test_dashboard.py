"""The dashboard, its exports and the public page, through real URLs and from every role."""

import csv
import datetime as dt
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.stats import indicators, periods
from pledgeloop.stats.scope import Scope

URL = "/console/stats/"


def test_street_admin_sees_cards_charts_and_tables(figures, client_for):
    response = client_for(figures.world.street_admin).get(URL, {"period": "2026-03"})
    assert response.status_code == 200
    body = response.content.decode()
    for chart in ("chart-trend", "chart-categories", "chart-communities", "chart-rates"):
        assert f'id="{chart}"' in body
    assert 'id="stats-data"' in body
    assert "66.7%" in body  # participation: 4 of the 6 members of March 2026
    assert "11.5" in body  # service hours
    assert "张三" in body  # the member ranking names members: admins only


def test_the_periods_are_named_in_words(figures, client_for):
    """The period list read 2026-Q4 and 2026-11, and the hint's dates were Chinese in English."""
    client = client_for(figures.world.street_admin)
    body = client.get(URL, {"period": "2026-03"}).content.decode()
    today = timezone.localdate()
    assert f">{today.year}年{today.month}月</option>" in body
    assert f">{today.year} 年第 1 季度</option>" in body and f">{today.year}年</option>" in body
    assert f">{today:%Y-%m}</option>" not in body and "-Q1</option>" not in body
    assert "2026年3月1日至2026年3月31日" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(URL, {"period": "2026-03"}).content.decode()
    assert "From March 1, 2026 to March 31, 2026" in body and "年" not in body.split("<main", 1)[1]


def test_a_month_still_running_says_it_counts_to_today(figures, client_for, time_machine):
    """On 12 March (Beijing), March so far against 1-12 March 2025: the dashboard, its wall
    display and the public page say so, and the cards compare those days (R1 this year, R5
    a year earlier: one service each, where the whole of March 2025 also had one)."""
    time_machine.move_to(dt.datetime(2026, 3, 12, 2, tzinfo=dt.UTC), tick=False)
    client = client_for(figures.world.street_admin)
    response = client.get(URL, {"period": "2026-03"})
    body = response.content.decode()
    assert "2026年3月1日至今天（2026年3月12日），与上年同期的相同日期对比。所有数据均由" in body
    cards = {card["name"]: card for card in response.context["data"]["cards"]}
    assert (cards["service_records"]["value"], cards["service_records"]["before"]) == (1, 1)
    screen = client.get(URL, {"period": "2026-03", "screen": "1"}).content.decode()
    assert "2026年3月1日 – 2026年3月12日（截至今天）" in screen
    exported = client.get(URL, {"period": "2026-03", "export": "xlsx", "table": "headline"})
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    # the days counted, first and last: the file said ..2026-03-13, a day not yet come, beside
    # the page's "to today, 12 March" (session 26's walk)
    assert sheet["A1"].value.endswith("2026-03-01..2026-03-12")
    assert sheet.title == "核心指标"  # not the title cut at 31 characters, its days lost
    public = client.get(reverse("stats:public", args=[figures.world.street.slug]))
    assert "2025年4月1日至今天（2026年3月12日）" in public.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(URL, {"period": "2026-03"}).content.decode()
    assert "From March 1, 2026 to today, March 12, 2026, compared with the same days" in english
    # A month that has ended keeps its whole-period words.
    ended = client.get(URL, {"period": "2026-02"}).content.decode()
    assert "From Feb. 1, 2026 to Feb. 28, 2026, compared with the same period a year" in ended


def test_the_trend_marks_the_month_still_running(figures, client_for, time_machine):
    """On 1 December the trend's last month held one day: every line fell to 0 as if service
    had stopped. The chart's data names the running month (charts.js shades it and labels it
    本月至今); a period that has ended has none."""
    time_machine.move_to(dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC), tick=False)
    client = client_for(figures.world.street_admin)
    chart = client.get(URL, {"period": "2026-12"}).context["data"]["chart"]
    assert chart["months"][chart["running"]] == "2026-12" == chart["months"][-1]
    assert len(chart["months"]) == 24
    assert chart["labels"]["so_far"] == "本月至今"
    public = client.get(reverse("stats:public", args=[figures.world.street.slug]))
    shown = public.context["data"]["chart"]
    assert shown["months"][shown["running"]] == "2026-12"
    ended = client.get(URL, {"period": "2026-03"}).context["data"]["chart"]
    assert ended["running"] is None and ended["months"][-1] == "2026-03"


def test_community_admin_sees_only_their_community(figures, client_for):
    client = client_for(figures.world.community_admin)
    response = client.get(URL, {"period": "2026-03"})
    assert response.status_code == 200
    assert response.context["place"] == "星港湾"
    assert "66.7%" in response.content.decode()  # 2 of 3 active members of 星港湾
    assert client.get(URL, {"community": figures.world.neighbour.pk}).status_code == 404


@pytest.mark.parametrize("who", ["member", "resident"])
def test_members_and_residents_are_refused(figures, client_for, who):
    assert client_for(getattr(figures.world, who)).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(figures, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_csv_export_opens_with_chinese_text(figures, client_for):
    client = client_for(figures.world.street_admin)
    response = client.get(
        URL, {"period": "2026-03", "export": "csv", "table": "communities", "lang": "zh"}
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "星港湾" in names and "腾飞" in names
    xinggangwan = rows[1 + names.index("星港湾")]
    assert xinggangwan[1:4] == ["3", "2", "66.7"]


def test_the_headline_table_keeps_points_and_percent_apart(figures, client_for):
    """A rate's change is in percentage points, a count's in percent: each in a column of its
    own, never one "Change" column holding both without a unit (seen in a walk, session 17)."""
    client = client_for(figures.world.street_admin)
    response = client.get(URL, {"period": "2026-03", "export": "csv", "table": "headline"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["指标", "本期", "上年同期", "同比变化（%）", "同比变化（百分点）"]
    expected = indicators.headline_with_change(
        Scope(street_id=figures.world.street.pk), periods.month(2026, 3)
    )
    assert len(rows) == 1 + len(expected)
    for row, figure in zip(rows[1:], expected, strict=True):
        change = "—" if figure["change"] is None else str(round(figure["change"] * 100, 1))
        if figure["is_rate"]:
            assert row[0].endswith("（%）"), row
            assert row[3:] == ["—", change], row
        else:
            assert not row[0].endswith("（%）"), row
            assert row[3:] == [change, "—"], row
    rates = [f for f in expected if f["is_rate"] and f["change"] is not None]
    assert rates, "the fixture has no rate to compare with a year earlier"


def test_every_table_exports_to_excel(figures, client_for):
    client = client_for(figures.world.street_admin)
    for table in ("headline", "monthly", "categories", "communities", "members"):
        response = client.get(URL, {"period": "2026-03", "export": "xlsx", "table": table})
        assert response.status_code == 200, table
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert "江海街道" in sheet["A1"].value
    assert client.get(URL, {"export": "csv", "table": "nope"}).status_code == 404


def test_the_whole_report_is_one_workbook_with_a_sheet_per_table(figures, client_for):
    """A quarter's report to the district took eight downloads, one per table. The whole
    report is one workbook: a sheet per table of the page, in its order, each with the same
    title, headers, rows and totals as that table's own download."""
    client = client_for(figures.world.street_admin)
    page = client.get(URL, {"period": "2026-03"})
    assert 'export=xlsx&amp;table=all" data-report>导出完整报表（Excel）</a>' in page.text
    tables = page.context["data"]["tables"]
    response = client.get(URL, {"period": "2026-03", "export": "xlsx", "table": "all"})
    assert response.status_code == 200
    assert "江海街道-数据报表-2026-03-01..2026-03-31-" in unquote(response["Content-Disposition"])
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [str(t.title) for t in tables.values()]
    assert book.sheetnames[:4] == ["核心指标", "月度趋势", "类别构成", "社区对比"]
    for name in tables:
        own = openpyxl.load_workbook(
            io.BytesIO(
                client.get(URL, {"period": "2026-03", "export": "xlsx", "table": name}).content
            )
        ).active
        sheet = book[str(tables[name].title)]
        assert list(sheet.values) == list(own.values), name
    assert book["核心指标"]["A1"].value == "江海街道 · 核心指标 · 2026-03-01..2026-03-31"


def test_wall_display_uses_the_dark_template(figures, client_for):
    response = client_for(figures.world.street_admin).get(URL, {"screen": "1"})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "stats/screen.html"
    assert 'class="stats-screen"' in response.content.decode()


def test_public_page_shows_figures_without_personal_data(figures, client):
    response = client.get(reverse("stats:public", args=["jianghai"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="chart-trend"' in body
    for name in ("张三", "钱二", "李四", "13812345678"):
        assert name not in body
    assert client.get(reverse("stats:public", args=["nowhere"])).status_code == 404


def test_exports_are_titled_and_named_for_the_scope_exported(figures, client_for):
    client = client_for(figures.world.community_admin)
    response = client.get(URL, {"period": "2026-03", "export": "xlsx", "table": "monthly"})
    filename = unquote(response["Content-Disposition"].split("''", 1)[1])
    title = openpyxl.load_workbook(io.BytesIO(response.content)).active["A1"].value
    assert "星港湾" in title and "星港湾" in filename and "江海街道" not in title + filename
    # A category filter narrows every figure: the file says which category it holds.
    narrowed = client.get(
        URL,
        {"period": "2026-03", "category": figures.b.pk, "export": "xlsx", "table": "monthly"},
    )
    filename = unquote(narrowed["Content-Disposition"].split("''", 1)[1])
    title = openpyxl.load_workbook(io.BytesIO(narrowed.content)).active["A1"].value
    assert figures.b.name in title and figures.b.name in filename


def test_service_hours_say_they_include_volunteers_event_hours(figures, client_for, client):
    """And in what unit they are counted: the card read 2630.25, of nothing."""
    pages = [
        client_for(figures.world.street_admin).get(URL, {"period": "2026-03"}),
        client.get(reverse("stats:public", args=["jianghai"])),
    ]
    for response in pages:
        body = response.content.decode()
        card = body.split('data-name="service_hours"', 1)[1].split("</section>", 1)[0]
        assert "志愿者" in card and "活动" in card
        assert re.search(r'class="stats-figure">[\d.]+<span class="stats-unit">小时</span>', card)
