# ruff: noqa: S608  (SQL here is built from model table and column names only)
"""The street's data version, kept by the database itself (StreetVersion, issue 17).

Every write to a table that the cached public pages show bumps the version of the street of
each row it touched: triggers, created by the migration operations below, so that no writer
can forget it (services, QuerySet.update, bulk_create, jobs, the demo and bench generators,
raw SQL). orgs/pagecache.py keys its cached pages by these versions (the public pages, and
the signed-in pages for their viewer), stats/figures_cache.py the dashboard's figures.

- PostgreSQL: statement-level AFTER INSERT / UPDATE / DELETE triggers with transition tables,
  so a statement bumps each street it touched once however many rows it wrote (a bulk load
  of a million rows: one bump); AFTER TRUNCATE bumps every street. They are ENABLE ALWAYS:
  they fire under `session_replication_role = replica` too, which the bench generator uses
  to skip foreign-key checks while loading.
- SQLite: row-level triggers (SQLite has no statement-level ones).

The bumped row stays locked until the writer's transaction commits: two transactions writing
to one street's shown tables take turns from their first such write to their commit.

A table added later must be given its triggers in its own migration
(`StreetVersionTriggers(["app.Model"])`), or be listed in orgs/tests/test_versions.py as not
shown on any cached page; that test fails otherwise.
"""

from django.db import connections, router
from django.db.migrations.operations.base import Operation

TABLE = "orgs_streetversion"
# The PostgreSQL trigger functions: by the rows' street_id, by the street's own id (the
# street table), and by the members of users whose shown fields changed (the user table).
FUNCTION = "orgs_street_version_bump"
FUNCTION_OWN = "orgs_street_version_bump_own"
FUNCTION_USER = "orgs_street_version_bump_user"
# A user's fields that the public pages show (names, pinyin for order and search, the phone
# of a member who made it public); a login's last_login update bumps nothing.
USER_FIELDS = ("name", "name_pinyin", "name_initials", "phone")

_UPSERT = f"INSERT INTO {TABLE} AS v (street_id, n) "
_ON_CONFLICT = " ON CONFLICT (street_id) DO UPDATE SET n = v.n + 1"


def _pg_function(name: str, column: str) -> str:
    # Streets in a fixed order: two statements bumping the same streets lock them in turn.
    touched = {
        "INSERT": f"SELECT DISTINCT {column}, 1 FROM sv_new WHERE {column} IS NOT NULL ORDER BY 1",
        "DELETE": f"SELECT DISTINCT {column}, 1 FROM sv_old WHERE {column} IS NOT NULL ORDER BY 1",
        "UPDATE": (
            f"SELECT s, 1 FROM (SELECT {column} AS s FROM sv_new UNION "
            f"SELECT {column} FROM sv_old) AS touched WHERE s IS NOT NULL ORDER BY 1"
        ),
    }
    return _pg_bump_function(name, touched)


def _pg_bump_function(name: str, touched: dict[str, str]) -> str:
    """A statement-level trigger function bumping the streets that `touched[TG_OP]` selects
    (as `street_id, 1` rows from the transition tables), every street on TRUNCATE."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_UPSERT}{touched["INSERT"]}{_ON_CONFLICT};
  ELSIF TG_OP = 'UPDATE' THEN
    {_UPSERT}{touched["UPDATE"]}{_ON_CONFLICT};
  ELSIF TG_OP = 'DELETE' THEN
    {_UPSERT}{touched["DELETE"]}{_ON_CONFLICT};
  ELSE
    UPDATE {TABLE} SET n = n + 1;
  END IF;
  RETURN NULL;
END $$"""


def _pg_user_function(user_table: str, member_table: str) -> str:
    changed = " OR ".join(f"n.{f} IS DISTINCT FROM o.{f}" for f in USER_FIELDS)
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION_USER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_UPSERT}SELECT DISTINCT m.street_id, 1 FROM sv_new AS n
    JOIN sv_old AS o ON o.id = n.id JOIN {member_table} AS m ON m.user_id = n.id
    WHERE {changed} ORDER BY 1{_ON_CONFLICT};
  RETURN NULL;
