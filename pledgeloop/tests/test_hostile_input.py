"""No 500 from input (issue 13): every URL pattern, every role, hostile values.

The walk resolves the URLconf, fills each pattern's path converters with ids of a small world
(and with hostile ones), and asks each page with every query parameter the code reads set to
hostile values: Unicode digits, huge numbers, empty, repeated, very long, bad dates, negative,
NUL. The bulk forms are posted the same way. A 5xx anywhere fails, naming the request.
On PostgreSQL the walk repeats only the values the engine itself judges (ENGINE_JUDGED in the
query, ENGINE_JUDGED_PATH in the paths), and of those, after a SQLite pass that recorded the
walk (make test), only the steps whose statements carried the value there (ENGINE_MARK): the
others were judged by Python. Without that record (POSTGRES_TESTS=all, CI) it walks them in
every hostile path, and on every page whose query parameters reach a query (PROBE_VALUE shows
up in one).

Django's own admin (`admin/`, staff only) is left to Django's tests.
"""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone

from pledgeloop.diary.models import Article
from pledgeloop.notify.services import notify
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Dispatch
from pledgeloop.orders.tests.loop import age
from pledgeloop.orgs.models import Category, Site
from pledgeloop.pledges.models import Pledge
from pledgeloop.service.access import checkin_token
from pledgeloop.service.review_links import review_token_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "resident", "member", "community_admin", "street_admin"]

HUGE = "99999999999999999999"
# Every hostile value a query parameter gets, each in a request of its own.
HOSTILE_VALUES = [
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # an Arabic-Indic 3: int() takes it, an id must not
    HUGE,
    "",
    "x" * 3000,
    "2026-02-30",
    "1\x00",  # PostgreSQL refuses NUL in text
]
# A repeated parameter (?community=1&community=-1&...): getlist() sees them all, get() the
# last one, the circled ① of the issue.
ARRAY = ["1", "-1", "2026-Q5", " 1 ", "0", "9223372036854775808", "①"]
# The values a database judges for itself: a number past bigint (SQLite stores it, PostgreSQL
# refuses it), text longer than a column (PostgreSQL refuses it, SQLite keeps it whole), NUL
# (PostgreSQL refuses it in text), and the repeated parameter with its bigint overflow. The
# others (², ٣, empty, 30 February) are judged by Python before any query, the same whatever
# the engine: the PostgreSQL run walks these only, the SQLite run every value.
ENGINE_JUDGED = [HUGE, "x" * 3000, "1\x00"]

# Every query parameter a view reads (request.GET.get / getlist / the lib.params helpers) or a
# GET form binds. test_every_query_parameter_read_is_walked keeps this list complete.
QUERY_PARAMETERS = [
    "all",
    "back",
    "beneficiary_q",
    "category",
    "channel",
    "choose",
    "code",
    "community",
    "download",
    "end",
    "export",
    "full",
    "member",
    "next",
    "overdue",
    "page",
    "period",
    "q",
    "resident",
    "screen",
    "start",
    "state",
    "street",
    "table",
    "track",
    "version",
    "via",
    "visit",
    "webhook",
]
# Parameters that switch a page into another mode (an export, the wall display): half the
# requests set them to a valid value, so the hostile values reach the export code too.
MODES = {"export": "xlsx", "table": "monthly", "screen": "1", "full": "1", "download": "1"}

