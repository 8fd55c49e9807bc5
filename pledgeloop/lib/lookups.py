"""`field__among=values`: the rows whose field is one of many values, as `__in` finds them, in
a statement whose text does not grow with the values.

`__in` writes a placeholder for each value (`id IN (%s, %s, …)`) and prepares each value on
its own. The outbox's batches (notify/services.py) ask for hundreds of rows by id at a time,
five times a batch: on PostgreSQL each such statement's text was new to psycopg, which turns a
text's %s into $1, $2, … with a regular expression and keeps the result only for short texts,
and to the server, which planned it again; with each value prepared by Django's lookups, the
lists were a fifth of the tasks worker's CPU (issue 17). On PostgreSQL `among` is
`field = ANY(%s)`, the values one array parameter: one text, prepared once, the same plan (an
index scan) for any number of values. Elsewhere (SQLite, which has no arrays) it is `__in`.

The values are taken as the field's database values: ids, texts (as `__in` with plain values
would send them). An empty list finds nothing, as `__in`'s does.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


class Among(Lookup):
    lookup_name = "among"

    def get_prep_lookup(self):
        field = self.lhs.output_field
        if field.is_relation:  # a link's values are those of the field it points to
            field = field.target_field
        return [field.get_prep_value(value) for value in dict.fromkeys(self.rhs)]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Of the field's own type: else psycopg types the array by its values (int2[] for
        # small ids, int8[] for large), and each type is a statement of its own.
        kind = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{kind}[])", (*lhs_params, self.rhs)


# On every field; a link's lookups are those of ForeignObject's own (Django's related fields).
Field.register_lookup(Among)
ForeignObject.register_lookup(Among)
