"""INSERT new model instances without the ORM's per-value work, for the hottest writes.

Filing an order writes a handful of rows in one transaction (intake, bench/intake.py) and the
demo some 30,000 generated rows; in both, QuerySet.bulk_create spent more CPU in the ORM (for
every value of every row: is it an expression, its placeholder, the parameter list flattened
again) than the database took to store them. `insert` writes exactly what `bulk_create`
would: each field's own `pre_save` (auto_now, defaults already on the instance) and database
value (`get_db_prep_save`), one `INSERT … RETURNING` per batch, and sets the rows' ids from it
as bulk_create does. The text of a small statement is kept per model, database and row count.

On PostgreSQL the statement is numbered ($1, $2, …) and sent through psycopg's RawCursor, its
values beside it. psycopg's other cursors take %s placeholders and turn the text into numbered
ones with a regular expression, keeping the result only for statements of at most 50 values.
Bound on the client (Django's default), that scan and the quoting of each value cost about
10 ms of CPU for a thousand rows (a quarter of the demo's build on PostgreSQL); with
settings.py's server-side binding every statement of over 50 values, intake's among them,
would still pay the scan. The cursor is still Django's wrapper: queries are counted and
logged as any other, as sent.

For plain rows: new instances (no id yet) of one concrete model with a database-numbered id,
no database defaults, no expressions as values. Other models, or a database that cannot
return ids from a bulk insert, go to bulk_create itself. Like bulk_create it sends no model
signals: callers say why none is needed.

`upsert` is bulk_create(update_conflicts=True) for the same plain rows, new or written
before: a row whose unique fields match one already stored updates that one instead, in the
same single statement (so it is atomic without a transaction of its own).

`insert_together` writes rows of several models in one statement where the database draws
ids of its sequences as a statement runs (PostgreSQL): intake's street-versioned rows, whose
triggers hold the street's version row locked until commit (orgs/versions.py). The
statement's first part is a read of the caller's (its source row: intake's read), which
draws the rows' ids (`ids_taken`) and finds what else they take (`Taken`: the resident), so
that the read costs no round trip of its own; a text of a row may carry a taken value (the
order's number in its notifications), written in by the statement.

`prepare` computes several models' new rows' values before the transaction that writes them
(`Prepared.insert`, group by group, the links to earlier groups' rows filled in as they get
their ids): where ids cannot be asked ahead (SQLite), intake's transaction holds the write
lock, and computing the values there was a fifth of its time.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import secrets
import weakref
from contextlib import AbstractContextManager, nullcontext

from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import AutoField, Model
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from django.db.models.fields.files import FileDescriptor, ImageFileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

MAX_PARAMS = 30000  # SQLite allows 32,766 parameters a statement, PostgreSQL 65,535
# Statements of up to this many rows are kept once built (intake's few rows, every request).
KEPT_ROWS = 16

_fields: dict[str, list] = {}
_statements: dict[tuple, str] = {}


def _numbered(rows: int, columns: int) -> str:
    """VALUES rows for PostgreSQL's own numbered parameters: ($1, $2), ($3, $4), …"""
    return ", ".join(
        "(" + ", ".join(f"${row * columns + column + 1}" for column in range(columns)) + ")"
        for row in range(rows)
    )


@functools.cache
def _plain(model: type[Model]) -> bool:
    """Whether `insert` writes this model's rows itself (else bulk_create does); known once
    per model, as its fields do not change while the program runs."""
    opts = model._meta
    return (
        isinstance(opts.pk, AutoField)
        and not opts.all_parents
        and not opts.order_with_respect_to
        and not any(f.has_db_default() for f in opts.concrete_fields)
    )


def _written_fields(model: type[Model]) -> list:
    found = _fields.get(model._meta.label)
    if found is None:
        found = _fields[model._meta.label] = [
            f
            for f in model._meta.concrete_fields
            if not f.generated and not isinstance(f, AutoField)
        ]
    return found