END $$"""


def trigger_names(table: str) -> list[str]:
    return [f"{table}_sv_{op}" for op in ("insert", "update", "delete", "truncate")]


def _pg_triggers(table: str, function: str, ops=("insert", "update", "delete", "truncate")):
    referencing = {
        "insert": "REFERENCING NEW TABLE AS sv_new FOR EACH STATEMENT",
        "update": "REFERENCING NEW TABLE AS sv_new OLD TABLE AS sv_old FOR EACH STATEMENT",
        "delete": "REFERENCING OLD TABLE AS sv_old FOR EACH STATEMENT",
        "truncate": "FOR EACH STATEMENT",
    }
    sql = []
    for op in ops:
        name = f"{table}_sv_{op}"
        sql.append(
            f'CREATE TRIGGER "{name}" AFTER {op.upper()} ON "{table}" {referencing[op]} '
            f"EXECUTE FUNCTION {function}()"
        )
        sql.append(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER "{name}"')
    return sql


def _sqlite_bump(value: str, condition: str) -> str:
    return (
        f"INSERT INTO {TABLE} (street_id, n) SELECT {value}, 1 WHERE {condition} "
        f"ON CONFLICT (street_id) DO UPDATE SET n = n + 1;"
    )


def _sqlite_triggers(table: str, column: str) -> list[str]:
    new, old = f'NEW."{column}"', f'OLD."{column}"'
    return [
        f'CREATE TRIGGER "{table}_sv_insert" AFTER INSERT ON "{table}" FOR EACH ROW BEGIN '
        f"{_sqlite_bump(new, f'{new} IS NOT NULL')} END",
        f'CREATE TRIGGER "{table}_sv_update" AFTER UPDATE ON "{table}" FOR EACH ROW BEGIN '
        f"{_sqlite_bump(new, f'{new} IS NOT NULL')} "
        f"{_sqlite_bump(old, f'{old} IS NOT NULL AND {old} IS NOT {new}')} END",
        f'CREATE TRIGGER "{table}_sv_delete" AFTER DELETE ON "{table}" FOR EACH ROW BEGIN '
        f"{_sqlite_bump(old, f'{old} IS NOT NULL')} END",
    ]


def _sqlite_user_trigger(user_table: str, member_table: str) -> list[str]:
    columns = ", ".join(USER_FIELDS)
    changed = " OR ".join(f"OLD.{f} IS NOT NEW.{f}" for f in USER_FIELDS)
    return [
        f'CREATE TRIGGER "{user_table}_sv_update" AFTER UPDATE OF {columns} ON "{user_table}" '
        f"FOR EACH ROW WHEN {changed} BEGIN "
        f"INSERT INTO {TABLE} (street_id, n) SELECT DISTINCT street_id, 1 FROM {member_table} "
        f"WHERE user_id = NEW.id ON CONFLICT (street_id) DO UPDATE SET n = n + 1; END"
    ]


def _drop(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"' for name in trigger_names(table)]
    return [f'DROP TRIGGER IF EXISTS "{name}"' for name in trigger_names(table)]


def _street_column(model) -> tuple[str, str]:
    """The table and the column that holds its street (the street table: its own id)."""
    if model._meta.label_lower == "orgs.street":
        return model._meta.db_table, model._meta.pk.column
    return model._meta.db_table, model._meta.get_field("street").column


class StreetVersionTriggers(Operation):
    """Make every write to these models' tables bump the version of the rows' streets.

    `models`: labels of models with a `street` field, or "orgs.Street" itself (by its id).
    """

    reversible = True

    def __init__(self, models: list[str]):
        self.models = models

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.models], {})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_pg_function(FUNCTION, "street_id"))
            schema_editor.execute(_pg_function(FUNCTION_OWN, "id"))
        for label in self.models:
            table, column = _street_column(to_state.apps.get_model(label))
            for sql in _drop(vendor, table):
                schema_editor.execute(sql)
            if vendor == "postgresql":
                function = FUNCTION if column == "street_id" else FUNCTION_OWN
                if column not in ("street_id", "id"):
                    raise ValueError(f"{label}: street column {column} has no trigger function")
                statements = _pg_triggers(table, function)
            elif vendor == "sqlite":
                statements = _sqlite_triggers(table, column)
            else:
                raise NotImplementedError(f"street version triggers on {vendor}")
            for sql in statements:
                schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        for label in self.models:
            table, _column = _street_column(from_state.apps.get_model(label))
            for sql in _drop(vendor, table):
                schema_editor.execute(sql)

    def describe(self):
        return f"Street version triggers on {', '.join(self.models)}"


class StreetVersionUserTrigger(Operation):
    """A change to a user's shown fields bumps the streets of their members."""

    reversible = True

    def __init__(self, user: str, member: str):
        self.user, self.member = user, member

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.user, self.member], {})

    def state_forwards(self, app_label, state):
        pass

    def _tables(self, state) -> tuple[str, str]:
        return (
            state.apps.get_model(self.user)._meta.db_table,
            state.apps.get_model(self.member)._meta.db_table,
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        user_table, member_table = self._tables(to_state)
        for sql in _drop(vendor, user_table):
            schema_editor.execute(sql)
        if vendor == "postgresql":
            schema_editor.execute(_pg_user_function(user_table, member_table))
            statements = _pg_triggers(user_table, FUNCTION_USER, ops=("update",))
        elif vendor == "sqlite":
            statements = _sqlite_user_trigger(user_table, member_table)
        else:
            raise NotImplementedError(f"street version triggers on {vendor}")
        for sql in statements:
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        user_table, _member = self._tables(from_state)
        for sql in _drop(schema_editor.connection.vendor, user_table):
            schema_editor.execute(sql)

    def describe(self):
        return f"Street version trigger on {self.user}'s shown fields"


class StreetVersionLinkTrigger(Operation):
    """A row added to or taken from a link table (a many-to-many's, with no street of its
    own) bumps the street of the row it links: `link` the model label ("people.Member_skills"),
    `field` its key to a model with a street ("member")."""

    reversible = True

    def __init__(self, link: str, field: str):
        self.link, self.field = link, field

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.link, self.field], {})

    def state_forwards(self, app_label, state):
        pass

    def _tables(self, state) -> tuple[str, str, str]:
        """The link table, its column to the linked row, and that row's table."""
        link = state.apps.get_model(self.link)
        key = link._meta.get_field(self.field)
        return link._meta.db_table, key.column, key.related_model._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        table, column, parent = self._tables(to_state)
        for sql in _drop(vendor, table):
            schema_editor.execute(sql)
        if vendor == "postgresql":
            function = f"{FUNCTION}_{table}"
            linked = (
                "SELECT DISTINCT p.street_id, 1 FROM {rows} AS r "
                f'JOIN "{parent}" AS p ON p.id = r."{column}" ORDER BY 1'
            )
            rows_of_both = f'(SELECT "{column}" FROM sv_new UNION SELECT "{column}" FROM sv_old)'
            touched = {
                "INSERT": linked.format(rows="sv_new"),
                "UPDATE": linked.format(rows=rows_of_both),
                "DELETE": linked.format(rows="sv_old"),
            }
            schema_editor.execute(_pg_bump_function(function, touched))
            statements = _pg_triggers(table, function)
        elif vendor == "sqlite":

            def bump(row: str) -> str:
                return (
                    f'INSERT INTO {TABLE} (street_id, n) SELECT street_id, 1 FROM "{parent}" '
                    f'WHERE id = {row}."{column}" ON CONFLICT (street_id) DO UPDATE SET n = n + 1;'
                )

            statements = [
                f'CREATE TRIGGER "{table}_sv_insert" AFTER INSERT ON "{table}" FOR EACH ROW '
                f"BEGIN {bump('NEW')} END",
                f'CREATE TRIGGER "{table}_sv_update" AFTER UPDATE ON "{table}" FOR EACH ROW '
                f"BEGIN {bump('NEW')} {bump('OLD')} END",
                f'CREATE TRIGGER "{table}_sv_delete" AFTER DELETE ON "{table}" FOR EACH ROW '
                f"BEGIN {bump('OLD')} END",
            ]
        else:
            raise NotImplementedError(f"street version triggers on {vendor}")
        for sql in statements:
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, _column, _parent = self._tables(from_state)
        for sql in _drop(schema_editor.connection.vendor, table):
            schema_editor.execute(sql)

    def describe(self):
        return f"Street version triggers on {self.link}, by its {self.field}"


def tables_with_triggers(connection) -> dict[str, set[str]]:
    """Each table's street version triggers, as the database has them (for the tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
                ["%\\_sv\\_%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE %s ESCAPE '\\'",
                ["%\\_sv\\_%"],
            )
        found: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            found.setdefault(table, set()).add(name)
        return found


def street_versions_by(model, field: str):
    """A lookup of (street id, data version) for the streets of the rows of `model` whose
    `field` equals a value, e.g. street_versions_by(Community, "slug")("xinggangwan").

    One indexed query with its SQL written once (the ORM's compiling of the same join cost a
    cache hit three times the query's own time, issue 17). A street never written since
    the versions began has no version row yet: version 0.
    """
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    _table, street = _street_column(model)
    sql = (
        f'SELECT DISTINCT r."{street}", v.n FROM "{table}" AS r '
        f'LEFT JOIN {TABLE} AS v ON v.street_id = r."{street}" WHERE r."{column}" = %s'
    )

    def lookup(value) -> tuple[tuple[int, int], ...]:
        with connections[router.db_for_read(model)].cursor() as cursor:
            cursor.execute(sql, [value])
            return tuple(sorted((street_id, n or 0) for street_id, n in cursor.fetchall()))

    return lookup
