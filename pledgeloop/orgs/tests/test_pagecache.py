"""The public pages' cache (orgs/pagecache.py): served again with only the version query,
never stale after a write of any kind, never another visitor's copy or CSRF token."""

import datetime as dt
import gzip
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from pledgeloop.conftest import make_user
from pledgeloop.orgs.models import Community
from pledgeloop.people.models import Member, Role
from pledgeloop.pledges import services as pledge_services
from pledgeloop.pledges.models import Pledge
from pledgeloop.pledges.tests.conftest import make_pledge
from pledgeloop.reviews.tests.conftest import at, record
from pledgeloop.service.models import ServiceRecord

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def member(world):
    return world.member.member


def pages(world, member) -> dict[str, str]:
    today = timezone.localdate()
    quarter = f"{today.year}q{(today.month - 1) // 3 + 1}"
    return {
        "wall": f"/wall/{world.community.slug}/",
        "member page": f"/m/{member.code}/",
        "showcase": f"/showcase/{world.community.slug}/{quarter}/",
        "public figures": f"/stats/{world.street.slug}/",
    }


def ask(client, path) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return page.text, len(queries)


def without_tokens(text: str) -> str:
    return TOKEN.sub("", text)


def test_each_page_again_is_the_version_query_alone_and_the_same_page(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    for name, path in pages(world, member).items():
        first, rendered = ask(client, path)
        again, queries = ask(client, path)
        assert rendered > 1, name
        assert queries == 1, (name, queries)
        assert without_tokens(again) == without_tokens(first), name


def test_a_write_through_a_service_shows_at_once(world, member, client):
    pledge = make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["wall"]
    assert "每周为独居老人测血压" in ask(client, path)[0]
    pledge_services.pledge_withdraw(pledge=pledge, by=world.member, reason="搬家了")
    text, queries = ask(client, path)
    assert "每周为独居老人测血压" not in text and queries > 1


def test_a_queryset_update_shows_at_once(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    paths = pages(world, member)
    for path in (paths["wall"], paths["member page"]):
        assert "每周为独居老人测血压" in ask(client, path)[0]
    Pledge.objects.filter(member=member).update(title="每周上门理发")  # no signal, no save()
    for path in (paths["wall"], paths["member page"]):
        text = ask(client, path)[0]
        assert "每周上门理发" in text and "每周为独居老人测血压" not in text
    # A name read from another table (the street's communities) on the public figures.
    assert "星港湾" in ask(client, paths["public figures"])[0]
    Community.objects.filter(pk=world.community.pk).update(name="星港湾社区新名")
    assert "星港湾社区新名" in ask(client, paths["public figures"])[0]


def test_a_delete_shows_at_once(world, member, client):
    pledge = make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["member page"]
    assert "每周为独居老人测血压" in ask(client, path)[0]
    pledge.visits.all().delete()
    Pledge.objects.filter(pk=pledge.pk).delete()
    assert "每周为独居老人测血压" not in ask(client, path)[0]


def test_service_hours_on_the_showcase_follow_a_new_record(world, member, client):
    # Last quarter's showcase, with a service on its first day: a service on this month's
    # first day at 09:00 had not ended yet when the test ran early on a month's first day.
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    path = f"/showcase/{world.community.slug}/{year}q{quarter}/"
    ask(client, path)
    first_month = 3 * (quarter - 1) + 1
    record(member, at(year, first_month, 1), "2.5", ServiceRecord.Verification.RECORDED)
    text, queries = ask(client, path)
    assert queries > 1 and "2.5" in text


def test_a_write_in_another_street_leaves_the_page_cached(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["wall"]
    ask(client, path)
    far = Member.objects.create(
        user=make_user("13900000401", "远方队员", Role.MEMBER, world.other_street, world.faraway),
        street=world.other_street,
        community=world.faraway,
        kind=Member.Kind.VOLUNTEER,
    )
    make_pledge(far, title="别的街道的承诺")
    assert ask(client, path)[1] == 1


def test_a_signed_in_user_gets_their_own_page_not_the_anonymous_copy(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["member page"]
    anonymous = ask(client, path)[0]
    assert "街道管理员" not in anonymous
    signed_in = Client()
    signed_in.force_login(world.street_admin)
    text, queries = ask(signed_in, path)
    assert "街道管理员" in text and queries > 1  # their name in the top bar: rendered for them
    # ... and the member's own page offers them their anniversary and tools
    own = Client()
    own.force_login(world.member)
    assert ask(own, path)[1] > 1
    assert ask(client, path)[1] == 1  # the anonymous copy still stands for the anonymous


def test_each_visitor_gets_their_own_csrf_token_from_the_cache(world, member):
    path = pages(world, member)["wall"]
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    text_first = ask(first, path)[0]
    text_second, queries = ask(second, path)
    assert queries == 1
    [token_first] = set(TOKEN.findall(text_first))
    [token_second] = set(TOKEN.findall(text_second))
    assert token_first != token_second
    # The token on the cached copy works with the second visitor's own cookie.
    switched = second.post(
        "/i18n/setlang/", {"language": "en", "next": path, "csrfmiddlewaretoken": token_second}
    )
    assert switched.status_code == 302
    # ... and the page in English is not the Chinese copy.
    assert 'lang="en"' in ask(second, path)[0]


def test_a_cached_page_compressed_is_the_same_page_with_the_visitors_token(world, member):
    make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["wall"]
    plain = Client()
    drawn = plain.get(path, HTTP_ACCEPT_ENCODING="gzip")  # compressed by GZipMiddleware
    assert drawn["Content-Encoding"] == "gzip"
    phone = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as queries:
        cached = phone.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert len(queries) == 1
    assert cached["Content-Encoding"] == "gzip" and "Accept-Encoding" in cached["Vary"]
    assert int(cached["Content-Length"]) == len(cached.content)
    text = gzip.decompress(cached.content).decode()
    assert without_tokens(text) == without_tokens(gzip.decompress(drawn.content).decode())
    [token] = set(TOKEN.findall(text))
    switched = phone.post(
        "/i18n/setlang/", {"language": "en", "next": path, "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302


def test_a_new_day_is_a_new_page(world, member, client):
    make_pledge(member, title="每周为独居老人测血压")
    path = pages(world, member)["member page"]
    noon = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(12)))
    with time_machine.travel(noon, tick=False):
        assert ask(client, path)[1] > 1
        assert ask(client, path)[1] == 1
    with time_machine.travel(noon + dt.timedelta(days=1), tick=False):
        assert ask(client, path)[1] > 1


@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0)
def test_no_cache_when_turned_off(world, member, client):
    path = pages(world, member)["wall"]
    ask(client, path)
    assert ask(client, path)[1] > 1


def test_the_annual_rows_follow_a_write(world, member):
    year = timezone.localdate().year - 1
    admin = Client()
    admin.force_login(world.street_admin)
    path = f"/annual/{world.street.slug}/{year}/"
    record(member, at(year, 5, 10), "3", ServiceRecord.Verification.RECORDED)
    first, rendered = ask(admin, path)
    again, queries = ask(admin, path)
    assert queries < rendered
    assert without_tokens(again) == without_tokens(first)
    ServiceRecord.objects.filter(participants__member=member).update(hours=Decimal("6"))
    text, queries = ask(admin, path)
    assert queries == rendered and text != first
