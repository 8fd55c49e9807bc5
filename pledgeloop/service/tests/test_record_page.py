"""A service record's page (where a check-out lands): dates in the reader's language and a
way on, where it was a dead end with Chinese dates fixed in its template."""

import pytest
from django.urls import reverse

from pledgeloop.reviews.tests.conftest import at, record

pytestmark = pytest.mark.django_db


def test_the_record_page_leads_on_and_dates_follow_the_language(world, client_for):
    rec = record(world.member.member, at(2025, 5, 1, 14), "2")
    client = client_for(world.member)
    page = client.get(reverse("service:record", args=[rec.pk])).content.decode()
    assert "2025年5月1日 14:00" in page
    assert f'href="{reverse("service:mine")}"' in page and "返回我的首页" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("service:record", args=[rec.pk])).content.decode()
    assert "May 1, 2025" in page and "年" not in page.split("<main", 1)[1]