@functools.cache
def _numbered_ahead_fields(model: type[Model]) -> list:
    """The fields written for rows numbered ahead: the pk first, then `_written_fields`."""
    return [model._meta.pk, *_written_fields(model)]


def _statement(
    model: type[Model], connection, fields: list, rows: int, conflict: tuple = ()
) -> str:
    """The INSERT of `rows` rows, returning their ids; with `conflict` (unique fields, fields
    to update) an upsert that returns nothing. (`insert_together`'s statements are
    `_taking`'s.)"""
    key = (model._meta.label, connection.alias, rows, conflict, len(fields))
    sql = _statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        opts = model._meta
        columns = ", ".join(quote(f.column) for f in fields)
        if connection.vendor == "postgresql":
            values = _numbered(rows, len(fields))
        else:
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
        # Built from the model's table and column names only; the values go as parameters.
        sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {values}"  # noqa: S608
        if conflict:
            unique, updated = ([opts.get_field(f).column for f in names] for names in conflict)
            ops = connection.ops
            sql += " " + ops.on_conflict_suffix_sql(fields, OnConflict.UPDATE, updated, unique)
        else:
            sql += f" RETURNING {quote(opts.pk.column)}"
        if rows <= KEPT_ROWS:
            _statements[key] = sql
    return sql


class _Kept(CursorWrapper):
    """Django's wrapper around the connection's kept RawCursor (`_cursor`): leaving its
    `with` leaves that cursor open for the next statement."""

    def close(self) -> None:
        pass


class _LoggedAsSent(_Kept, CursorDebugWrapper):
    """Django's query log around a RawCursor, with each statement as sent ($1, $2, …) and its
    values beside it. Django's own log writes the values into the text, which, with
    server-side binding, it does by reading %s placeholders, and a RawCursor's have none."""

    def execute(self, sql, params=None):
        # Logged as text (insert_together sends its statement as bytes).
        with self.debug_sql(sql.decode() if type(sql) is bytes else sql, params):
            return CursorWrapper.execute(self, sql, params)


def _cursor(connection):
    """Django's cursor; on PostgreSQL Django's wrapper around the connection's RawCursor,
    kept from one statement to the next: psycopg keeps what it found out about a statement's
    values (their types' dumpers, its result's loaders) on the cursor while the cursor runs
    the same statement (the same query object) again, as intake's does request after
    request; a new cursor finds it all out again."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # psycopg is imported here, where PostgreSQL is in use (its backend has loaded it
    # already), not as every process starts: on SQLite it is a fifteenth of a second of CPU
    # for nothing. A third-party library, not one of our layers.
    from psycopg import RawCursor  # noqa: PLC0415

    connection.ensure_connection()
    connection.validate_thread_sharing()
    kept = _raw_cursors.get(connection)
    if kept is None or kept.connection is not connection.connection or kept.closed:
        kept = _raw_cursors[connection] = RawCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedAsSent(kept, connection)
    return _Kept(kept, connection)


# Each of Django's connections' kept RawCursor (`_cursor`): a connection is one thread's.
_raw_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# Fields whose database value is the Python value itself, for values of exactly these types
# (by the field's exact class, so that no subclass's conversion is skipped): get_db_prep_save
# would give back the same object. On PostgreSQL integers are wrapped in psycopg's types
# (Int4, Int8, …, which say the parameter's type), so only text and booleans are.
_TEXT = (models.CharField, models.TextField)
_INTEGERS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
)


def _as_they_are(field, vendor: str) -> tuple[type, ...]:
    kind = type(field)
    if kind is models.ForeignKey:
        kind = type(field.target_field)
    if kind in _TEXT:
        return (str,)
    if kind is models.BooleanField:
        return (bool,)
    if kind in _INTEGERS and vendor != "postgresql":
        return (int,)
    return ()


_plans: dict[tuple, tuple] = {}
_ABSENT = object()


def _pre_save_reads(field) -> bool:
    """Whether the field's pre_save only reads its attribute: Field's own, and a date's or a
    time's without auto_now or auto_now_add (an order has eight such times)."""
    pre_save = type(field).pre_save
    if pre_save is models.Field.pre_save:
        return True
    dated = pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save)
    return dated and not field.auto_now and not field.auto_now_add