# The bulk forms, posted with every field hostile: (url name, posted field names).
BULK_POSTS = {
    "console:needs_bulk": ["ids", "action", "reason", "next"],
    "pledges:review": ["pledge", "action", "comment"],
    "console:dispatch:suggest": ["pick", "hours", "next", "community"],
}
# Health checks answer 503 when what they check is down (/healthz/worker here: no tasks worker
# runs in a test): that is their answer, not a failure; a 500 from them still fails.
HEALTH_CHECKS = {"healthz", "worker_health"}
# Per converter type, path values besides the world's valid ones.
HOSTILE_PATH = {
    "IntConverter": ["0", HUGE],
    "StringConverter": ["x" * 1000, "①", "a:b:c"],
    "SlugConverter": ["x" * 300, "no-such-place"],
    "QuarterConverter": ["0000q1", "9999q4"],
}
# Patterns written as regular expressions: their groups, hostile values to put there.
HOSTILE_REGEX_GROUP = {"community_id": ["٣", "0", HUGE], "kind": ["residents"]}
# The path values a database judges for itself (a number past bigint, text longer than a
# column): the PostgreSQL run puts only these in the paths, the SQLite run every value.
ENGINE_JUDGED_PATH = [HUGE, "x" * 1000, "x" * 300]
# What shows, in a statement's parameters, that a value the engine judges reached it: the huge
# number, a run of the overlong texts' letter (cut to a column's length or not), NUL, the
# repeated parameter's bigint overflow. The SQLite run records which steps of the walk sent
# one (conftest.engine_values); the PostgreSQL run of make test walks only those.
ENGINE_MARK = {HUGE: HUGE, "x" * 3000: "x" * 16, "x" * 1000: "x" * 16, "x" * 300: "x" * 16}
ENGINE_MARK["1\x00"] = "\x00"
ARRAY_MARK = "9223372036854775808"


def _patterns(resolvers=None, prefix="", namespace=""):
    """(name, pattern object, its converters) for every URL pattern outside Django's admin."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _small_world(world):
    """Rows for every kind of id a URL takes: an order (done, with a record and a review
    link), an open dispatch offer, a pledge, a notification, a published article, a site."""
    category = Category.objects.filter(street=world.street).first()
    member = world.member.member
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.CENTRE,
        name="星港湾社区党群服务中心",
        latitude=Decimal("31.9562"),
        longitude=Decimal("120.9418"),
    )
    order = order_services.order_submit(
        community=world.community,
        category=category,
        description="楼道灯坏了",
        phone=world.resident_here.phone,
        consent=True,
        address="阳光花园3幢201室",
    )
    order_services.order_triage(order=order, by=world.community_admin)
    order = order_services.order_claim(order=order, member=member)
    age(order)  # served for a while: hours count only time since the order was taken
    order, record = order_services.order_finish(order=order, member=member, hours=Decimal("1.5"))
    offered = order_services.order_submit(
        community=world.community,
        category=category,
        description="需要陪同就医",
        phone=world.resident_here.phone,
        consent=True,
        address="阳光花园3幢201室",
    )
    order_services.order_triage(order=offered, by=world.community_admin)
    order_services.order_dispatch(order=offered, member=member, by=world.community_admin)
    dispatch = Dispatch.objects.get(order=offered)
    today = timezone.localdate()
    pledge = Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=member,
        category=category,
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.GROUP,
        beneficiary_name="独居老人",
        rrule="FREQ=WEEKLY",
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        target_visits=10,
        public=True,
        state=Pledge.State.SUBMITTED,
    )
    note = notify(user=world.member, kind="test", title="测试", url="/me/")
    article = Article.objects.create(
        street=world.street,
        community=world.community,
        title="星港湾服务日志",
        slug="xinggangwan-week",
        period_start=today - dt.timedelta(days=7),
        period_end=today,
        body="本周服务。",
        created_by=world.community_admin,
        published_at=timezone.now(),
        state=Article.State.PUBLISHED,
    )
    quarter = f"{today.year}q{(today.month - 1) // 3 + 1}"
    street, community = world.street.slug, world.community.slug
    return {
        "diary:detail": {"slug": article.slug},
        "diary:wechat": {"slug": article.slug},
        "diary:edit": {"pk": article.pk},
        "diary:act": {"pk": article.pk, "action": "withdraw"},
        "stats:public": {"slug": street},
        "console:order_detail": {"pk": order.pk},
        "console:order_action": {"pk": offered.pk, "action": "cancel"},
        "notify:open": {"pk": note.pk},
        "people:resident_detail": {"pk": world.resident_here.pk},
        "people:resident_reveal_phone": {"pk": world.resident_here.pk},
        "people:member_detail": {"pk": member.pk},
        "people:export": {"community_id": str(world.community.pk), "kind": "residents"},
        "people:import": {"community_id": str(world.community.pk), "kind": "members"},
        "orders:new_in_community": {"street": street, "community": community},
        "orders:new_at_site": {"site_id": site.pk},
        "orders:sent": {"token": order.tracking_token},
        "orders:track": {"token": order.tracking_token},
        "orders:track_cancel": {"token": offered.tracking_token},
        "orders:track_reopen": {"token": order.tracking_token},
        "orders:member_order": {"pk": order.pk},
        "orders:member_order_action": {"pk": offered.pk, "action": "start"},
        "orders:member_offer_action": {"dispatch_id": dispatch.pk, "action": "accept"},
        "pledges:wall": {"slug": community},
        "pledges:wall_print": {"slug": community},
        "pledges:wall_qr_sheet": {"slug": community},
        "pledges:member_page": {"code": member.code},
        "pledges:member_qr_png": {"code": member.code},
        "pledges:member_schedule": {"code": member.code},
        "pledges:detail": {"pk": pledge.pk},
        "pledges:edit": {"pk": pledge.pk},
        "pledges:submit": {"pk": pledge.pk},
        "pledges:withdraw": {"pk": pledge.pk},
        "pledges:review_one": {"pk": pledge.pk},
        "pledges:need_claim": {"order_id": offered.pk},
        "pledges:follow_up": {"community_id": world.community.pk},
        "service:record": {"pk": record.pk},
        "service:checkin": {"token": checkin_token(site)},
        "reviews:review": {"token": review_token_for(record)},
        "reviews:assessment_self": {"period": quarter},
        "reviews:assessment_organisation": {"community_id": world.community.pk, "period": quarter},
        "reviews:showcase": {"community": community, "period": quarter},
        "reviews:annual": {"street": street, "year": today.year},
        "reviews:annual_member": {"street": street, "year": today.year, "member_id": member.pk},
        "reviews:annual_export": {"street": street, "year": today.year, "fmt": "xlsx"},
        "reviews:weights": {"street": street},
    }


def _fallback(converter: str, name: str, world):
    """A plausible value for a path argument the table above does not name (a new URL)."""
    if converter == "IntConverter":
        return 1
    if converter == "SlugConverter":
        return world.community.slug if "community" in name else world.street.slug
    if converter == "QuarterConverter":
        return f"{timezone.localdate().year}q1"
    return "x"


def _label(value: str) -> str:
    """A hostile value as the walk's record names it (a long one by its start and length)."""
    return repr(value) if len(value) <= 20 else f"{value[:8]!r}…{len(value)}"


