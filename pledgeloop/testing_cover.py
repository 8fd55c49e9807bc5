"""The PostgreSQL run's tests: the fewest that send every statement the SQLite run sent.

`make test` runs every test on SQLite, then again on a throwaway PostgreSQL the tests that
reach the database (pledgeloop/conftest.py, `--database-tests-only`). Most of the second run
repeats, statement for statement, what another test already sent to PostgreSQL: a page
test and the service test under it compile the same queries. What a second engine can
show is a statement it compiles, runs or judges differently, so the PostgreSQL run here
keeps:

- a **statement cover**: while the SQLite run goes (`--record-statements=FOLDER`), each
  test's statements are recorded, as sent by the application (Django's request handling,
  the services, selectors and views; not the test's own ORM calls that check a result),
  reduced to their shape: parameters are placeholders already, and a list of them (`IN
  (%s, %s)`, rows of a bulk insert) counts as one. The PostgreSQL run
  (`--statement-cover=FOLDER`) keeps, in collection order, whichever test sends the most
  shapes not yet kept, until every shape is: every statement the application sent in the
  SQLite run runs on PostgreSQL too, inside a test that must pass there;
- every test in which **SQLite refused a statement** (an integrity or data error): what it
  checks is the engine's own judgement of the values, which the shape does not show;
- every test that sent **nothing recorded**: skipped on SQLite (`postgres_only`), or
  working through the test database itself (the suite's own machinery, testing_*.py);
- every test marked **`engine_judged`**: its point is the values the engine is given, not
  the statements (the hostile-input walk). Such a test may walk many steps (requests) of
  which only a few hand the database the value they are about: with the `engine_values`
  fixture the SQLite run records which steps sent it in a statement's parameters
  (`EngineValues`), and the PostgreSQL run walks only those. A value that never reaches a
  statement on SQLite is judged by Python, the same whatever the engine.

`make test POSTGRES_TESTS=all` (and CI, `.ci/run`) runs every test that reaches the database
on PostgreSQL instead, as before (docs/ARCHITECTURE.md, "Tests"). A PostgreSQL run without a
record (a targeted run, the folder emptied) takes every test as well, and says so.
"""

import contextlib
import functools
import hashlib
import heapq
import json
import re
import sys
from pathlib import Path

import django
import pytest
from django.db import DatabaseError, connections

PACKAGE = str(Path(__file__).resolve().parent) + "/"
DJANGO_HANDLERS = str(Path(django.__file__).resolve().parent / "core" / "handlers")
SUMMARY = "postgres-cover.txt"

# Statements that only frame a transaction: the same in every test, and not the application's.
FRAMING = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
PLACEHOLDERS = re.compile(r"%s(?:, %s)+|(?<=\()%s(?=\))")
ROWS = re.compile(r"(\([^()]*\))(?:, \1)+")


def shape(sql: str) -> str | None:
    """The statement with each list of placeholders (one in parentheses too: `IN (%s)`) and
    each run of equal rows counted once; None for the statements that only frame a
    transaction."""
    if sql.lstrip()[:9].upper().startswith(FRAMING):
        return None
    return ROWS.sub(r"\1", PLACEHOLDERS.sub("%s…", sql))


@functools.lru_cache(maxsize=8192)
def shape_digest(sql: str) -> str | None:
    """The shape's digest, as recorded (most statements are sent many times)."""
    statement = shape(sql)
    return (
        None
        if statement is None
        else hashlib.blake2b(statement.encode(), digest_size=8).hexdigest()
    )


def is_test_code(filename: str) -> bool:
    """A file of the suite (tests, conftest.py, testing_*.py), not of the application."""
    inside = filename[len(PACKAGE) :]
    name = inside.rsplit("/", 1)[-1]
    return (
        inside.startswith("tests/")
        or "/tests/" in inside
        or name == "conftest.py"
        or name.startswith("testing_")
    )


