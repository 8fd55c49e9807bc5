"""The SQLite backend: Django's, with the writers of one database file taking turns on a lock
file, and the write-ahead log checkpointed after a writer's turn instead of inside it.

SQLite lets one connection write at a time. A connection that finds the database locked
waits in SQLite's busy handler, which sleeps and tries again (after 1, 2, 5, 10, … ms), not
when the lock is freed: under a steady stream of short writes (intake: a write transaction
of 1.6–2.2 ms an order), a waiter slept through turns it could have had, and a quarter of
the machine's CPU stood idle (bench/intake.py, issue 17). Here a connection asks for its turn
before it writes: an exclusive `flock` on `<database>-queue`, which the kernel hands to the
next waiter the moment it is let go. (Polling for it instead, with pauses from 50 µs to 1 ms,
spent the CPU the waits had left idle.) It holds the turn from its `BEGIN IMMEDIATE` (every
transaction, settings.py) to its commit or rollback, and for a single write outside a
transaction (a statement that is not a read). The kernel releases a `flock` when its process
dies, so a crash never leaves the turn taken. A turn is waited for as long as the holder
takes: a holder waits for nothing but SQLite's own lock (held, outside the queue, only by
another program such as the sqlite3 shell), and that wait ends with SQLite's busy time-out.

SQLite checkpoints the log (copies its pages back into the database, with an fsync) inside
the commit that takes the log past 1,000 pages, which, here, is inside that writer's turn:
a few milliseconds every twentieth order that every other writer waited through. So the
connections turn SQLite's own checkpoints off (`wal_autocheckpoint=0`) and each runs a
PASSIVE checkpoint (which never waits for a writer) after every CHECKPOINT_EVERY-th turn of
its own, once its turn is over.

An in-memory database (one connection) takes no turns and keeps SQLite's checkpoints.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.base import Database

# A connection checkpoints after this many write turns of its own. An order writes about 48
# pages to the log, mostly leaves of indexes on random keys (tracking tokens, numbers), so a
# longer interval copies few pages fewer: 64 turns cost a fifth less checkpointing than 16
# (issue 17), and keep the log under some 3,000 pages (12 MB).
CHECKPOINT_EVERY = 64
# Statements that only read: any other statement outside a transaction takes a turn.
READS = ("SELECT", "PRAGMA", "EXPLAIN")


class WriterQueue:
    """One connection's place in the turns at its database's lock file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.held = False
        self.turns = 0

    def take(self) -> bool:
        """Wait for the turn; False when this connection has it already."""
        if self.held:
            return False
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # the kernel wakes the next waiter at once
        self.held = True
        return True

    def give_back(self) -> bool:
        """Leave the turn; True when this connection should now checkpoint the log."""
        if not self.held:
            return False
        self.held = False
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.turns += 1
        return self.turns % CHECKPOINT_EVERY == 0

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # also releases a turn still held
        self.fd, self.held = None, False


class QueuedCursor(base.SQLiteCursorWrapper):
    """Django's cursor; a write outside a transaction takes its turn around the statement."""

    wrapper: "DatabaseWrapper"

    def execute(self, query, params=None):
        if _reads(query):
            return super().execute(query, params)
        return self._written(super().execute, query, params)

    def convert_query(self, query, *, param_names=None):
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _qmark.get(query)
        if converted is None:
            if len(_qmark) >= QMARK_KEPT:
                _qmark.clear()
            converted = _qmark[query] = super().convert_query(query)
        return converted

    def executemany(self, query, param_list):
        return self._written(super().executemany, query, param_list)

    def _written(self, run, *args):
        """Run a write: outside a transaction, in a turn of its own."""
        queue = self.wrapper.queue
        if queue is None or self.connection.in_transaction or not queue.take():
            return run(*args)
        try:
            return run(*args)
        finally:
            self.wrapper.turn_over(checkpoint=False)


# Statements already turned from Django's %s placeholders into SQLite's ?: the app sends the
# same few hundred statements again and again, and the regular expression that turns them
# was 3 % of an order's CPU (issue 17). Emptied when full, so it holds the statements in use.
_qmark: dict[str, str] = {}
QMARK_KEPT = 2048


def _reads(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(READS)


class DatabaseWrapper(base.DatabaseWrapper):
    queue: WriterQueue | None = None
    checkpoint_due = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.queue is not None:  # the tests' set-up connects again under another name
            self.queue.close()
            self.queue = None
        if not self.is_in_memory_db():
            path = f"{self.settings_dict['NAME']}-queue"
            self.queue = WriterQueue(path)
            connection.execute("PRAGMA wal_autocheckpoint=0")
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.wrapper = self
        return cursor

    def turn_over(self, *, checkpoint: bool = True) -> None:
        """Leave the turn; then, when it is this connection's time to, checkpoint the log.
        Not after a single write (`checkpoint=False`), whose statement may still have rows
        to give (INSERT … RETURNING): that waits for the end of a transaction."""
        if self.queue is None:
            return
        if self.queue.give_back():
            self.checkpoint_due = True
        if checkpoint and self.checkpoint_due and self.connection is not None:
            try:
                self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Database.OperationalError as error:
                # A statement of this connection still reading: next time.
                if "locked" not in str(error):
                    raise
            else:
                self.checkpoint_due = False

    def _start_transaction_under_autocommit(self):
        if self.queue is not None:
            self.queue.take()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.turn_over()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self.turn_over()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.turn_over()

    def _close(self):
        try:
            super()._close()
        finally:
            if self.queue is not None:
                self.queue.close()
                self.queue = None