def _marks(value) -> tuple[str, ...]:
    """What shows that `value` reached a statement, if the engine judges it (ENGINE_MARK)."""
    if value is ARRAY:
        return (ARRAY_MARK,)
    return (ENGINE_MARK[value],) if value in ENGINE_MARK else ()


def _paths(name: str, pattern: URLPattern, valid: dict, world) -> list[tuple[str, str, tuple]]:
    """The pattern's valid path, then one path per hostile value of each argument, each with
    its step's name in the walk's record and the marks of its value (_marks)."""
    converters = getattr(pattern.pattern, "converters", {})
    if converters:
        arguments = {
            key: valid.get(name, {}).get(key, _fallback(type(conv).__name__, key, world))
            for key, conv in converters.items()
        }
        hostile = {
            key: HOSTILE_PATH.get(type(conv).__name__, []) for key, conv in converters.items()
        }
    else:
        groups = list(pattern.pattern.regex.groupindex)
        arguments = {key: valid.get(name, {}).get(key, "1") for key in groups}
        hostile = {key: HOSTILE_REGEX_GROUP.get(key, []) for key in groups}
    if connection.vendor == "postgresql":
        # As with the query's values: on PostgreSQL only those the engine judges itself.
        hostile = {
            key: [v for v in values if v in ENGINE_JUDGED_PATH] for key, values in hostile.items()
        }
    paths = []
    for changed, values in [(None, [None]), *hostile.items()]:
        for value in values:
            kwargs = dict(arguments) if changed is None else {**arguments, changed: value}
            step = f"{name} plain" if changed is None else f"{name} path {changed}={_label(value)}"
            try:
                paths.append((step, reverse(name, kwargs=kwargs), _marks(value)))
            except NoReverseMatch:
                continue  # the pattern does not take this value: the resolver answers 404
    return paths


