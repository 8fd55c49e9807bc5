"""The PostgreSQL pass's choice of tests (pledgeloop/testing_cover.py): what the SQLite pass
records of each test, and the cover made from it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from pledgeloop import testing_cover
from pledgeloop.orgs.models import Street
from pledgeloop.orgs.services import street_create
from pledgeloop.testing_cover import SentStatements, cover, greedy_cover, is_test_code, shape


def test_a_statement_is_recorded_by_its_shape():
    assert shape('SELECT 1 FROM "t" WHERE "t"."id" IN (%s, %s, %s)') == shape(
        'SELECT 1 FROM "t" WHERE "t"."id" IN (%s)'
    )
    assert shape('INSERT INTO "t" ("a", "b") VALUES (%s, %s), (%s, %s)') == shape(
        'INSERT INTO "t" ("a", "b") VALUES (%s, %s)'
    )
    # a different column, condition or table is another statement
    assert shape('SELECT "t"."a" FROM "t"') != shape('SELECT "t"."b" FROM "t"')
    assert shape('SELECT 1 FROM "t" WHERE "a" = %s') != shape('SELECT 1 FROM "t" WHERE "a" > %s')
    for framing in ['SAVEPOINT "s1_x1"', 'RELEASE SAVEPOINT "s1_x1"', "ROLLBACK", "BEGIN"]:
        assert shape(framing) is None


def test_the_suites_own_files_are_not_the_application():
    root = testing_cover.PACKAGE
    for suite in ["tests/test_x.py", "orders/tests/loop.py", "conftest.py", "testing_flush.py"]:
        assert is_test_code(root + suite), suite
    for application in ["orders/services.py", "lib/pinyin.py", "testimonials.py"]:
        assert not is_test_code(root + application), application


@pytest.mark.django_db
def test_what_the_application_sends_is_recorded_and_the_tests_own_checks_are_not(world, client):
    statements = SentStatements()
    with connection.execute_wrapper(statements):
        Street.objects.count()  # the test's own check
    assert statements.shapes == set()
    with connection.execute_wrapper(statements):
        street_create(name="新港街道", slug="xingang")  # a service
    from_service = set(statements.shapes)
    assert from_service
    with connection.execute_wrapper(statements):
        client.get(f"/wall/{world.community.slug}/")  # a page, through Django's handlers
    assert statements.shapes > from_service
    assert not statements.refused


@pytest.mark.django_db
def test_a_statement_the_engine_refuses_marks_the_test(world):
    statements = SentStatements()
    with (
        connection.execute_wrapper(statements),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Street.objects.create(name=world.street.name, slug=world.street.slug)
    assert statements.refused


def test_the_greedy_cover_holds_every_element_and_prefers_the_first_of_equals():
    sets = [{"a"}, {"a", "b"}, {"c"}, {"b", "c"}, set(), {"d"}]
    taken = greedy_cover(sets)
    assert set().union(*(sets[i] for i in taken)) == {"a", "b", "c", "d"}
    # {a, b} and {b, c} both hold two new ones: the first is taken, then {c} and {b, c} tie
    assert taken == [1, 2, 5]
    assert greedy_cover([]) == [] and greedy_cover([set()]) == []


class Item:
    def __init__(self, nodeid: str, marker: str | None = None):
        self.nodeid = nodeid
        self.marker = marker

    def get_closest_marker(self, name):
        return object() if name == self.marker else None


def test_the_cover_keeps_what_a_shape_cannot_show():
    items = [
        Item("m.py::page"),  # sends a, b, c
        Item("m.py::service"),  # sends a: the page sends it too
        Item("m.py::refused"),
        Item("m.py::skipped_on_sqlite"),
        Item("m.py::silent"),
        Item("m.py::walk", marker="engine_judged"),
        Item("m.py::other"),  # sends d
    ]
    record = {
        "m.py::page": {"shapes": ["a", "b", "c"], "refused": False},
        "m.py::service": {"shapes": ["a"], "refused": False},
        "m.py::refused": {"shapes": ["a"], "refused": True},
        "m.py::silent": {"shapes": [], "refused": False},
        "m.py::walk": {"shapes": ["b"], "refused": False},
        "m.py::other": {"shapes": ["d"], "refused": False},
    }
    kept, summary = cover(items, record)
    assert [item.nodeid.split("::")[1] for item in kept] == [
        "page",
        "refused",
        "skipped_on_sqlite",
        "silent",
        "walk",
        "other",
    ]
    assert "6 of the 7" in summary and "all 4 statement shapes" in summary


def test_without_a_record_every_test_is_kept():
    items = [Item("m.py::a"), Item("m.py::b")]
    kept, summary = cover(items, {})
    assert kept == items and "every test" in summary


def test_make_test_records_on_sqlite_and_covers_on_postgresql_unless_told_all():
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    assert "$(PYTEST) --record-statements=var/test-statements;" in makefile
    assert (
        "$(if $(filter all,$(POSTGRES_TESTS)),,--statement-cover=var/test-statements \\\n"
        "\t      $$($(PY) -m pledgeloop.testing_cover var/test-statements))"
    ) in makefile


class Config:
    """What StatementCover reads of pytest's config: the option, and the deselection hook."""

    def __init__(self, folder):
        self.folder = folder
        self.deselected = []
        self.hook = self

    def getoption(self, name):
        assert name == "statement_cover"
        return self.folder

    def pytest_deselected(self, items):
        self.deselected += items


