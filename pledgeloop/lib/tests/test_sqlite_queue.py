"""The SQLite backend's writer queue (lib/sqlite/base.py): writers take turns on the database's
lock file, readers do not, a dead holder frees its turn, and the log is checkpointed after a
turn, never inside one; and a statement's journal stays in memory (settings' temp_store)."""

import contextlib
import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from pledgeloop.lib.sqlite.base import CHECKPOINT_EVERY, DatabaseWrapper
from pledgeloop.orders.models import IntakeAttempt
from pledgeloop.orgs.models import Street

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer queue"),
    pytest.mark.django_db(transaction=True),
]


def queue_path() -> str:
    connection.ensure_connection()
    return connection.queue.path


class HeldTurn:
    """The turn taken from outside the app, as another process's writer takes it."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT)

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases the lock if it was had
    return True


def in_thread(work) -> tuple[threading.Thread, threading.Event]:
    """Run `work` on a connection of its own; the event is set once it is done."""
    done = threading.Event()

    def run():
        try:
            work()
            done.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


@pytest.fixture
def street():
    return Street.objects.create(name="江海街道", slug="jianghai")


def test_a_transaction_holds_the_turn_from_begin_to_commit_or_rollback(street):
    path = queue_path()
    assert free(path)
    with transaction.atomic():
        assert not free(path)
        Street.objects.filter(pk=street.pk).update(name="江海")
    assert free(path)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Street.objects.filter(pk=street.pk).update(name="江")
        assert not free(path)
        1 / 0  # noqa: B018
    assert free(path)
    street.refresh_from_db()
    assert street.name == "江海"


def test_writers_wait_for_the_turn_and_readers_do_not(street):
    path = queue_path()
    with HeldTurn(path):
        read, read_done = in_thread(lambda: list(Street.objects.all()))
        read.join(timeout=30)
        assert read_done.is_set()
        # A single write outside a transaction, and a transaction, both wait.
        single, single_done = in_thread(
            lambda: Street.objects.filter(pk=street.pk).update(name="一")
        )

        def in_transaction():
            with transaction.atomic():
                Street.objects.filter(pk=street.pk).update(name="二")

        atomic, atomic_done = in_thread(in_transaction)
        single.join(timeout=0.5)
        atomic.join(timeout=0.5)
        assert not single_done.is_set() and not atomic_done.is_set()
        street.refresh_from_db()
        assert street.name == "江海街道"
    single.join(timeout=30)
    atomic.join(timeout=30)
    assert single_done.is_set() and atomic_done.is_set()
    street.refresh_from_db()
    assert street.name in ("一", "二")
    assert free(path)


def test_a_holder_that_dies_frees_the_turn(street):
    path = queue_path()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, django\n"
            "from django.conf import settings\n"
            "settings.configure(DATABASES={'default': {'ENGINE': 'pledgeloop.lib.sqlite',\n"
            "    'NAME': sys.argv[1], 'OPTIONS': {'transaction_mode': 'IMMEDIATE'}}})\n"
            "django.setup()\n"
            "from django.db import connection, transaction\n"
            "with transaction.atomic():\n"
            "    connection.cursor().execute('UPDATE orgs_street SET name = %s', ['死'])\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(120)\n",
            str(connection.settings_dict["NAME"]),
        ],
        cwd=Path(settings.BASE_DIR),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not free(path)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert free(path)
    Street.objects.filter(pk=street.pk).update(name="活")  # neither lock is left behind
    street.refresh_from_db()
    assert street.name == "活"


def test_the_log_is_checkpointed_after_a_turn_not_inside_it(street):
    connection.ensure_connection()
    raw = connection.connection
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    seen = []
    raw.set_trace_callback(lambda sql: seen.append((sql, connection.queue.held)))
    try:
        for n in range(CHECKPOINT_EVERY * 2):
            with transaction.atomic():
                Street.objects.filter(pk=street.pk).update(name=f"第{n}")
    finally:
        raw.set_trace_callback(None)
    checkpoints = [held for sql, held in seen if "wal_checkpoint" in sql]
    assert checkpoints == [False, False]
    # Each right after a commit, and sixteen commits apart.
    at = [n for n, (sql, _held) in enumerate(seen) if "wal_checkpoint" in sql]
    assert all(seen[n - 1][0] == "COMMIT" for n in at)
    between = [sql for sql, _held in seen[at[0] : at[1]]]
    assert between.count("COMMIT") == CHECKPOINT_EVERY


def temporary_files() -> list[str]:
    """SQLite's temporary files this process holds open (each unlinked once created)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            target = os.readlink(fd)
            if "etilqs_" in target:
                found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc")
def test_a_statement_journal_stays_in_memory_and_makes_no_file(street):
    # A statement inside a transaction journals the pages it changes, to undo itself alone.
    # Past 64 KiB SQLite's default spills that journal to a file in /var/tmp, made and
    # unlinked anew for each such statement: every order's INSERT did (issue 17).
    IntakeAttempt.objects.bulk_create(
        IntakeAttempt(ip=f"10.0.{n // 250}.{n % 250}", phone=f"139{n:08d}") for n in range(3000)
    )
    with transaction.atomic():
        Street.objects.filter(pk=street.pk).update(name="活")
        changed = IntakeAttempt.objects.update(phone="13900000000")  # some 80 pages
        assert temporary_files() == []
    assert changed == 3000
    assert IntakeAttempt.objects.filter(phone="13900000000").count() == 3000


def test_a_new_database_has_pages_of_1_kib(street, tmp_path):
    # A commit writes each page it changed to the log, whole: an order changes a leaf of each
    # index it touches, so 4 KiB pages wrote some 190 KiB an order inside the write lock.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        assert cursor.fetchone()[0] == 1024  # the test database, made by these settings
    assert page_size(tmp_path / "new.sqlite3") == 1024
    # A database made before keeps its own page size (WAL mode fixes it): nothing rewritten.
    made_before = tmp_path / "made_before.sqlite3"
    subprocess.run([sys.executable, "-c", _MADE_BEFORE, str(made_before)], check=True, timeout=60)
    assert page_size(made_before) == 4096


def page_size(path: Path) -> int:
    """The page size of the database at `path`, opened (made, where there is none) through
    the app's backend and settings, and a table written."""
    database = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)}, alias="other")
    try:
        with database.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS kept (n INTEGER)")
            cursor.execute("INSERT INTO kept VALUES (1)")
            cursor.execute("PRAGMA page_size")
            return cursor.fetchone()[0]
    finally:
        database.close()


_MADE_BEFORE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA page_size=4096")
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE kept (n INTEGER)")
db.commit()
db.close()
"""
