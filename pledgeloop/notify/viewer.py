# ruff: noqa: S608  (SQL here is built from model table and column names only)
"""What a signed-in page shows of its viewer beyond their streets' data, for caching the page
for them (orgs/pagecache.signed_in_page): their roles and scopes (the menu, what they may
see), their name (the top bar) and how many unread messages they have (the inbox badge).

    @login_required
    @signed_in_page(viewer)
    def needs_list(request): ...

The streets are those of their roles: the needs list and an order page show an admin's
streets' orders, the member's home their own street's offers and visits. Roles, versions and
the unread count come in one query with its SQL written once: on a cache hit it is the page's
only query besides the session and the user, and the ORM's compiling of three queries cost
more than the answer from the cache.
"""

from django.db import connections, router

from pledgeloop.orgs.models import StreetVersion
from pledgeloop.people.models import RoleGrant

from .models import Notification

_grant, _version, _note = RoleGrant._meta, StreetVersion._meta, Notification._meta
_SQL = (
    f'SELECT g."{_grant.get_field("role").column}", g."{_grant.get_field("street").column}", '
    f'g."{_grant.get_field("community").column}", v."{_version.get_field("n").column}", '
    f'(SELECT COUNT(*) FROM "{_note.db_table}" AS m '
    f'WHERE m."{_note.get_field("user").column}" = %s '
    f'AND m."{_note.get_field("read_at").column}" IS NULL) '
    f'FROM "{_grant.db_table}" AS g LEFT JOIN "{_version.db_table}" AS v '
    f'ON v."{_version.pk.column}" = g."{_grant.get_field("street").column}" '
    f'WHERE g."{_grant.get_field("user").column}" = %s'
)


def unread_count(request) -> int:
    """The viewer's unread messages, counted once a request (the cache key and the badge)."""
    if "_pledgeloop_unread" not in request.__dict__:
        request._pledgeloop_unread = Notification.objects.filter(
            user=request.user, read_at__isnull=True
        ).count()
    return request._pledgeloop_unread


def viewer(request, *args, **kwargs):
    """(versions of the viewer's streets, what else the page shows of them); None for a
    viewer who holds no role (their pages are refusals, never stored anyway)."""
    user = request.user
    with connections[router.db_for_read(RoleGrant)].cursor() as cursor:
        cursor.execute(_SQL, [user.pk, user.pk])
        rows = cursor.fetchall()
    if not rows:
        return None
    request._pledgeloop_unread = rows[0][4]
    versions = tuple(sorted({(street, n or 0) for _role, street, _c, n, _u in rows}))
    parts = (
        "roles:" + ",".join(sorted(f"{role}/{street}/{c}" for role, street, c, _n, _u in rows)),
        f"staff:{user.is_staff:d}{user.is_superuser:d}",
        f"name:{user.name}",
        f"unread:{rows[0][4]}",
    )
    return versions, parts
