"""Indexes shaped for the rows that are written most.

A foreign key that most new rows leave empty (an order's assigned member, an event's
category change, a resident's text's user) still put an entry for its NULL into a plain
index with every row: one more page an order wrote, on SQLite one more page copied to its
log (issue 17). Every query that follows such a link asks for a value (`= x`, `IN (…)`,
which is how Django follows it and how its deletions find the rows), and both databases
read an index limited to the rows that have a value for those queries.
"""

from django.db import models


def index_where_set(field: str, name: str) -> models.Index:
    """The index of `field` over the rows where it is set (not NULL): for a foreign key
    (with `db_index=False`) that a new row usually leaves empty."""
    return models.Index(
        fields=[field], condition=models.Q(**{f"{field}__isnull": False}), name=name
    )
