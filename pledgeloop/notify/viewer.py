# ruff: noqa: S608  (SQL here is built from model table and column names only)
"""What a signed-in page shows of its viewer beyond their streets' data, for caching the page
for them (orgs/pagecache.signed_in_page): their roles and scopes (the menu, what they may
see), their name (the top bar) and how many unread messages they have (the inbox badge).

    @login_required
    @signed_in_page(viewer)
    def needs_list(request): ...

The streets are those of their roles: the needs list and an order page show an admin's
streets' orders, the member's home their own street's offers and visits.

`ViewerBackend` (settings.AUTHENTICATION_BACKENDS) has the signed-in user of each request
together with their roles (User.grants, with each role's street and community), their
streets' versions and their unread count (the inbox badge), read in the same statement as
the session (notify/sessions.py, settings.SESSION_ENGINE): on a cache hit the
page then runs one query (the ORM's compiling of these reads cost more than the answer from
the cache, and each statement is a round trip, half a cached answer's time on PostgreSQL).
Without a user handed over by the session store it reads them in one statement of its own.
`viewer` reads the same with a statement of its own for a user loaded otherwise (a user made
in the request, or given to a view by a test).
"""

from contextvars import ContextVar

from django.db import connections, router

from pledgeloop.lib.rows import RowReader
from pledgeloop.orgs.models import Community, Street, StreetVersion
from pledgeloop.people.auth import PhoneBackend
from pledgeloop.people.models import RoleGrant, User

from .models import Notification

_grant, _version, _note = RoleGrant._meta, StreetVersion._meta, Notification._meta
_user = User._meta


# The viewer's roles as User.grants holds them (RoleGrant with its street and community, as
# select_related reads them), read in the same rows: the menu, the access checks and the views
# ask for them on every signed-in page, which cost a query of their own.
_GRANTS = RowReader(RoleGrant, "id")
_STREETS = RowReader(Street, "id")
_COMMUNITIES = RowReader(Community, "id")
_KEY = 5  # the viewer's own columns come first: role, street, community, version, unread
_UNREAD = 4  # the unread count's place among them
_GRANT_AT = slice(_KEY, _KEY + len(_GRANTS.fields))
_STREET_AT = slice(_GRANT_AT.stop, _GRANT_AT.stop + len(_STREETS.fields))
_COMMUNITY_AT = slice(_STREET_AT.stop, _STREET_AT.stop + len(_COMMUNITIES.fields))


def _key_columns(user: str) -> str:
    """What keys a viewer's cached page: each role with its scope and its street's version,
    and the unread count of the user whose id is the SQL `user` (g: their grants, v: the
    versions)."""
    return (
        f'g."{_grant.get_field("role").column}", g."{_grant.get_field("street").column}", '
        f'g."{_grant.get_field("community").column}", v."{_version.get_field("n").column}", '
        f'(SELECT COUNT(*) FROM "{_note.db_table}" AS m '
        f'WHERE m."{_note.get_field("user").column}" = {user} '
        f'AND m."{_note.get_field("read_at").column}" IS NULL)'
    )


_VERSIONS = (
    f'LEFT JOIN "{_version.db_table}" AS v '
    f'ON v."{_version.pk.column}" = g."{_grant.get_field("street").column}"'
)
# `viewer`'s own statement, for a user read without their viewer's rows: the keys alone.
_SQL = (
    f'SELECT {_key_columns("%s")} FROM "{_grant.db_table}" AS g {_VERSIONS} '
    f'WHERE g."{_grant.get_field("user").column}" = %s'
)


def _viewer_columns(user: str, connection) -> str:
    """The keys, then each role's whole row, its street's and its community's (gs and gc:
    the scopes), for User.grants."""
    return (
        f"{_key_columns(user)}, {_GRANTS.columns(connection, 'g')}, "
        f"{_STREETS.columns(connection, 'gs')}, {_COMMUNITIES.columns(connection, 'gc')}"
    )


_JOINS = (
    f"{_VERSIONS} "
    f'LEFT JOIN "{Street._meta.db_table}" AS gs '
    f'ON gs."{Street._meta.pk.column}" = g."{_grant.get_field("street").column}" '
    f'LEFT JOIN "{Community._meta.db_table}" AS gc '
    f'ON gc."{Community._meta.pk.column}" = g."{_grant.get_field("community").column}"'
)


