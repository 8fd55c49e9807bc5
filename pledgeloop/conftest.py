"""Shared fixtures: a small world of two streets and named users per role (STYLE.md)."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import translation

from pledgeloop import testing_flush
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
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
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


# Test modules that reach the database only to render what they check (the weight of the
# static files, translations, response headers) and so learn nothing from a second database
# engine: the PostgreSQL run (--database-tests-only) leaves them out. A module goes on this list
# only if no assertion in it depends on what a query returns (docs/ARCHITECTURE.md "Tests").
ENGINE_NEUTRAL_MODULES = {
    "pledgeloop/stats/tests/test_weight.py",
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # `make test` runs pytest-xdist with --dist loadgroup: tests go to whichever worker is
    # free, one by one, except that a module with a module-scoped (or class-scoped) fixture is
    # kept together on one worker, so that the fixture is built once, not once per worker.
    # The tests that need no database go first: while the first worker to need the database
    # migrates it (pledgeloop/testing_database.py), the other ones run those instead of
    # waiting. The order is otherwise kept (sorted() is stable), within each module too, and a
    # kept-together module is not split (its fixture would be built twice).
    if config.pluginmanager.hasplugin("xdist"):
        together = {}
        for item in items:
            module = item.nodeid.split("::")[0]
            fixturedefs = item._fixtureinfo.name2fixturedefs.values()
            if any(shares(defs[-1]) for defs in fixturedefs):
                item.add_marker(pytest.mark.xdist_group(module))
                together[module] = together.get(module, False) or uses_database(item)
        items[:] = sorted(
            items, key=lambda item: together.get(item.nodeid.split("::")[0], uses_database(item))
        )
    if not config.getoption("database_tests_only"):
        return
    keep = [item for item in items if for_postgres(item)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not for_postgres(item)])
        items[:] = keep


def pytest_configure(config):
    # A transactional test ends by emptying only the tables it wrote (testing_flush.py).
    testing_flush.install()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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
    from pledgeloop.orders.desk import desks_forget

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


@pytest.fixture
def world(db) -> World:
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


@pytest.fixture
def client_for(client):
    """client_for(user) signs the test client in as that user."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped with a notice where it is missing."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}; browser tests skipped (apt-get install chromium)"
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
        yield chromium
        chromium.close()


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


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