# How a date and time field's aware value goes to the database, where it can skip Django's
# conversions (`_moment`).
UTC_TEXT, AS_IT_IS = 1, 2


def _moment(field, connection) -> int:
    """For a date and time field, what Django's conversions (get_db_prep_save) make of an
    aware value, where that is simple: on SQLite, keeping times as text in UTC, a value in
    UTC (timezone.now()'s) is its own text without the zone (the value made naive in the
    connection's zone, then str()); PostgreSQL's driver takes an aware value as it is. In a
    sixth of the time; an order writes a dozen. 0 for any other field or database."""
    if type(field) is not models.DateTimeField:
        return 0
    if connection.vendor == "sqlite" and connection.timezone is dt.UTC:
        return UTC_TEXT
    if connection.vendor == "postgresql":
        return AS_IT_IS
    return 0


def _wrapped_int(field, connection) -> type | None:
    """The type that Django's conversions wrap a field's int in, where that is all they do
    (PostgreSQL's Int2, Int4, Int8: psycopg sends the parameter's type with it), else None."""
    if isinstance(field, models.BooleanField):
        return None
    try:
        made = [field.get_db_prep_save(n, connection=connection) for n in (1, 2**40)]
    except (TypeError, ValueError):
        return None
    kind = type(made[0])
    if kind is int or not issubclass(kind, int) or type(made[1]) is not kind:
        return None
    return kind if made == [1, 2**40] else None


def _plan(model: type[Model], ahead: bool, connection) -> tuple:
    """How each written field's value is found (`ahead`: with the pk first, for rows
    numbered ahead), known once per model and database: (field, its attribute, whether its
    pre_save only reads that attribute, whether None goes as NULL, the types that go as
    they are, how an aware date and time goes (`_moment`), the type an int goes in
    (`_wrapped_int`))."""
    key = (model, ahead, connection.vendor, connection.timezone)
    plan = _plans.get(key)
    if plan is None:
        fields = _numbered_ahead_fields(model) if ahead else _written_fields(model)
        plan = _plans[key] = tuple(
            (
                field,
                field.attname,
                _pre_save_reads(field),
                # None as NULL, as nearly every field writes it (a third of an order's
                # values): those skip the field's conversions.
                field.get_db_prep_save(None, connection=connection) is None,
                _as_they_are(field, connection.vendor),
                _moment(field, connection),
                _wrapped_int(field, connection),
            )
            for field in fields
        )
    return plan


def _params(objs: list, connection, *, ahead: bool = False) -> list:
    """The rows' values as the database takes them, row after row: as Django's INSERT
    computes them (`pre_save` as adding, for rows numbered ahead too; for a stored row,
    `upsert` writes only the fields it names). A plain value of a plain field (`_plan`) is
    taken as it is: the conversions that would give it back unchanged were a fifth of
    intake's CPU in this function (issue 17)."""
    params = []
    plan = _plan(type(objs[0]), ahead, connection)
    for obj in objs:
        # Django's check of the row's related objects (saved, their ids copied) has nothing
        # to do for a row that holds none, as most hold only ids.
        if obj._state.fields_cache:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        # A field's value read from the instance's own values, where a new row keeps them:
        # through the field's descriptor (a Python call each) was a sixth of this function.
        values = obj.__dict__
        for field, attname, reads, null, plain, moment, wrapped in plan:
            if reads:
                value = values.get(attname, _ABSENT)
                if value is _ABSENT:
                    value = getattr(obj, attname)
            else:
                value = field.pre_save(obj, True)
            if value is None:
                if null:
                    params.append(None)
                    continue
            elif type(value) in plain:
                params.append(value)
                continue
            elif wrapped is not None and type(value) is int:
                params.append(wrapped(value))
                continue
            elif type(value) is Taken:  # written by the statement (`insert_together`)
                params.append(value)
                continue
            elif moment and type(value) is dt.datetime and value.tzinfo is not None:
                if moment == AS_IT_IS:
                    params.append(value)
                    continue
                if value.tzinfo is dt.UTC:
                    params.append(str(value.replace(tzinfo=None)))
                    continue
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"insert() takes plain values, not {value!r}")
            params.append(field.get_db_prep_save(value, connection=connection))
    return params


