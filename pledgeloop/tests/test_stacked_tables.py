"""Console tables on a phone (issue 14): under 600 px a table's header row is hidden and its rows
stack, so every cell must carry its column's name (data-label, shown before the value by
table.list.stacked); otherwise a worker sees bare numbers. Checked on the console pages that
list figures, for every table.list on them."""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.tests.loop import member_of, triaged_order
from pledgeloop.pledges import jobs
from pledgeloop.pledges.models import Pledge
from pledgeloop.pledges.tests.conftest import make_pledge

from .test_english_in_chinese import street  # noqa: F401 - the shared little street

pytestmark = pytest.mark.django_db


class Tables(HTMLParser):
    """Each table.list: its classes, header texts, and body rows as (data-label, colspan)."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.depth = 0  # nesting inside the table being read
        self.section = ""
        self.cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            if self.depth:
                self.depth += 1
                return
            classes = (attrs.get("class") or "").split()
            if "list" in classes:
                self.tables.append({"classes": classes, "headers": [], "rows": []})
                self.depth = 1
            return
        if not self.depth:
            return
        if tag in {"thead", "tbody", "tfoot"}:
            self.section = tag
        elif tag == "tr" and self.section in {"tbody", "tfoot"}:
            self.tables[-1]["rows"].append([])
        elif tag in {"td", "th"}:
            self.cell = {"label": attrs.get("data-label"), "span": attrs.get("colspan"), "text": ""}
            if self.section == "thead":
                self.tables[-1]["headers"].append(self.cell)
            else:
                self.tables[-1]["rows"][-1].append(self.cell)

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in {"td", "th"}:
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def tables_on(html: str) -> list[dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture
def console_pages(world, street):  # noqa: F811
    """Console pages with tables of figures, and who opens them."""
    member = member_of(world)
    make_pledge(member, state=Pledge.State.SUBMITTED, title="待审核的承诺")
    make_pledge(member, title="落后的承诺", starts_on=timezone.localdate() - dt.timedelta(days=60))
    jobs.generate_visits()
    triaged = triaged_order(world, description="水龙头漏水")
    year = timezone.localdate().year
    admin, street_admin = world.community_admin, world.street_admin
    return [
        (street_admin, reverse("console:street_home")),
        (admin, reverse("console:needs")),
        (admin, reverse("console:order_detail", args=[street["offered"].pk])),
        (admin, reverse("console:order_detail", args=[triaged.pk])),
        (admin, reverse("console:dispatch:suggest")),
        (admin, reverse("pledges:review")),
        (admin, reverse("pledges:follow_up", args=[world.community.pk])),
        (street_admin, reverse("reviews:annual", args=[world.street.slug, year])),
        (
            street_admin,
            reverse("reviews:annual_member", args=[world.street.slug, year, member.pk]),
        ),
    ]


def test_every_console_table_of_figures_labels_its_cells_for_a_phone(console_pages, client):
    checked = 0
    for user, path in console_pages:
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        tables = tables_on(response.content.decode())
        assert tables, f"no table on {path}"
        for table in tables:
            assert "stacked" in table["classes"], f"{path}: table.{'.'.join(table['classes'])}"
            headers = [" ".join(h["text"].split()) for h in table["headers"]]
            for row in table["rows"]:
                if len(row) == 1 and row[0]["span"]:
                    continue  # "nothing here" across the whole table
                assert len(row) == len(headers), f"{path}: {len(row)} cells, {headers}"
                for header, cell in zip(headers, row, strict=True):
                    # A column without a name (a checkbox to select the row) needs none.
                    assert (cell["label"] or "") == header, f"{path}: {cell} under {header!r}"
                    checked += bool(header)
    assert checked > 50


TABLE = re.compile(r'<table\b[^>]*\bclass="([^"]*)"[^>]*>(.*?)</table>', re.S)


def test_every_list_table_in_the_templates_stacks_with_its_labels():
    """The rendered check above covers the pages of figures; this one reads every template, so
    that a page of another kind (the teams console's six tables, a member's pledges, the booth
    queues a resident reads on the event page) cannot show bare cells on a phone again: each
    table.list stacks, and each cell has its label, save a row-wide cell or one under a column
    without a name (a checkbox, a button)."""
    tables = 0
    for path in sorted(Path(settings.BASE_DIR, "pledgeloop", "templates").rglob("*.html")):
        for classes, table in TABLE.findall(path.read_text()):
            if "list" not in classes.split():
                continue
            tables += 1
            name = f"{path.relative_to(settings.BASE_DIR)}: table.{'.'.join(classes.split())}"
            assert "stacked" in classes.split(), name
            head, _sep, body = table.partition("</thead>")
            headers = re.findall(r"<th\b[^>]*>(.*?)</th>", head, re.S)
            unnamed = sum(not re.sub(r"<[^>]*>", "", h).strip() for h in headers)
            bare = [
                cell
                for cell in re.findall(r"<td\b[^>]*>", body)
                if "data-label" not in cell and "colspan" not in cell
            ]
            assert len(bare) <= unnamed, f"{name}: cells without data-label {bare}"
    assert tables > 30