def sent_by_application(frame) -> bool:
    """Whether the statement being sent was asked for by the application: the nearest frame
    of this package is application code, or Django's request handling (middleware, a view)
    comes first. A test's own query (checking what a page wrote) is not."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == __file__:  # another recorder around this one (a test of it)
            frame = frame.f_back
            continue
        if filename.startswith(PACKAGE):
            return not is_test_code(filename)
        if filename.startswith(DJANGO_HANDLERS):
            return True
        frame = frame.f_back
    return True


class SentStatements:
    """One test's statement shapes (as digests), and whether SQLite refused one of them."""

    def __init__(self):
        self.shapes: set[str] = set()
        self.refused = False

    def __call__(self, execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except DatabaseError:
            self.refused = True
            raise
        finally:
            digest = shape_digest(sql)
            # _getframe(1): the caller of this wrapper, inside Django's cursor
            if digest is not None and sent_by_application(sys._getframe(1)):
                self.shapes.add(digest)


def record_path(folder: Path, config) -> Path:
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    return folder / f"statements-{worker}.json"


class StatementRecorder:
    """The SQLite run's side: records, for each test the PostgreSQL run could take, what it
    sent (`recorded(item)` says which), into one file per pytest process in `folder`."""

    def __init__(self, folder: Path, recorded):
        self.folder = folder
        self.recorded = recorded
        self.tests: dict[str, dict] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if not self.recorded(item):
            return (yield)
        statements = SentStatements()
        with connections["default"].execute_wrapper(statements):
            try:
                return (yield)
            finally:
                self.tests[node_id(item)] = {
                    "shapes": sorted(statements.shapes),
                    "refused": statements.refused,
                    "judged": item.get_closest_marker("engine_judged") is not None,
                }

    def pytest_sessionfinish(self, session):
        if self.tests:
            record_path(self.folder, session.config).write_text(json.dumps(self.tests))


def start_record(folder: Path) -> None:
    """Before the SQLite run (its xdist controller, or the process alone): the last run's
    record goes, so that a test that no longer exists leaves nothing behind."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("statements-*.json"), *folder.glob("steps-*.json")]:
        old.unlink()
    (folder / SUMMARY).unlink(missing_ok=True)


def node_id(item) -> str:
    """The test's id without the group pytest-xdist's loadgroup adds (`@module`)."""
    return item.nodeid.split("@", 1)[0]


def load_record(folder: Path) -> dict[str, dict]:
    tests: dict[str, dict] = {}
    for path in sorted(folder.glob("statements-*.json")):
        tests.update(json.loads(path.read_text()))
    return tests


def _always(sent: dict | None, item=None) -> bool:
    """Whether the PostgreSQL run keeps a test whatever the cover: nothing recorded of it,
    a refusal, or engine_judged (marked on the item, or noted in the record)."""
    return (
        sent is None
        or not sent["shapes"]
        or sent["refused"]
        or sent.get("judged", False)
        or (item is not None and item.get_closest_marker("engine_judged") is not None)
    )


def cover(items: list, record: dict[str, dict]) -> tuple[list, str]:
    """The tests the PostgreSQL run keeps (in their order) and a line saying why."""
    if not record:
        return items, (
            "PostgreSQL: every test that reaches the database (no statement record from a "
            "SQLite run)"
        )
    always, candidates = [], []
    for item in items:
        sent = record.get(node_id(item))
        if _always(sent, item):
            always.append(item)
        else:
            candidates.append((item, set(sent["shapes"])))
    every = len(set().union(*(shapes for _item, shapes in candidates)))
    chosen = {candidates[index][0].nodeid for index in greedy_cover([s for _i, s in candidates])}
    kept_ids = chosen | {item.nodeid for item in always}
    kept = [item for item in items if item.nodeid in kept_ids]
    summary = (
        f"PostgreSQL: {len(kept)} of the {max(len(record), len(items))} tests that reach the "
        f"database: {len(chosen)} that send all {every} statement shapes the application sent "
        f"in the SQLite run, and {len(always)} always (SQLite refused a statement, nothing "
        "recorded, engine_judged); make test POSTGRES_TESTS=all runs every one"
    )
    return kept, summary


def modules(record: dict[str, dict]) -> list[str]:
    """The test modules holding a test the cover keeps, from the record alone (which holds
    every test the PostgreSQL run could take): for the PostgreSQL run to collect only these
    (a tenth of its start). The cover it then makes of their tests again holds every shape,
    since these tests hold them all, and every test to keep always. An empty record gives
    no module: the run collects them all."""
    candidates = sorted(
        (test, set(sent["shapes"])) for test, sent in record.items() if not _always(sent)
    )
    kept = {test for test, sent in record.items() if _always(sent)}
    kept |= {candidates[i][0] for i in greedy_cover([shapes for _test, shapes in candidates])}
    return sorted({test.split("::", 1)[0] for test in kept})


class StatementCover:
    """The PostgreSQL run's side (--statement-cover=FOLDER, with --database-tests-only):
    after every other choice of tests (-m, -k, the database-tests-only filter), keeps the
    cover of what is left."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        folder = config.getoption("statement_cover")
        kept, summary = cover(items, load_record(folder))
        folder.mkdir(parents=True, exist_ok=True)  # a run with no record yet says so too
        (folder / SUMMARY).write_text(summary)
        if len(kept) < len(items):
            ids = {item.nodeid for item in kept}
            config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in ids])
            items[:] = kept

    def pytest_terminal_summary(self, terminalreporter, config):
        """Says which tests the run took: in the xdist controller, from the workers' file."""
        summary = config.getoption("statement_cover") / SUMMARY
        if summary.exists():
            terminalreporter.write_line(summary.read_text())