ALL = "*"  # the view read the whole query (urlencode, copy, items)


class RecordingQueryDict(QueryDict):
    """request.GET that notes which parameters the view looked at."""

    read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def _all(self, method, *args, **kwargs):
        self.read.add(ALL)
        return getattr(super(), method)(*args, **kwargs)

    def urlencode(self, safe=None):
        return self._all("urlencode", safe)

    def copy(self):
        self.read.add(ALL)
        return QueryDict(self.urlencode(), mutable=True)

    def items(self):
        return self._all("items")

    def lists(self):
        return self._all("lists")

    def dict(self):
        return self._all("dict")

    def keys(self):
        return self._all("keys")

    def __iter__(self):
        return self._all("__iter__")


@pytest.fixture
def recording_get(monkeypatch):
    """Requests' GET records the parameters read; returns the set, cleared per request."""

    def get(request):
        if "_recorded_get" not in request.__dict__:
            raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
            request.__dict__["_recorded_get"] = RecordingQueryDict(raw, encoding=request.encoding)
        return request.__dict__["_recorded_get"]

    monkeypatch.setattr(WSGIRequest, "GET", property(get))
    RecordingQueryDict.read = set()
    return RecordingQueryDict.read


def _hostile_values() -> list[str]:
    """Every hostile value, or on PostgreSQL those the engine judges (ENGINE_JUDGED)."""
    if connection.vendor == "postgresql":
        return [value for value in HOSTILE_VALUES if value in ENGINE_JUDGED]
    return HOSTILE_VALUES


def _query_variants(names: set[str]) -> list[tuple[str, dict, tuple]]:
    """One query per hostile value, every parameter the view reads set to it, each with its
    step's name in the walk's record and the marks of its value. Every other one switches the
    page's modes on, so the values reach an export's code too: ², the huge number, the long
    text and NUL with the modes; ٣, empty, the bad date and the repeated parameter (①, -1, a
    bigint overflow among them) without."""
    variants = []
    for index, value in enumerate(HOSTILE_VALUES):
        if value not in _hostile_values():
            continue
        query = dict.fromkeys(names, value)
        if index % 2 == 0:
            query.update({k: v for k, v in MODES.items() if k in names})
        variants.append((f"query={_label(value)}", query, _marks(value)))
    variants.append(("query=array", dict.fromkeys(names, ARRAY), _marks(ARRAY)))
    return variants


def _users(world):
    return {role: getattr(world, role) for role in ROLES if role != "anonymous"}


# A plausible value for every parameter, one that no page holds otherwise: on PostgreSQL a
# page whose queries never carry it passes no parameter to the database, and the values the
# engine judges cannot reach it either.
PROBE_VALUE = "73519"
PROBE = dict.fromkeys(QUERY_PARAMETERS, PROBE_VALUE) | MODES


def _read_by(ask, path: str, read: set[str]) -> tuple[set[str], bool]:
    """The query parameters the page read asked plainly (in `read`), and those it reads with
    every known one set (a parameter may be read only when another is: the page's modes);
    and whether any of them reached a query."""
    names = set(read)
    read.clear()
    with CaptureQueriesContext(connection) as queries:
        ask("get", path, PROBE)  # a plausible query: a 5xx to it counts too
    names |= read
    if ALL in names:
        names = (names - {ALL}) | set(QUERY_PARAMETERS)
    reached = any(PROBE_VALUE in q["sql"] for q in queries.captured_queries)
    return names, reached