_makers: dict[type, tuple] = {}
# The descriptors of a field's attribute that, setting a value on an instance being made
# (nothing cached on it, no value there before), only put it in the instance's dict: where
# every field's is one of these, `new` puts the values there itself.
_STORING = frozenset(
    (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor, ImageFileDescriptor)
)


def _stores_only(model: type[Model]) -> bool:
    """Whether `model` is made by Django's own __init__ and every field's attribute on it is
    one of the `_STORING` descriptors."""
    return model.__init__ is Model.__init__ and all(
        type(inspect.getattr_static(model, field.attname, None)) in _STORING
        for field in model._meta.concrete_fields
    )


def new(model: type[Model], **values) -> Model:
    """model(**values) for a new row given by its fields' attributes (a link by its id,
    `street_id=`): the same instance, built as Django builds a row it reads (its values in
    the fields' order), in a third of the time of the keywords' way; a field not given takes
    its default, as there. For the rows written by the thousand a second (intake's consents
    and notifications, the outbox's deliveries).

    Where the model has no __init__ of its own, every field's attribute only stores what is
    set on it (`_STORING`) and nothing listens for the model's instances being made
    (pre_init, post_init), the values go into the new instance's dict directly:
    Model.__init__ setting them one by one, each through its field's descriptor, was 5 % of
    an order's request on PostgreSQL (issue 17)."""
    maker = _makers.get(model)
    if maker is None:
        fields = tuple((field.attname, *_default(field)) for field in model._meta.concrete_fields)
        maker = _makers[model] = (fields, tuple(f[0] for f in fields), _stores_only(model))
    fields, attnames, direct = maker
    args = [
        values.pop(attname) if attname in values else (make() if make else default)
        for attname, make, default in fields
    ]
    if values:
        raise TypeError(f"{model.__name__}() has no fields {', '.join(sorted(values))}")
    if direct and not (pre_init.has_listeners(model) or post_init.has_listeners(model)):
        obj = object.__new__(model)
        obj._state = ModelState()
        obj.__dict__.update(zip(attnames, args, strict=True))
        return obj
    return model(*args)


def links_kept(obj: Model, **rows) -> None:
    """Keep these linked rows on a row built by `new` (by their ids), as model(link=row)
    keeps them: reading the link asks nothing, and a link to a row not yet written takes
    its id once that row has one (`_params`). None is not kept (the link reads None)."""
    for name, row in rows.items():
        if row is not None:
            obj._meta.get_field(name).set_cached_value(obj, row)


def _default(field) -> tuple:
    """How `new` finds a field's default: (None, the value) where it is a value that cannot
    change (a field without a default: None or ""; a number, a text, a choice), else (a
    function giving it, None), called for each row (a time, a token, a new dict)."""
    value = field.default if field.has_default() else field.get_default()
    if type(value) in (type(None), str, int, bool) or isinstance(value, models.Choices):
        return None, value
    return field.get_default, None