def greedy_cover(sets: list[set[str]]) -> list[int]:
    """Indexes of sets that together hold every element of them all: each time the set with
    the most elements not yet held (the first of equals), until none is left. A set's count
    only falls as others are taken, so a count found stale is worked out again when its set
    comes to the top of the heap, not every set's at every step."""
    left = set().union(*sets)
    heap = [(-len(members), index) for index, members in enumerate(sets) if members]
    heapq.heapify(heap)
    taken = []
    while left and heap:
        _stale, index = heapq.heappop(heap)
        fresh = (-len(sets[index] & left), index)
        if fresh[0] == 0:
            continue
        if heap and fresh > heap[0]:
            heapq.heappush(heap, fresh)
            continue
        taken.append(index)
        left -= sets[index]
    return taken


def steps_path(folder: Path, item) -> Path:
    """Where an engine_judged test's steps are recorded: a file per test."""
    digest = hashlib.blake2b(node_id(item).encode(), digest_size=8).hexdigest()
    return folder / f"steps-{digest}.json"


def carries(params, many: bool, marks: tuple[str, ...]) -> bool:
    """Whether a statement's parameters (executemany's rows included) hold one of `marks`, in a
    value or in the text of one (a number written out, a list's items)."""
    for row in params if many else [params]:
        if row is None:
            continue
        for value in row.values() if isinstance(row, dict) else row:
            text = value if isinstance(value, str) else str(value)
            if any(mark in text for mark in marks):
                return True
    return False


class EngineValues:
    """The steps of an engine_judged test (a walk of requests) that handed the database the
    value the step is about: a statement parameter holding its mark. Recorded in the SQLite
    run (`--record-statements`), read back in the PostgreSQL run (`--statement-cover`), which
    then takes only those (`takes`): a value no statement carried was judged by Python, the
    same whatever the engine. Any other run, or a PostgreSQL run with no record of the test
    (POSTGRES_TESTS=all, CI), takes every step. The record is written by `save()`, which the
    test calls once its walk is whole."""

    def __init__(self, record_to: Path | None = None, replay: set[str] | None = None):
        self.record_to = record_to
        self.replay = replay
        self.reached: set[str] = set()

    @classmethod
    def for_test(cls, config, item, vendor: str) -> "EngineValues":
        recording = config.getoption("record_statements")
        if recording is not None and vendor == "sqlite":
            return cls(record_to=steps_path(recording, item))
        covering = config.getoption("statement_cover")
        if covering is not None and vendor == "postgresql":
            path = steps_path(covering, item)
            if path.exists():
                return cls(replay=set(json.loads(path.read_text())))
        return cls()

    def takes(self, key: str) -> bool:
        return self.replay is None or key in self.replay

    @contextlib.contextmanager
    def step(self, key: str | None, marks: tuple[str, ...] = ()):
        """Notes the step `key` as reached when a statement inside the block carries one of
        `marks` (a step with no key or no marks is not recorded: the PostgreSQL run takes it
        always, or never)."""
        if self.record_to is None or key is None or not marks:
            yield
            return

        def note(execute, sql, params, many, context):
            if carries(params, many, marks):
                self.reached.add(key)
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(note):
            yield

    def save(self) -> None:
        if self.record_to is not None:
            self.record_to.parent.mkdir(parents=True, exist_ok=True)
            self.record_to.write_text(json.dumps(sorted(self.reached)))


if __name__ == "__main__":
    # make test: `python -m pledgeloop.testing_cover FOLDER` names the modules for the
    # PostgreSQL run to collect (none without a record: then it collects every one).
    print(" ".join(modules(load_record(Path(sys.argv[1])))))
