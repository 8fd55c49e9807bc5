"""Writing the demo's generated rows: bulk_create's rows, with less work per value.

The demo writes some 30,000 generated rows. QuerySet.bulk_create spends most of its time in
the ORM rather than the database: for every value of every row it asks whether the value is
an expression, builds a placeholder and a parameter list and flattens them again. `insert`
writes the same rows with the same values (each field's own pre_save and get_db_prep_save,
as bulk_create calls them) in one INSERT … RETURNING per batch of rows, and sets the rows'
ids from it, as bulk_create does.

For plain rows only: new rows (no id yet) of one concrete model with an auto-incrementing
id, without database defaults or expressions as values (anything else goes to bulk_create).
"""

from django.db import connections, router
from django.db.models import AutoField

MAX_PARAMS = 30000  # SQLite allows 32,766 parameters a statement, PostgreSQL 65,535


def insert(objs: list, *, batch_size: int = 1000) -> list:
    """Model.objects.bulk_create(objs), with the same rows, values and ids."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    opts = model._meta
    connection = connections[router.db_for_write(model)]
    if (
        not connection.features.can_return_rows_from_bulk_insert
        or not _plain(model)
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        return model.objects.bulk_create(objs, batch_size=batch_size)
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, AutoField)]
    prepare = [(f.pre_save, f.get_db_prep_save) for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # Built from the model's table and column names only; the values go as parameters.
    head = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES "  # noqa: S608
    tail = f" RETURNING {quote(opts.pk.column)}"
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(batch_size, MAX_PARAMS // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = []
            for obj in batch:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                for pre_save, prep in prepare:
                    value = pre_save(obj, True)
                    if hasattr(value, "resolve_expression"):
                        raise ValueError(f"insert() takes plain values, not {value!r}")
                    params.append(prep(value, connection=connection))
            cursor.execute(head + ", ".join([row_sql] * len(batch)) + tail, params)
            # The ids in the order of the rows: an auto-incrementing id grows row by row
            # (RETURNING may list them in any order, SQLite says).
            ids = sorted(row[0] for row in cursor.fetchall())
            if len(ids) != len(batch):
                raise AssertionError(f"{model.__name__}: {len(ids)} ids for {len(batch)} rows")
            for obj, pk in zip(batch, ids, strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
    return objs


def _plain(model) -> bool:
    opts = model._meta
    return (
        isinstance(opts.pk, AutoField)
        and not opts.all_parents
        and not opts.order_with_respect_to
        and not any(f.has_db_default() for f in opts.concrete_fields)
    )
