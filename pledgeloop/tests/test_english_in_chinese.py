"""Every visible string of the main pages is Chinese by default (issue 14, part 6).

Renders the main pages of every role in zh-hans over a small demo-like street (orders in
several states with a review, a member with an offer, a pledge with a visit today, a service
record, a published diary article) and fails on English words in what a person sees: text,
option labels, placeholders, button values, titles, alt and aria labels.
"""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.diary.services import article_draft, article_publish, week_of
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import bring_to, dispatched_order, member_of
from pledgeloop.pledges.models import Visit
from pledgeloop.pledges.tests.conftest import make_pledge
from pledgeloop.reviews.services import review_submit

pytestmark = pytest.mark.django_db

# Words that are the same in Chinese pages: names of formats and products, the language
# switch (which names English in English on purpose), units.
ALLOWED = {
    "english", "qr", "pdf", "excel", "csv", "json", "xlsx", "atom", "wechat", "ical", "icalendar",
    "ics", "sms", "app", "id", "km", "min", "pledgeloop", "html", "url", "api", "icp",
    "jpeg", "jpg", "png", "webp", "mb", "kb", "readme",
    "zs",  # the search boxes' example of initials (张三)
}  # fmt: skip
# Not words but notation: recurrence rules (FREQ=WEEKLY;BYDAY=TU,TH) and their standard,
# settings' names (SMS_PROVIDER).
NOTATION = re.compile(r"\b[A-Z]+=[\w;,=+-]*|\bRFC \d+|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9*]+)+")
SKIP_TAGS = {"script", "style", "template", "svg", "code", "pre"}
SHOWN_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
WORD = re.compile(r"[A-Za-z]{2,}")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        attrs = dict(attrs)
        for name in SHOWN_ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    # Addresses and e-mail-like strings are not words to translate.
    text = re.sub(r"(https?://|/)\S*|\S+@\S+", " ", text)
    text = NOTATION.sub(" ", text)
    return {w for w in WORD.findall(text) if w.lower() not in ALLOWED}


@pytest.fixture
def street(world):
    """A little of everything a demo street has."""
    member = member_of(world)
    done = bring_to(world, Order.State.DONE)
    review_submit(record=done.service_records.get(), rating=5, comment="很及时", solved=True)
    offered, _offer = dispatched_order(world, description="楼道灯坏了")
    pledge = make_pledge(member)
    today = timezone.localdate()
    Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0))),
        due_on=today,
    )
    article = article_draft(
        street=world.street,
        community=None,
        period=week_of(today),
        kind="week",
        by=world.street_admin,
    )
    article_publish(article=article)
    return {"done": done, "offered": offered, "pledge": pledge, "article": article}


def pages_for(role: str, world, street) -> list[str]:
    done, offered = street["done"], street["offered"]
    community = world.community
    quarter = f"{timezone.localdate().year}q{(timezone.localdate().month - 1) // 3 + 1}"
    public = [
        "/order/new/",
        reverse("orders:new_in_community", args=[world.street.slug, community.slug]),
        f"/track/{done.tracking_token}/",
        reverse("pledges:wall", args=[community.slug]),
        reverse("pledges:member_page", args=[member_of(world).code]),
        reverse("stats:public", args=[world.street.slug]),
        reverse("diary:list"),
        reverse("diary:detail", args=[street["article"].slug]),
        "/login/",
    ]
    member = [
        "/me/",
        "/me/orders/",
        "/me/orders/nearby/",
        reverse("orders:member_order", args=[offered.pk]),
        "/pledges/",
        "/pledges/new/",
        reverse("pledges:detail", args=[street["pledge"].pk]),
        "/pledges/needs/",
        "/me/service/",
        "/me/service/new/",
        "/me/patrol/",
        "/inbox/",
        f"/me/assessment/{quarter}/",
        "/password/",
    ]
    admin = [
        "/console/",
        "/console/needs/",
        reverse("console:order_detail", args=[done.pk]),
        reverse("console:order_detail", args=[offered.pk]),
        "/console/orders/new/",
        "/console/qr/",
        "/console/dispatch/suggest/",
        "/pledges/review/",
        reverse("pledges:follow_up", args=[community.pk]),
        "/console/service/",
        "/console/service/new/",
        "/console/service/checkin-codes/",
        "/console/service/screens/",
        "/console/stats/",
        "/console/diary/",
        "/people/members/",
        "/people/residents/",
        "/console/notifications/",
    ]
    return {
        "anonymous": public,
        "resident": ["/my/"],
        "member": member,
        "community_admin": admin,
        "street_admin": ["/console/street/", *admin],
    }[role]


@pytest.mark.parametrize(
    "role", ["anonymous", "resident", "member", "community_admin", "street_admin"]
)
def test_main_pages_show_no_english_in_chinese(role, world, street, client):
    if role != "anonymous":
        client.force_login(getattr(world, role))
    found = {}
    for path in pages_for(role, world, street):
        response = client.get(path)
        assert response.status_code == 200, f"{role} {path}: {response.status_code}"
        words = english_words(response.content.decode())
        if words:
            found[path] = sorted(words)
    assert not found, f"English on {role}'s pages: {found}"