def insert(objs, *, using: str | None = None, batch_size: int = 1000) -> list:
    """Model.objects.bulk_create(objs): the same rows, values and ids; returns the objs."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if any(type(obj) is not model or obj.pk is not None for obj in objs):
        raise ValueError("insert() takes new instances of one model")
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert or not _plain(model):
        return model.objects.using(alias).bulk_create(objs, batch_size=batch_size)
    fields = _written_fields(model)
    size = max(1, min(batch_size, MAX_PARAMS // max(1, len(fields))))
    with _cursor(connection) as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            _write(cursor, batch, _params(batch, connection), alias)
    return objs


def _write(cursor, rows: list, params: list, alias: str) -> None:
    """INSERT one model's new rows with their values (`_params`), and give them the ids the
    database numbered them with."""
    model = type(rows[0])
    connection = cursor.db
    cursor.execute(_statement(model, connection, _written_fields(model), len(rows)), params)
    # The ids in the order of the rows: a database-numbered id grows row by row (RETURNING
    # may list them in any order, SQLite says).
    ids = sorted(row[0] for row in cursor.fetchall())
    if len(ids) != len(rows):
        raise AssertionError(f"{model.__name__}: {len(ids)} ids for {len(rows)} rows")
    for obj, pk in zip(rows, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


def statement_atomic(using: str | None = None) -> AbstractContextManager:
    """What one statement's write (an `upsert`, `insert_together`) goes in: nothing, as the
    statement is atomic by itself (a transaction around it would add BEGIN and COMMIT, two
    round trips on PostgreSQL), but a savepoint inside a caller's transaction, so that a
    statement refused (an IntegrityError, intake_admit()'s refusal) does not spoil it."""
    if connections[using or DEFAULT_DB_ALIAS].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()


def upsert(
    objs,
    *,
    unique_fields: tuple[str, ...],
    update_fields: tuple[str, ...],
    using: str | None = None,
) -> None:
    """Model.objects.bulk_create(objs, update_conflicts=True, unique_fields=…,
    update_fields=…) for plain rows of one model, new or written before (their ids are not
    written: a stored row is found by its unique fields), in one statement. The ids of new
    rows are not read back: their pk stays as it was."""
    objs = list(objs)
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise ValueError("upsert() takes instances of one model")
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if not _plain(model):
        raise ValueError(f"upsert() takes plain rows, not {model.__name__}'s")
    fields = _written_fields(model)
    if len(objs) * len(fields) > MAX_PARAMS:
        raise ValueError(f"upsert() writes at most {MAX_PARAMS // len(fields)} rows at once")
    conflict = (tuple(unique_fields), tuple(update_fields))
    with _cursor(connection) as cursor:
        cursor.execute(
            _statement(model, connection, fields, len(objs), conflict),
            _params(objs, connection),
        )


# --- several models' rows in one statement ---------------------------------------------


class Taken:
    """A value that a row of `insert_together(…, source=…)` takes from its statement's
    source row, its column `column`, known only as the statement runs: a new row's id drawn
    there (`ids_taken`), a row a read there finds. Its `mark` (also its str()) stands for it
    in a text of a row (a notification's title or link naming a new order's number): the
    statement writes the value where the mark stands (a text cut to its field's length is
    cut with the mark whole in it: the mark is longer than the value). Once written, the
    rows hold the values themselves (`insert_together` puts them in)."""

    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        if not _COLUMN.fullmatch(column):
            raise ValueError(f"not a column name: {column!r}")
        self.column = column

    @property
    def mark(self) -> str:
        return f"{_MARK}{self.column}\u27e7"

    def __str__(self) -> str:
        return self.mark

    def __repr__(self) -> str:
        return f"Taken({self.column!r})"


_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")
# Where a taken value stands in a text: "⟦", a key random to the process (so that no text
# typed by anyone holds it), the column, "⟧".
_MARK = "\u27e6" + secrets.token_hex(4) + ":"
_MARKS = re.compile(re.escape(_MARK) + r"([a-z_][a-z0-9_]*)\u27e7")


def ids_taken(counts, connection) -> tuple[str, list[list[Taken]]] | None:
    """The SELECT columns that draw new ids for a statement's source row (`insert_together`),
    `count` of each plain model in `counts` ((model, count) pairs), and for each pair the
    Taken values that stand for them (`i<pair>_<n>`): the rows' ids, and links to them. None
    where the database cannot draw ids before it stores a row (SQLite). An id drawn for a
    statement that then writes nothing is a gap, as any."""
    if connection.vendor != "postgresql":
        return None
    # Each id its own nextval() of the table's sequence named in the text, which PostgreSQL
    # resolves once, as it prepares the statement: found by pg_get_serial_sequence() and
    # generate_series() on every call, they cost 40 µs of its CPU an order of intake's four
    # tables (issue 17).
    columns, taken = [], []
    for number, (model, count) in enumerate(counts):
        if not _plain(model):
            raise ValueError(f"ids_taken() takes plain models, not {model.__name__}")
        named = "'" + connection.ops.quote_name(sequence_name(model)) + "'"
        names = [f"i{number}_{n}" for n in range(int(count))]
        columns += [f"nextval({named}::regclass) AS {name}" for name in names]
        taken.append([Taken(name) for name in names])
    return ", ".join(columns), taken


def sequence_name(model: type[Model]) -> str:
    """The sequence that numbers a plain model's rows on PostgreSQL: the one PostgreSQL names
    for the table's identity column, `<table>_<column>_seq` (a table renamed since would keep
    its old one: lib/tests/test_inserts_together.py checks every model's against the
    database's own pg_get_serial_sequence())."""
    return f"{model._meta.db_table}_{model._meta.pk.column}_seq"


def _marks_in(value) -> tuple[str, ...]:
    """The columns of the taken values whose marks stand in this text, or in a JSON value's
    texts."""
    if type(value) is str:
        return tuple(_MARKS.findall(value)) if _MARK in value else ()
    if type(value) is dict:
        value = list(value.values())
    if type(value) is list:
        return tuple(column for item in value for column in _marks_in(item))
    return ()


def _taken_in(fields: list, values: list) -> tuple[tuple, list]:
    """Which of a group's `values` (`_params`'s, row after row) the statement takes from its
    source row: (position, column) for a Taken value, (position, (columns…)) for a text (or
    a JSON field's value) with marks; and the values sent as parameters, the others."""
    taken, sent = [], []
    width = len(fields)
    for position, value in enumerate(values):
        if type(value) is Taken:
            taken.append((position, value.column))
            continue
        sent.append(value)
        if type(value) is str:
            if _MARK in value:
                taken.append((position, _marks_in(value)))
        elif isinstance(fields[position % width], models.JSONField) and value is not None:
            marks = _marks_in(getattr(value, "obj", value))
            if marks:
                taken.append((position, marks))
    return tuple(taken), sent


def _taking(model, connection, fields: list, rows: int, taken: tuple) -> str:
    """The INSERT of a group's rows that take values from the statement's source row `src`
    (`_taken_in`), its values' placeholders %s: a Taken value as `(SELECT column FROM src)`,
    a text with marks with the values written in (`replace`, on PostgreSQL's text of a JSON
    value)."""
    quote = connection.ops.quote_name
    found = dict(taken)
    items = []
    for position in range(rows * len(fields)):
        field = fields[position % len(fields)]
        how = found.get(position)
        if type(how) is str:
            items.append(f"(SELECT {how} FROM src)")  # noqa: S608 (a column name)
            continue
        item = "%s"
        if how:
            item += "::text"
            for name in dict.fromkeys(how):
                # A column name and a mark (the process's key and the column's name).
                mark = Taken(name).mark
                item = f"replace({item}, '{mark}', (SELECT {name} FROM src)::text)"  # noqa: S608
            if isinstance(field, models.JSONField):
                item += "::jsonb"
        items.append(item)
    width = len(fields)
    values = ", ".join(
        "(" + ", ".join(items[row * width : (row + 1) * width]) + ")" for row in range(rows)
    )
    columns = ", ".join(quote(f.column) for f in fields)
    # Built from the model's table and column names; the values go as parameters.
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608


# insert_together's statements with a source, by their shape, and the names of the columns
# they select: intake's, a few a process (one for each form of its order), up to this many.
KEPT_STATEMENTS = 16
_together: dict[tuple, list] = {}


def _settled(value, found: dict):
    """A row's value with what the statement took in place of its Taken and its marks."""
    if type(value) is Taken:
        return found[value.column]
    if type(value) is str:
        if _MARK not in value:
            return value
        return _MARKS.sub(lambda match: str(found[match.group(1)]), value)
    if type(value) is dict:
        return {key: _settled(item, found) for key, item in value.items()}
    if type(value) is list:
        return [_settled(item, found) for item in value]
    return value


def insert_together(
    groups, *, using: str | None = None, then: tuple | None = None, source: tuple | None = None
) -> dict | None:
    """Write several models' new rows, a group of one model's rows at a time, in this order.

    With a `source` (PostgreSQL): one statement. `source` is a SELECT of one row and its
    values (%s placeholders), which the statement reads first (`src`); the rows' ids and any
    value they take from it are Taken ones (`ids_taken`), each group's rows an INSERT in the
    statement's WITH. Foreign keys between the groups are checked at the statement's end, or
    at commit, as Django makes them deferrable, and the rows' AFTER STATEMENT triggers all
    run at its end: one round trip. The statement selects the source row (returned, as a
    dict), and `then`, an SQL expression and its values (%s placeholders) over the source
    row's columns (`src.<column>`), as the write's condition: when it raises, the statement
    writes nothing (intake's limits, orders/throttle.py). The rows then hold the values they
    took, marks written over.

    Without a source, rows go group by group through `insert`, each group's ids known before
    the next is written. Values are what `insert` writes."""
    groups = [list(group) for group in groups if group]
    if source is None:
        if then is not None:
            raise ValueError("insert_together() writes under a condition only with a source")
        for group in groups:
            insert(group, using=using)
        return None
    if not groups:
        raise ValueError("insert_together() writes rows with a source: none given")
    alias = using or router.db_for_write(type(groups[0][0]))
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise ValueError("insert_together() writes rows with a source only on PostgreSQL")
    source_sql, source_values = source
    params = list(source_values)
    shapes: list = [source_sql]
    for group in groups:
        model = type(group[0])
        if any(type(obj) is not model or not obj._state.adding for obj in group):
            raise ValueError("insert_together() takes groups of new instances of one model")
        if any(type(obj.pk) is not Taken for obj in group):
            raise ValueError("insert_together() writes rows whose ids the statement takes")
        fields = _numbered_ahead_fields(model)
        taken, sent = _taken_in(fields, _params(group, connection, ahead=True))
        shapes.append((model, len(group), taken))
        params += sent
    if then is not None:
        expression, values = then
        shapes.append(expression)
        params += values
    key = (alias, *shapes)
    kept = _together.get(key)
    if kept is None:
        parts = [f"src AS MATERIALIZED ({source_sql})"]
        for number, (model, rows, taken) in enumerate(shapes[1 : len(groups) + 1]):
            text = _taking(model, connection, _numbered_ahead_fields(model), rows, taken)
            parts.append(f"w{number} AS ({text})")
        selected = "src.*" + (f", {then[0]}" if then is not None else "")
        text = f"WITH {', '.join(parts)} SELECT {selected} FROM src"  # noqa: S608 (no value)
        # PostgreSQL's own numbered parameters ($1, $2, …) for the %s placeholders.
        pieces = text.split("%s")
        if len(pieces) != len(params) + 1:
            raise ValueError(f"{len(pieces) - 1} placeholders for {len(params)} values")
        # As bytes, encoded once: psycopg takes them as they are, where a text would be
        # encoded again each time (and the bytes' hash, its key among the prepared
        # statements, is computed once too).
        kept = [
            (pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], 1))).encode()
        ]
    with _cursor(connection) as cursor:
        cursor.execute(kept[0], params)
        row = cursor.fetchone()
        if len(kept) == 1:  # the names of the columns selected, once a statement
            kept.append([column.name for column in cursor.description])
            if len(_together) < KEPT_STATEMENTS:
                _together[key] = kept
    found = dict(zip(kept[1], row, strict=True))
    # What the rows took, where they took it (`_taken_in`'s positions), written into the
    # instances' own values (a link's cached row stays: it holds the same id now).
    for group, (_model, _rows, taken) in zip(groups, shapes[1:], strict=False):
        attnames = [field.attname for field in _numbered_ahead_fields(type(group[0]))]
        for position, _how in taken:
            values = group[position // len(attnames)].__dict__
            attname = attnames[position % len(attnames)]
            values[attname] = _settled(values[attname], found)
        for obj in group:
            obj._state.adding = False
            obj._state.db = alias
    return found


# --- rows whose values are computed before the transaction --------------------------------


class Prepared:
    """New rows of several models, a group of one model's rows at a time, with their values
    computed already (`prepare`), for `insert` to write in the caller's transaction, group
    by group, each group's ids read back: on SQLite, whose transaction holds the database's
    one write lock, computing the values had been a fifth of intake's time in it (issue 17).
    A link to a row of an earlier group, which has no id until that group is written, is
    filled in then."""

    def __init__(self, groups: list[list], alias: str, params: list, links: list) -> None:
        self.groups, self.alias, self.params, self.links = groups, alias, params, links

    def insert(self) -> None:
        """Write the rows (in the caller's transaction), as `insert` would have."""
        connection = connections[self.alias]
        if self.params is None:  # not plain rows: bulk_create, group by group
            for group in self.groups:
                insert(group, using=self.alias)
            return
        with _cursor(connection) as cursor:
            for number, (group, params) in enumerate(zip(self.groups, self.params, strict=True)):
                for position, obj, field, linked in self.links[number]:
                    params[position] = linked.pk
                    setattr(obj, field.attname, linked.pk)
                    field.set_cached_value(obj, linked)  # which setting the id forgot
                _write(cursor, group, params, self.alias)


def prepare(groups, *, using: str | None = None) -> Prepared:
    """The values of these groups' new rows (as `insert` writes them), computed now, before
    the transaction that `Prepared.insert` writes them in. A row may link to a row of an
    earlier group (the order to its consent, the event to its order): while the values are
    computed each new row stands in with a number of its own below zero, which `insert`
    replaces with the row's id once it is written."""
    groups = [list(group) for group in groups if group]
    if not groups:
        return Prepared([], using or "default", [], [])
    alias = using or router.db_for_write(type(groups[0][0]))
    connection = connections[alias]
    models_ = [type(group[0]) for group in groups]
    for model, group in zip(models_, groups, strict=True):
        if any(type(obj) is not model or obj.pk is not None for obj in group):
            raise ValueError("prepare() takes groups of new instances of one model")
    plain = connection.features.can_return_rows_from_bulk_insert and all(map(_plain, models_))
    if not plain:
        return Prepared(groups, alias, None, [])
    rows = [(number, obj) for number, group in enumerate(groups) for obj in group]
    standing = {-(n + 1): row for n, row in enumerate(rows)}  # stand-in: (group, row)
    for stand_in, (_group, obj) in standing.items():
        obj.pk = stand_in
    params, links = [], []
    try:
        for number, (model, group) in enumerate(zip(models_, groups, strict=True)):
            fields = _written_fields(model)
            if len(group) * len(fields) > MAX_PARAMS:
                raise ValueError(f"prepare() writes at most {MAX_PARAMS // len(fields)} rows")
            values = _params(group, connection)
            found = []
            links.append(found)  # before the scan: a refused link is undone too
            for position, value in enumerate(values):
                field = fields[position % len(fields)]
                if field.is_relation and value in standing:
                    linked_group, linked = standing[value]
                    found.append((position, group[position // len(fields)], field, linked))
                    if linked_group >= number:
                        raise ValueError("prepare() links a row only to rows of earlier groups")
            params.append(values)
    finally:
        for _group, obj in rows:
            obj.pk = None
        for found in links:
            for _position, obj, field, linked in found:
                setattr(obj, field.attname, None)  # until the linked row has its id
                field.set_cached_value(obj, linked)
    return Prepared(groups, alias, params, links)
