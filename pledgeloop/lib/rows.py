"""Read one row of a model by its key without compiling the query each time, for the reads
every signed-in request makes (its session, its user).

The ORM builds and compiles `Model.objects.get(pk=…)` anew on every call: half a
millisecond of CPU for a query the database answers in a twentieth of that, twice on every
signed-in request (issue 17: a third of a cached page's answer). `RowReader` writes the
statement once per database and converts the values as the ORM does (the backend's and
each field's own converters: SQLite's datetimes made aware, booleans, JSON), then builds the
instance with `Model.from_db`, as a queryset would. Extra conditions are plain SQL with
parameters, written by the caller from its model's column names.

A caller that reads more in the same statement (notify/viewer.py: the user with their roles;
notify/sessions.py: the session with that user) writes its own SQL around `columns()` and
builds each instance from its values of a row with `instance()`.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model


class RowReader:
    """`RowReader(Session, "session_key", extra="expire_date > %s")`, then
    `reader.get(key, *extra_params)`: the instance or None."""

    def __init__(self, model: type[Model], key: str, *, extra: str = ""):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.key = model._meta.get_field(key)
        self.extra = extra
        self._prepared: dict[str, tuple[str, list]] = {}

    def _converters(self, connection) -> list:
        table = self.model._meta.db_table
        converters = []
        for field in self.fields:
            column = field.get_col(table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append((column, found))
        return converters

    def columns(self, connection, alias: str = "") -> str:
        """The model's columns as a select list (prefixed with the table's alias, if any), in
        the order `instance()` reads them."""
        quote = connection.ops.quote_name
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + quote(field.column) for field in self.fields)

    def _prepare(self, connection) -> tuple[str, list]:
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"SELECT {self.columns(connection)} FROM {table} WHERE "  # noqa: S608
        sql += f"{connection.ops.quote_name(self.key.column)} = %s"
        if self.extra:
            sql += f" AND {self.extra}"
        return sql, self._converters(connection)

    def _prepared_for(self, connection) -> tuple[str, list]:
        prepared = self._prepared.get(connection.vendor)
        if prepared is None:
            prepared = self._prepared[connection.vendor] = self._prepare(connection)
        return prepared

    def instance(self, row, alias: str) -> Model:
        """The instance made of the first values of `row`, as a queryset of database `alias`
        would make it."""
        connection = connections[alias]
        _sql, converters = self._prepared_for(connection)
        values = []
        for value, (column, found) in zip(row, converters, strict=False):
            for converter in found:
                value = converter(value, column, connection)
            values.append(value)
        return self.model.from_db(alias, self.attnames, values)

    def get(self, key, *params) -> Model | None:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        sql, _converters = self._prepared_for(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.key.get_db_prep_value(key, connection), *params])
            row = cursor.fetchone()
        return None if row is None else self.instance(row, alias)