def test_the_postgresql_pass_keeps_the_cover_and_says_so(tmp_path):
    folder = tmp_path / "statements"
    items = [Item("m.py::page"), Item("m.py::service")]
    # no SQLite run has recorded anything yet: every test, said so
    config = Config(folder)
    testing_cover.StatementCover().pytest_collection_modifyitems(config, items)
    assert len(items) == 2 and config.deselected == []
    assert "no statement record" in (folder / testing_cover.SUMMARY).read_text()
    (folder / "statements-gw0.json").write_text(
        '{"m.py::page": {"shapes": ["a", "b"], "refused": false},'
        ' "m.py::service": {"shapes": ["a"], "refused": false}}'
    )
    testing_cover.StatementCover().pytest_collection_modifyitems(config, items)
    assert [item.nodeid for item in items] == ["m.py::page"]
    assert [item.nodeid for item in config.deselected] == ["m.py::service"]
    assert "1 of the 2 tests" in (folder / testing_cover.SUMMARY).read_text()


class Options:
    """pytest's config as EngineValues reads it: the two folders."""

    def __init__(self, **options):
        self.options = options

    def getoption(self, name):
        return self.options.get(name)


def test_a_value_is_carried_in_a_parameter_or_the_text_of_one():
    marks = ("\x00", "99999999999999999999")
    assert testing_cover.carries(("a", "b\x00"), False, marks)
    assert testing_cover.carries({"n": 99999999999999999999}, False, marks)
    assert testing_cover.carries([(1, "a"), (2, "x\x00")], True, marks)  # executemany's rows
    assert not testing_cover.carries((1, "a", None), False, marks)
    assert not testing_cover.carries(None, False, marks)


@pytest.mark.django_db
def test_the_steps_that_hand_the_database_their_value_are_recorded_and_replayed(
    world, client, tmp_path
):
    item = Item("m.py::walk[member]")
    recording = testing_cover.EngineValues.for_test(
        Options(record_statements=tmp_path), item, "sqlite"
    )
    assert recording.record_to is not None and recording.takes("anything")
    long = "x" * 3000
    client.force_login(world.community_admin)
    with recording.step("search", ("x" * 16,)):
        client.get("/people/members/", {"q": long})  # the search reaches a statement
    with recording.step("not searched", ("x" * 16,)):
        client.get("/people/members/", {"q": "王"})
        client.get("/order/new/", {"q": long})  # a page that does not read it
    with recording.step("no marks", ()):
        Street.objects.filter(name=long).exists()
    with recording.step(None, ("x" * 16,)):
        Street.objects.filter(name=long).exists()
    recording.save()
    # The PostgreSQL run takes the one step that sent the value, and no other.
    replaying = testing_cover.EngineValues.for_test(
        Options(statement_cover=tmp_path), item, "postgresql"
    )
    assert replaying.replay == {"search"}
    assert replaying.takes("search") and not replaying.takes("not searched")
    # Another test has no record: every step; and a run with neither folder records nothing.
    other = testing_cover.EngineValues.for_test(
        Options(statement_cover=tmp_path), Item("m.py::walk[admin]"), "postgresql"
    )
    assert other.replay is None and other.takes("not searched")
    plain = testing_cover.EngineValues.for_test(Options(), item, "sqlite")
    assert plain.record_to is None and plain.replay is None
    # The next SQLite run starts without the last one's steps.
    testing_cover.start_record(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_postgresql_pass_collects_only_the_modules_of_the_tests_it_keeps(tmp_path):
    record = {
        "a.py::page": {"shapes": ["a", "b", "c"], "refused": False, "judged": False},
        "b.py::service": {"shapes": ["a"], "refused": False, "judged": False},
        "c.py::refused": {"shapes": ["a"], "refused": True, "judged": False},
        "d.py::silent": {"shapes": [], "refused": False, "judged": False},
        "e.py::walk": {"shapes": ["b"], "refused": False, "judged": True},
        "f.py::other": {"shapes": ["d"], "refused": False, "judged": False},
        "g.py::repeats": {"shapes": ["d"], "refused": False, "judged": False},
    }
    assert testing_cover.modules(record) == ["a.py", "c.py", "d.py", "e.py", "f.py"]
    assert testing_cover.modules({}) == []
    # The cover made in the run of those modules' tests keeps every shape and the always ones.
    collected = [Item(test) for test in record if test.split("::")[0] != "g.py"]
    collected[4].marker = "engine_judged"
    kept, summary = cover(collected, record)
    assert {test.nodeid for test in kept} == {
        "a.py::page", "c.py::refused", "d.py::silent", "e.py::walk", "f.py::other"
    }  # fmt: skip
    assert "5 of the 7 tests" in summary
    # What make test runs: the modules on one line, nothing without a record.
    (tmp_path / "statements-gw0.json").write_text(json.dumps(record))
    assert _modules_named(tmp_path) == ["a.py", "c.py", "d.py", "e.py", "f.py"]
    testing_cover.start_record(tmp_path)
    assert _modules_named(tmp_path) == []


def _modules_named(folder) -> list[str]:
    """What `python -m pledgeloop.testing_cover FOLDER` prints, as make test calls it."""
    named = subprocess.run(
        [sys.executable, "-m", "pledgeloop.testing_cover", str(folder)],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return named.stdout.split()
