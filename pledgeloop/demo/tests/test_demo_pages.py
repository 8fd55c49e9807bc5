"""The demo's public pages do not contradict themselves (issue 14, part 3): rendered through
their URLs, every card of the wall and every member page says 已兑现 only of a pledge whose
target is met; every review page shows a service that starts after its order was filed, and
asks "was it solved?" with nothing chosen for the resident."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from pledgeloop.demo.builder import demo_load
from pledgeloop.orgs.models import Community
from pledgeloop.people.models import Member
from pledgeloop.pledges.models import Pledge
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_link_for

pytestmark = pytest.mark.django_db(transaction=False)
TODAY = dt.date(2026, 11, 28)
LINE = re.compile(r"已完成(\d+)次 / 目标(\d+)次")


class Lines(HTMLParser):
    """The text of each pledge line (<li> of a .pledge-list) and the checked radio buttons."""

    def __init__(self):
        super().__init__()
        self.lines, self.checked, self._depth, self._in_list = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and "pledge-list" in (attrs.get("class") or ""):
            self._in_list += 1
        elif tag == "li" and self._in_list:
            self.lines.append("")
            self._depth += 1
        elif tag == "input" and attrs.get("type") == "radio" and "checked" in attrs:
            self.checked.append(attrs.get("name"))

    def handle_endtag(self, tag):
        if tag == "li" and self._depth:
            self._depth -= 1
        elif tag == "ul" and self._in_list:
            self._in_list -= 1

    def handle_data(self, data):
        if self._depth:
            self.lines[-1] += data.strip()


def parsed(client, url: str) -> Lines:
    response = client.get(url)
    assert response.status_code == 200, url
    page = Lines()
    page.feed(response.content.decode())
    return page


def check_lines(page: Lines, url: str) -> int:
    for line in page.lines:
        done, target = (int(n) for n in LINE.search(line).groups())
        if "已兑现" in line:
            assert done >= target, f"{url}: 已兑现 with {done} of {target} visits: {line}"
    return len(page.lines)


def test_the_demo_pages_do_not_contradict_themselves(client):
    moment = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))
    with time_machine.travel(moment, tick=False):
        demo_load(seed=2026, today=TODAY)
        assert Pledge.objects.filter(state=Pledge.State.FULFILLED).exists()
        cards = 0
        for community in Community.objects.all():
            cards += check_lines(parsed(client, f"/wall/{community.slug}/"), community.slug)
        codes = Member.objects.filter(active=True, pledges__public=True).values_list("code")
        for (code,) in codes.distinct():
            cards += check_lines(parsed(client, f"/m/{code}/"), code)
        assert cards > 300

        records = ServiceRecord.objects.filter(review__isnull=True).select_related("order")
        shown = 0
        for record in records.order_by("pk"):
            if record.order is not None:
                assert record.started_at >= record.order.created_at, record.pk
            page = parsed(client, review_link_for(record))
            assert page.checked == [], f"{record.pk}: {page.checked} chosen for the resident"
            shown += 1
        assert shown > 20
        started_early = ServiceRecord.objects.filter(
            order__isnull=False, started_at__lt=F("order__created_at")
        )
        assert not started_early.exists()