@pytest.mark.engine_judged("a number past bigint, NUL, text longer than its column")
@pytest.mark.parametrize("role", ROLES)
def test_no_page_answers_5xx_to_hostile_input(world, client, role, recording_get, engine_values):
    """On SQLite every step. On PostgreSQL the values the engine judges: after a SQLite pass
    that recorded the walk (make test), in the steps whose statements carried them there
    (ENGINE_MARK, conftest.engine_values); without that record, in every hostile path and on
    every page whose query parameters reach a query (PROBE_VALUE)."""
    valid = _small_world(world)
    client.raise_request_exception = False  # a crash is a 500 to count, not an exception
    if role != "anonymous":
        client.force_login(_users(world)[role])
    failures = []
    current = {"name": ""}

    def ask(method, path, data, step=None, marks=()):
        if step is not None and not engine_values.takes(step):
            return
        with engine_values.step(step, marks):
            response = getattr(client, method)(path, data)
        answer = response.status_code == 503 and current["name"] in HEALTH_CHECKS
        if response.status_code >= 500 and not answer:
            failures.append(f"{method.upper()} {path[:80]} {_show(data)} → {response.status_code}")

    replaying = engine_values.replay is not None
    for name, pattern in _patterns():
        paths = _paths(name, pattern, valid, world)
        if not paths:
            continue
        current["name"] = name
        (plain, first, _), *hostile_paths = paths
        # The page asked plainly first. One that reads no query parameter then cannot read
        # one when some are set (a parameter read only when another is set would have shown
        # that other one read): the query cannot reach it, and this request is all it needs.
        recording_get.clear()
        ask("get", first, {}, plain)
        if replaying:
            names, reached = set(QUERY_PARAMETERS), True  # the record says which steps
        elif recording_get:
            names, reached = _read_by(ask, first, recording_get)
        else:
            names, reached = set(), False
        if names and (reached or connection.vendor != "postgresql"):
            for step, query, marks in _query_variants(names):
                ask("get", first, query, f"{name} {step}", marks)
        for step, path, marks in hostile_paths:
            ask("get", path, {}, step, marks)
        if name in BULK_POSTS:
            for value in [*_hostile_values(), ARRAY]:
                ask("post", first, dict.fromkeys(BULK_POSTS[name], value))
        if role != "anonymous" and "_auth_user_id" not in client.session:
            client.force_login(_users(world)[role])  # a page signed us out: carry on
    engine_values.save()
    assert not failures, "\n".join(failures)


def _show(data: dict) -> str:
    if not data:
        return ""
    if data is PROBE:
        return f"(every parameter = {PROBE_VALUE!r}, the modes on)"
    return f"(every parameter = {next(iter(data.values()))!r:.40})"


def test_the_postgresql_walk_keeps_the_values_the_engine_judges():
    assert ENGINE_JUDGED and set(ENGINE_JUDGED) <= set(HOSTILE_VALUES)
    assert any("\x00" in value for value in ENGINE_JUDGED)
    path_values = {v for values in HOSTILE_PATH.values() for v in values}
    path_values |= {v for values in HOSTILE_REGEX_GROUP.values() for v in values}
    assert set(ENGINE_JUDGED_PATH) <= path_values
    # every converter that takes a number or text keeps one value the engine judges
    for converter in ["IntConverter", "StringConverter", "SlugConverter"]:
        assert set(HOSTILE_PATH[converter]) & set(ENGINE_JUDGED_PATH), converter
    # each has its mark, found in it, by which the SQLite run sees it reach a statement
    for value in [*ENGINE_JUDGED, *ENGINE_JUDGED_PATH]:
        assert ENGINE_MARK[value] in value, repr(value)
    assert ARRAY_MARK in ARRAY


def test_every_pattern_named_in_the_issue_is_walked(world):
    """The pages issue 13 found crashing are among those the walk reaches."""
    names = {name for name, _pattern in _patterns()}
    for name in [
        "people:residents",
        "people:members",
        "reviews:annual",
        "reviews:annual_export",
        "service:checkin_codes",
        "service:new",
        "console:needs_bulk",
        "pledges:review",
    ]:
        assert name in names


def test_every_query_parameter_read_is_walked():
    """A view that starts reading a new query parameter adds it to QUERY_PARAMETERS."""
    source = Path(settings.BASE_DIR) / "pledgeloop"
    read = set()
    reads = re.compile(
        r"request\.GET\.(?:get|getlist)\(\s*\"(\w+)\""
        r"|query_\w+\(\s*request\.GET,\s*\"(\w+)\""
    )
    for path in source.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for match in reads.finditer(path.read_text(encoding="utf-8")):
            read.add(match.group(1) or match.group(2))
    assert read, "the pattern found no reads at all: it is out of date"
    assert read <= set(QUERY_PARAMETERS), sorted(read - set(QUERY_PARAMETERS))
