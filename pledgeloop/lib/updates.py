"""UPDATE one row by its key without the ORM's query building, for the hottest writes.

The outbox's worker wrote two rows for every message it sent (the delivery's outcome, the
notification's new state); built by the ORM (`save(update_fields=…)`, `filter(…).update(…)`)
each cost about 0.3 ms of CPU, ten times what the database took to run it (bench/intake.py:
two messages an order). It now writes a notification's own row only to put it off or fail
it (the deliveries go by lib/inserts.upsert, the "done" ones together). `update_row`
writes what `save(update_fields=fields)` would: each field's own `pre_save` (auto_now) and
database value (`get_db_prep_save`), in a statement built once per model, database, fields
and condition. `where` adds conditions on other
columns (the worker's lease: only while it still holds the notification), so the row may
be left alone; the number of rows updated says so.

For plain values only (no expressions, no None in `where`); like QuerySet.update it sends no
model signals: callers say why none is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model

_statements: dict[tuple, tuple[str, list, list]] = {}


def _statement(model: type[Model], connection, fields: tuple, where: tuple):
    key = (model._meta.label, connection.alias, fields, where)
    found = _statements.get(key)
    if found is None:
        opts = model._meta
        quote = connection.ops.quote_name
        written = [opts.get_field(name) for name in fields]
        compared = [opts.pk, *(opts.get_field(name) for name in where)]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in written)
        conditions = " AND ".join(f"{quote(f.column)} = %s" for f in compared)
        # Built from the model's table and column names only; the values go as parameters.
        sql = f"UPDATE {quote(opts.db_table)} SET {sets} WHERE {conditions}"  # noqa: S608
        found = _statements[key] = (sql, written, compared)
    return found


def update_row(
    obj: Model, fields: Sequence[str], *, where: dict | None = None, using: str | None = None
) -> int:
    """obj.save(update_fields=fields), or with `where` only if those columns still hold those
    values; returns how many rows it updated (0 or 1)."""
    model = type(obj)
    where = where or {}
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    sql, written, compared = _statement(model, connection, tuple(fields), tuple(where))
    params = []
    for field in written:
        value = field.pre_save(obj, False)
        if hasattr(value, "resolve_expression"):
            raise ValueError(f"update_row() takes plain values, not {value!r}")
        params.append(field.get_db_prep_save(value, connection=connection))
    for field, value in zip(compared, [obj.pk, *where.values()], strict=True):
        if value is None:
            raise ValueError(f"update_row() cannot compare {field.name} with None")
        params.append(field.get_db_prep_value(value, connection=connection, prepared=False))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
