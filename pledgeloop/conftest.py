"""Shared fixtures: a small world of two streets and named users per role (STYLE.md)."""

import copy
import gc
import json
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from pledgeloop import testing_cover, testing_flush
from pledgeloop.orders.desk import desks_forget
from pledgeloop.orgs.models import Community, Street
from pledgeloop.orgs.services import community_create, street_create
from pledgeloop.people.models import Member, Resident, Role, RoleGrant, User

# The test database: migrated once per run and copied to each xdist worker (imported here so
# that the fixture takes precedence over pytest-django's).
from pledgeloop.testing_database import (  # noqa: F401
    django_db_setup,
    pytest_configure_node,
    pytest_sessionfinish,
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures in that thread are still synchronous, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "s3cret-Pass"
# Debian's chromium-headless-shell: the same Chromium (Blink, V8, fonts) built headless only,
# without the browser's own interface, which took half of the browser tests' Chromium CPU
# (docs/ARCHITECTURE.md "Tests"); the full browser where only it is installed.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or (
    HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else "/usr/bin/chromium"
)
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


# A test that requests one of these (itself or through another fixture, such as `world`) or
# carries the django_db mark reaches the test database.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "django_db_setup",
    "live_server",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that reach the test database, engine-neutral modules aside "
        "(make test's PostgreSQL pass: the others ran in its SQLite pass already and would "
        "only repeat themselves)",
    )
    parser.addoption(
        "--record-statements",
        metavar="FOLDER",
        type=Path,
        help="record the statements each test that reaches the database sends, into FOLDER "
        "(make test's SQLite pass, for its PostgreSQL pass: pledgeloop/testing_cover.py)",
    )
    parser.addoption(
        "--statement-cover",
        metavar="FOLDER",
        type=Path,
        help="with --database-tests-only: keep the fewest tests that send every statement "
        "recorded in FOLDER, and those the record says to keep always (testing_cover.py)",
    )


# Test modules that reach the database only to render what they check (the weight of the
# static files, translations, response headers) and so learn nothing from a second database
# engine: the PostgreSQL run (--database-tests-only) leaves them out. A module goes on this list
# only if no assertion in it depends on what a query returns (docs/ARCHITECTURE.md "Tests").
# The deploy kit's test asks only for the migrated template, which it copies into a SQLite
# server of its own: its assertions are about nginx, systemd and gunicorn.
ENGINE_NEUTRAL_MODULES = {
    "pledgeloop/stats/tests/test_weight.py",
    "pledgeloop/tests/test_deploy_kit.py",
    "pledgeloop/tests/test_english_in_chinese.py",
    "pledgeloop/tests/test_i18n.py",
    "pledgeloop/tests/test_private_responses.py",
}