def grants_from_rows(rows: list, alias: str) -> list[RoleGrant]:
    """User.grants from the viewer's rows (those of a role), in the order of their ids."""
    grants = []
    for row in rows:
        grant = _GRANTS.instance(row[_GRANT_AT], alias)
        RoleGrant.street.field.set_cached_value(grant, _STREETS.instance(row[_STREET_AT], alias))
        community = (
            None if grant.community_id is None else _COMMUNITIES.instance(row[_COMMUNITY_AT], alias)
        )
        RoleGrant.community.field.set_cached_value(grant, community)
        grants.append(grant)
    return sorted(grants, key=lambda grant: grant.pk)


def unread_count(request) -> int:
    """The viewer's unread messages, counted once a request (the cache key and the badge):
    as read with the user (ViewerBackend), or by a query of its own."""
    if "_pledgeloop_unread" not in request.__dict__:
        counted = getattr(request.user, "_viewer_unread", None)
        request._pledgeloop_unread = (
            counted
            if counted is not None
            else Notification.objects.filter(user=request.user, read_at__isnull=True).count()
        )
    return request._pledgeloop_unread


def viewer(request, *args, **kwargs):
    """(versions of the viewer's streets, what else the page shows of them); None for a
    viewer who holds no role (their pages are refusals, never stored anyway)."""
    user = request.user
    rows = getattr(user, "_viewer_rows", None)  # read with the user (ViewerBackend)
    if rows is None:
        with connections[router.db_for_read(RoleGrant)].cursor() as cursor:
            cursor.execute(_SQL, [user.pk, user.pk])
            rows = cursor.fetchall()
    if not rows:
        return None
    request._pledgeloop_unread = unread = rows[0][_UNREAD]
    versions = tuple(sorted({(street, n or 0) for _role, street, _c, n, _u in rows}))
    parts = (
        "roles:" + ",".join(sorted(f"{role}/{street}/{c}" for role, street, c, _n, _u in rows)),
        f"staff:{user.is_staff:d}{user.is_superuser:d}",
        f"name:{user.name}",
        f"unread:{unread}",
    )
    return versions, parts


# The user read with this request's session (notify/sessions.py), waiting for ViewerBackend
# .get_user: set by each session load (None unless the session's data signs in the user its
# row names), taken once. A context variable: each thread, and each asyncio task, has its own.
_session_user: ContextVar[User | None] = ContextVar("pledgeloop_session_user", default=None)


def session_user_hand_over(user: User | None) -> None:
    """The session store's user for this request's sign-in check (None: nothing handed)."""
    _session_user.set(user)


def user_select(connection) -> tuple[str, str]:
    """The select list of the user `u` with their viewer's columns, and the joins that bring
    the columns (one row per role; a user without one: a single row of NULLs there)."""
    pk = f'u."{_user.pk.column}"'
    columns = f"{ViewerBackend.users.columns(connection, 'u')}, {_viewer_columns(pk, connection)}"
    joins = (
        f'LEFT JOIN "{_grant.db_table}" AS g '
        f'ON g."{_grant.get_field("user").column}" = {pk} {_JOINS}'
    )
    return columns, joins


class ViewerBackend(PhoneBackend):
    """PhoneBackend (sign-in by number, the lockout) whose user of each request comes with
    what `viewer` reads of them, in the same statement: the session's own, when the session
    store handed its user over (notify/sessions.py), else one of its own. Django's
    `auth.get_user` checks the user it gets from here as any other (the backend named in the
    session, the session's password hash; PhoneBackend.get_user refuses an inactive one)."""

    _sql: dict[str, str] = {}

    @classmethod
    def _statement(cls, connection) -> str:
        sql = cls._sql.get(connection.vendor)
        if sql is None:
            columns, joins = user_select(connection)
            sql = cls._sql[connection.vendor] = (
                f'SELECT {columns} FROM "{_user.db_table}" AS u {joins} '
                f'WHERE u."{_user.pk.column}" = %s'
            )
        return sql

    @classmethod
    def user_from_rows(cls, rows: list, alias: str) -> User:
        """The user, with their viewer's rows, their roles (User.grants) and their unread
        count, from rows that begin with `user_select`'s."""
        user = cls.users.instance(rows[0], alias)
        width = len(cls.users.fields)
        held = [row[width:] for row in rows if row[width] is not None]
        user._viewer_rows = [row[:_KEY] for row in held]
        user._viewer_unread = rows[0][width + _UNREAD]
        user.__dict__["grants"] = grants_from_rows(held, alias)
        return user

    def user_by_id(self, pk: int) -> User | None:
        handed = _session_user.get()
        if handed is not None:
            _session_user.set(None)
            if handed.pk == pk:
                return handed
        alias = router.db_for_read(User)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection), [pk])
            rows = cursor.fetchall()
        return self.user_from_rows(rows, alias) if rows else None
