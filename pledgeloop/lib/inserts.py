"""INSERT new model instances without building the query each time, for the hottest writes.

Filing an order writes four rows in one transaction (intake, bench/intake.py), and Django's
query building (the INSERT compiler, per field and per row) cost more CPU than SQLite took
to store them. `insert` writes exactly what `bulk_create` would, each field's `pre_save`
(auto_now, defaults already on the instance) and database value (`get_db_prep_save`), with
the statement's text built once per model, database and row count. Like `bulk_create` it
sends no model signals: use it only where none is needed (the callers say why).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import AutoField, Model

_statements: dict[tuple[str, str, int], tuple[str, list]] = {}


def _statement(model: type[Model], alias: str, rows: int) -> tuple[str, list]:
    key = (model._meta.label, alias, rows)
    found = _statements.get(key)
    if found is None:
        connection = connections[alias]
        opts = model._meta
        fields = [f for f in opts.concrete_fields if not isinstance(f, AutoField)]
        if any(f.generated or f.has_db_default() for f in fields):
            raise ValueError(f"{opts.label}: insert() writes no generated or database defaults")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608 (names only)
            f"VALUES {', '.join([one] * rows)} RETURNING {quote(opts.pk.column)}"
        )
        found = _statements[key] = (sql, fields)
    return found


def insert(objs: list[Model], *, using: str = "default") -> None:
    """INSERT these new instances of one model in one statement and set their primary keys
    (numbered by the database: the instances' pk must be unset)."""
    if not objs:
        return
    model = type(objs[0])
    if not isinstance(model._meta.pk, AutoField):
        raise ValueError("insert() writes models whose primary key the database numbers")
    connection = connections[using]
    sql, fields = _statement(model, using, len(objs))
    params = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise ValueError("insert() takes new instances of one model")
        obj._prepare_related_fields_for_save(operation_name="insert")
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pks = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