def uses_database(item) -> bool:
    return bool(
        item.get_closest_marker("django_db")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def for_postgres(item) -> bool:
    """Whether the PostgreSQL run takes this test: it reaches the database and its module
    is not engine-neutral."""
    return uses_database(item) and item.nodeid.split("::")[0] not in ENGINE_NEUTRAL_MODULES


# Scopes whose fixtures a module builds once for all its tests (the demo street in
# demo/tests/test_demo.py, the collectstatic of stats/tests/test_weight.py).
SHARED_SCOPES = {"module", "class", "package"}


def shares(fixturedef) -> bool:
    """A fixture of ours that a module (or class) builds once for all its tests. Plugins'
    fixtures (baseid "") do not count: pytest-django's autouse `_django_setup_unittest` is
    class-scoped in every module and would keep every module on one worker."""
    return fixturedef.scope in SHARED_SCOPES and fixturedef.baseid != ""


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """On an xdist worker under --dist loadgroup: stop if the kept-together tests lost their
    group (xdist groups by a suffix it adds to the node id, which pytest 9.2 ignores,
    pytest-xdist#1386): the run would build each shared fixture once per worker, silently."""
    config = session.config
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group")]
    lost = [nodeid for nodeid in lost if "@" not in nodeid]
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist --dist loadgroup does not group {lost[0]} (and {len(lost) - 1} "
            "more): this pytest and pytest-xdist no longer work together, see pyproject.toml"
        )


# Tests that run for seconds each (besides the browser tests, which all do): handed out before
# the others, so that the workers end together rather than one of them finishing a walk alone
# at the end. pytest-django puts the tests without the database last; those among these (the
# deploy kit's, SMTP's, `check --deploy`'s, healthz's, mostly waiting on processes they start)
# go first of all instead (HeavyWithoutDatabaseFirst), while the other worker has work to
# share the machine with.
HEAVY_MODULES = {
    "pledgeloop/tests/test_hostile_input.py",
    "pledgeloop/api/tests/test_webhook_worker_kill.py",
    "pledgeloop/demo/tests/test_demo.py",
    "pledgeloop/tests/test_page_queries.py",
    "pledgeloop/tests/test_deploy_kit.py",
    "pledgeloop/notify/tests/test_smtp.py",
    "pledgeloop/tests/test_deploy.py",
    "pledgeloop/tests/test_healthz.py",
}
# What pytest-django reads to put a test among those with the database.
PYTEST_DJANGO_DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


def _schedule_key(item) -> bool:
    """Heavy tests before the others."""
    module = item.nodeid.split("::")[0]
    return not (module in HEAVY_MODULES or item.get_closest_marker("browser") is not None)


def _heavy_without_database(item) -> bool:
    return (
        item.nodeid.split("::")[0] in HEAVY_MODULES
        and item.get_closest_marker("django_db") is None
        and not PYTEST_DJANGO_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


class HeavyWithoutDatabaseFirst:
    """Registered by pytest_configure, to run after pytest-django's ordering: this module's
    own pytest_collection_modifyitems (below) must run before it, and a module holds one."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        """After pytest-django has ordered the tests: the heavy ones without the database
        first. sorted() is stable, so the order is otherwise kept."""
        if config.pluginmanager.hasplugin("xdist"):
            items[:] = sorted(items, key=lambda item: not _heavy_without_database(item))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # `make test` runs pytest-xdist with --dist loadgroup: tests go to whichever worker is
    # free, one by one, except that a module with a module-scoped (or class-scoped) fixture is
    # kept together on one worker, so that the fixture is built once, not once per worker.
    # The heavy tests are handed out first (HEAVY_MODULES, browser tests), so that the light
    # ones even out the end. pytest-django then groups the tests (those in a transaction,
    # those that commit, those without a database), keeping this order within each group;
    # sorted() is stable, so the order is otherwise kept, within each module too, and a
    # kept-together module is not split (its fixture would be built twice).
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            fixturedefs = item._fixtureinfo.name2fixturedefs.values()
            if any(shares(defs[-1]) for defs in fixturedefs):
                item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        items[:] = sorted(items, key=_schedule_key)
    # postgres_only("what it needs"): skipped where the test database is not PostgreSQL
    # (the SQLite pass; make test runs them on its throwaway PostgreSQL).
    if connection.vendor != "postgresql":
        for item in items:
            marker = item.get_closest_marker("postgres_only")
            if marker is not None:
                needs = marker.args[0] if marker.args else "PostgreSQL row locks"
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs {needs} (make test runs this on a throwaway PostgreSQL)"
                    )
                )
    if not config.getoption("database_tests_only"):
        return
    keep = [item for item in items if for_postgres(item)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not for_postgres(item)])
        items[:] = keep


def recorded_for_postgres(item) -> bool:
    """What the SQLite pass records the statements of: what the PostgreSQL pass could take."""
    return for_postgres(item) and item.get_closest_marker("browser") is None


def pytest_unconfigure(config):
    if hasattr(config, "_pledgeloop_media"):
        shutil.rmtree(config._pledgeloop_media, ignore_errors=True)
    if hasattr(config, "_pledgeloop_kept"):
        shutil.rmtree(config._pledgeloop_kept, ignore_errors=True)


def pytest_configure(config):
    config.pluginmanager.register(HeavyWithoutDatabaseFirst(), "pledgeloop-heavy-first")
    if config.getoption("statement_cover") is not None:
        config.pluginmanager.register(testing_cover.StatementCover(), "pledgeloop-cover")
    folder = config.getoption("record_statements")
    if folder is not None:
        if not hasattr(config, "workerinput"):  # the xdist controller, or the process alone
            testing_cover.start_record(folder)
        recorder = testing_cover.StatementRecorder(folder, recorded_for_postgres)
        config.pluginmanager.register(recorder, "pledgeloop-statement-recorder")
    # A transactional test ends by emptying only the tables it wrote (testing_flush.py).
    testing_flush.install()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Photos go to a folder of this process's own, never var/media: the orphan-photo job's
    # test deletes every file there that no test row references (the demo's photos among
    # them).
    config._pledgeloop_media = settings.MEDIA_ROOT = Path(
        tempfile.mkdtemp(prefix="pledgeloop-media-")
    )
    # Photos kept across a form sent back with a mistake (lib/photos.py): never var/ either.
    config._pledgeloop_kept = settings.PHOTO_KEPT_DIR = Path(
        tempfile.mkdtemp(prefix="pledgeloop-kept-")
    )
    # Every test client builds its own middleware chain, and WhiteNoise's middleware indexes
    # all static files (STATIC_ROOT and the finders, some 360) when it is built: about a fifth
    # of the suite's time. Looking a file up when it is asked for serves the same files; no
    # test asks the test client for one (the live server serves them itself).
    settings.WHITENOISE_AUTOREFRESH = True
    # Static files by their plain names, found in the source folders: the manifest storage of
    # settings.py needs a collectstatic first (stats/tests/test_weight.py runs one itself).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def engine_values(request):
    """For an engine_judged walk: which of its steps the PostgreSQL pass takes, recorded in the
    SQLite pass (testing_cover.EngineValues)."""
    return testing_cover.EngineValues.for_test(request.config, request.node, connection.vendor)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans): a test that switched to English
    (a request with the language cookie, translation.activate) must not leak into the next
    one that the same xdist worker runs."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_intake_desks():
    """Each test's database starts over, so no desk cached in memory may outlive it."""
    desks_forget()
    yield
    desks_forget()


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test's database starts over, street versions with it (a rolled-back test leaves
    version numbers that the next test's streets reuse), so no cached page may outlive it."""
    cache = caches[settings.PUBLIC_PAGE_CACHE]
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    street: Street
    other_street: Street
    community: Community  # 星港湾: the community of the named users
    neighbour: Community  # 腾飞: same street, another community
    faraway: Community  # in the other street
    street_admin: User
    community_admin: User
    member: User
    resident: User
    outsider: User  # community admin of the neighbouring community
    resident_here: Resident
    resident_there: Resident


def make_user(
    phone: str, name: str, role: str, street: Street, community: Community | None
) -> User:
    user = User.objects.create_user(phone, PASSWORD, name=name)
    RoleGrant.objects.create(user=user, role=role, street=street, community=community)
    return user


def world_build() -> World:
    """The rows of the world, made through the services as any test would make them."""
    street = street_create(name="江海街道", slug="jianghai")
    other_street = street_create(name="和平街道", slug="heping")
    community = community_create(street=street, name="星港湾", slug="xinggangwan")
    neighbour = community_create(street=street, name="腾飞", slug="tengfei")
    faraway = community_create(street=other_street, name="桃园", slug="taoyuan")
    street_admin = make_user("13900000101", "街道管理员", Role.STREET_ADMIN, street, None)
    community_admin = make_user(
        "13900000102", "星港湾书记", Role.COMMUNITY_ADMIN, street, community
    )
    member = make_user("13900000103", "张三", Role.MEMBER, street, community)
    Member.objects.create(
        user=member,
        street=street,
        community=community,
        kind=Member.Kind.RETIRED,
        party_join_date="1985-07-01",
        capacity=3,
    )
    resident_user = make_user("13900000104", "王秀兰", Role.RESIDENT, street, community)
    outsider = make_user("13900000105", "腾飞书记", Role.COMMUNITY_ADMIN, street, neighbour)
    resident_here = Resident.objects.create(
        street=street,
        community=community,
        user=resident_user,
        name="王秀兰",
        phone="13812345678",
        address="阳光花园3幢201室",
    )
    resident_there = Resident.objects.create(
        street=street,
        community=neighbour,
        name="李四",
        phone="13987654321",
        address="幸福新村1幢102室",
    )
    Resident.objects.create(
        street=other_street,
        community=faraway,
        name="赵六",
        phone="13711112222",
        address="桃园小区5幢",
    )
    return World(
        street,
        other_street,
        community,
        neighbour,
        faraway,
        street_admin,
        community_admin,
        member,
        resident_user,
        outsider,
        resident_here,
        resident_there,
    )


# --- the world, built once per worker ----------------------------------------------------
#
# Most tests start from the same world and roll back their own writes at the end. Building it
# for each of them (some fifty statements, 30 ms on SQLite and 60 on PostgreSQL) was a tenth
# of the suite. So, as Django's TestCase.setUpTestData does for a class, the world is built
# once per worker inside an outer transaction that stays open, and each test's own atomic
# block (pytest-django's TestCase) becomes a savepoint inside it: the test's writes are
# rolled back, the world's rows stay. Each test gets a deep copy of the world's objects, so
# that what one test changes on them in memory does not reach the next. A module's own data
# on top of the world (the hand-computed street of the indicator tests) is shared the same
# way when its fixture is made with @shared_fixture.
#
# Only the tests that ask for exactly what is built see it: before any other test (one that
# needs an empty database; a transactional or live-server test, which commits and then empties
# every table; a module with a database fixture of its own, such as the demo street; a test
# that asks for the world without the module data built on it) the outer transaction is
# rolled back, and the next test that shares builds what it asks for again. Tests run module
# by module, so that happens a few times per worker, not per test.


class SharedWorld:
    """The open outer transaction of this worker and what was built in it, by fixture name."""

    atomic = None
    built: dict = {}
    builders: dict = {"world": lambda world: world_build()}  # name → build(world)

    @classmethod
    def enter(cls, blocker, needed: set[str]) -> None:
        with blocker.unblock():
            if cls.atomic is None:
                atomic = transaction.atomic()
                atomic._from_testcase = True  # as TestCase's: durable blocks may nest in it
                atomic.__enter__()
                cls.atomic, cls.built = atomic, {}
            for name, build in cls.builders.items():
                if name in needed and name not in cls.built:
                    cls.built[name] = build(cls.built.get("world"))
            # The deferred foreign-key checks of the rows just made, once: the tests' own
            # checks run in their savepoints and would otherwise repeat them.
            connection.check_constraints()

    @classmethod
    def leave(cls, blocker) -> None:
        if cls.atomic is None:
            return
        atomic, cls.atomic, cls.built = cls.atomic, None, {}
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def shared_fixture(build):
    """A fixture made on top of the world, built once per worker in the shared world for the
    tests that share it (and for each test otherwise). `build(world)` makes its rows."""
    name = build.__name__
    SharedWorld.builders[name] = build

    def fixture(world, _shared_copy):
        return _shared_copy[name] if _shared_copy is not None else build(world)

    fixture.shared_build = build
    return pytest.fixture(fixture, name=name)


def shared_needs(item) -> set[str] | None:
    """The shared fixtures a test asks for (the world among them), or None when it cannot run
    in the shared world: it does not ask for the world, it commits, or its module builds a
    database fixture of its own."""
    names = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & names
        or (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    )
    if "world" not in names or transactional or item.get_closest_marker("xdist_group"):
        return None
    definitions = item._fixtureinfo.name2fixturedefs
    return {"world"} | {
        name
        for name in names & SharedWorld.builders.keys()
        if getattr(definitions[name][-1].func, "shared_build", None) is not None
    }


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of a test: roll back what it must not see."""
    if SharedWorld.atomic is None:
        return
    needed = shared_needs(item)
    if needed is None or not SharedWorld.built.keys() <= needed:
        SharedWorld.leave(item.config.stash[blocking_manager_key])


@pytest.fixture(scope="session")
def _shared_world(request, django_db_blocker):
    """Owns the outer transaction: it is rolled back before the test database goes."""
    request.getfixturevalue("django_db_setup")
    yield SharedWorld
    SharedWorld.leave(django_db_blocker)


@pytest.fixture
def _enter_shared_world(request, _shared_world, django_db_blocker):
    needed = shared_needs(request.node)
    if needed is not None and not needed <= _shared_world.built.keys():
        _shared_world.enter(django_db_blocker, needed)


@pytest.fixture
def _django_db_helper(_enter_shared_world, _django_db_helper):
    """pytest-django's per-test transaction (the parent fixture of this name), opened after
    the shared world, so inside it when the test shares it."""
    yield


@pytest.fixture
def _shared_copy(db):
    """This test's deep copy of what the shared world holds (one copy, so that a module's
    data and the world it was built on still point at each other), or None."""
    return copy.deepcopy(SharedWorld.built) if SharedWorld.atomic is not None else None


@pytest.fixture
def world(_shared_copy) -> World:
    return _shared_copy["world"] if _shared_copy is not None else world_build()


@pytest.fixture
def client_for(client):
    """client_for(user) signs the test client in as that user."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; skipped with a notice where it is missing."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}; browser tests skipped "
            "(apt-get install chromium-headless-shell)"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but " + message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        # The live server's threads and Playwright's client make garbage by the page: the
        # collector's full passes would go through every object of the run each time (a third
        # of this process's CPU); what exists by now (Django, the test modules) lives on.
        gc.freeze()
        pool = ContextPool(chromium)
        yield pool
        pool.close()
        chromium.close()


@pytest.fixture
def browser(chromium):
    """What a browser test drives: `browser.new_context(**options)` and that context's
    `new_page()`, as with Playwright's Browser, but from `chromium`'s pool of contexts: a
    context and its page are kept for the next test with the same options (docs/ARCHITECTURE.md
    "Tests"). Whatever the test left open goes back to the pool when it ends."""
    lent = LentContexts(chromium)
    yield lent
    lent.close()


class ContextPool:
    """Browser contexts (each with its one page) kept for the whole run, by their options.

    A new context and its page cost Chromium about a second of CPU (a page load, a quarter of
    one), and most tests opened one or more, so a context is opened once per set of options
    and handed to one test after another, wiped in between: its page taken back to
    about:blank (which ends its scripts and timers), the site's local and session storage and
    the cookies cleared, media emulation and viewport put back, the test's event handlers
    removed."""

    def __init__(self, chromium):
        self.chromium = chromium
        self.free: dict[str, list] = {}

    @staticmethod
    def key(options: dict) -> str:
        return json.dumps(options, sort_keys=True, default=str)

    def take(self, options: dict):
        kept = self.free.get(self.key(options))
        if kept:
            return kept.pop()
        context = self.chromium.new_context(**options)
        return context, context.new_page()

    def give_back(self, options: dict, context, page) -> None:
        try:
            if page.url.startswith("http"):
                # by the page itself, so that about:blank stays in the site's renderer
                # process (page.goto would start a new one, a third of a second of CPU)
                with page.expect_navigation(url="about:blank"):
                    page.evaluate(
                        "localStorage.clear(); sessionStorage.clear();"
                        " location.href = 'about:blank'"
                    )
            else:
                page.goto("about:blank")
            page.emulate_media(media="null")
            if "viewport" in options and page.viewport_size != options["viewport"]:
                page.set_viewport_size(options["viewport"])
            context.clear_cookies()
        except Exception:  # a page the test left broken (a crash, a dialog) is not reused
            context.close()
            return
        self.free.setdefault(self.key(options), []).append((context, page))

    def close(self) -> None:
        for kept in self.free.values():
            for context, _page in kept:
                context.close()
        self.free.clear()


class LentContexts:
    """One test's contexts, taken from the pool and given back when closed (or at the end)."""

    def __init__(self, pool: ContextPool):
        self.pool = pool
        self.lent: list[LentContext] = []

    def new_context(self, **options):
        context = LentContext(self.pool, options)
        self.lent.append(context)
        return context

    def close(self) -> None:
        for context in self.lent:
            context.close()


class LentContext:
    """A pooled context as the test sees it: its first new_page() is the kept page, a further
    one a page of its own, closed with the context; close() gives the context back."""

    def __init__(self, pool: ContextPool, options: dict):
        self._pool = pool
        self._options = options
        self._context, self._page = pool.take(options)
        self._lent_page: LentPage | None = None
        self._extra_pages = []
        self._closed = False

    def new_page(self):
        if self._lent_page is None:
            self._lent_page = LentPage(self._page)
            return self._lent_page
        page = self._context.new_page()
        self._extra_pages.append(page)
        return LentPage(page)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for page in self._extra_pages:
            page.close()
        if self._lent_page is not None:
            self._lent_page.forget_handlers()
        self._pool.give_back(self._options, self._context, self._page)

    def __getattr__(self, name):
        return getattr(self._context, name)


class LentPage:
    """A page lent to one test: the event handlers it adds are removed afterwards, and the
    screenshots it saves for people to look at are taken at CSS pixels."""

    def __init__(self, page):
        self._page = page
        self._handlers = []

    def screenshot(self, **options):
        """As Playwright's, but a screenshot saved to `path` is taken at CSS pixels, as the
        page is laid out (a phone page 360 px wide): at the phone's device scale of 2 each
        one had four times the pixels to draw and compress, a quarter of Chromium's CPU in
        the browser tests (58 s, 42 s at CSS pixels). Bytes returned for the test to read
        keep the device's scale."""
        if "path" in options:
            options.setdefault("scale", "css")
        return self._page.screenshot(**options)

    def on(self, event, handler):
        self._handlers.append((event, handler))
        return self._page.on(event, handler)

    def forget_handlers(self) -> None:
        for event, handler in self._handlers:
            self._page.remove_listener(event, handler)
        self._handlers.clear()

    def __getattr__(self, name):
        return getattr(self._page, name)


PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; V2055A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MicroMessenger/8.0.47"
    ),
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def sign_in(page, base: str, user, then: str = "") -> None:
    """Signs `user` in through the login form (PASSWORD), as a person would; with `then`, the
    page to land on (the form's ?next=), waited for."""
    page.goto(f"{base}/login/" + (f"?next={then}" if then else ""))
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    if then:
        page.wait_for_url(f"{base}{then}")
    else:
        page.wait_for_load_state()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def wait_for_chart(chart) -> None:
    """Waits until charts.js has dealt with this [data-chart] element: drawn it (a canvas in
    it) or said it has nothing to draw (static/stats/charts.js, `stats-chart-empty`)."""
    drawn = "xpath=self::*[contains(concat(' ', @class, ' '), ' stats-chart-empty ')] | .//canvas"
    chart.locator(drawn).first.wait_for(state="attached", timeout=10_000)


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` and its key, made by openssl into `folder`, for a TLS server a
    test starts (the client trusts the certificate itself)."""
    cert, key = folder / f"{host}.pem", folder / f"{host}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}"]
        + ["-addext", f"subjectAltName=DNS:{host}"],
        check=True,
        capture_output=True,
    )
    return cert, key
