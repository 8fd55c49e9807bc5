# ruff: noqa: S608  (SQL here is built from model table and column names only)
"""API tokens: made (shown once), revoked, found from the text a client sends, rate-limited.

Every write of a token goes through a function here (STYLE.md: `<entity>_<action>`,
keyword-only, atomic). Who may make or revoke which token is decided in access.py.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.orgs.models import Community, Street, StreetVersion
from pledgeloop.people.models import RoleGrant, User

from .models import APPLICATION_SCOPES, ApiToken, Scope

# Every token's text starts with this, so a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "pl_"
# The longest a token may live (an admin may choose shorter); a personal token lives a year.
MAX_DAYS = 366


class TokenError(Exception):
    """A refused token action, with a message for the admin."""


def token_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_token_text() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_create(
    *,
    by: User,
    street: Street,
    community: Community | None,
    application: str,
    scopes: list[str],
    days: int | None = 90,
    personal: bool = False,
    rate_limit: int | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; returns it and its text, which is shown this once and never stored."""
    application = (application or "").strip()[:80]
    if not application:
        raise TokenError(_("Name the application that will use this token."))
    allowed = [Scope.OWN_RECORDS] if personal else APPLICATION_SCOPES
    scopes = sorted(set(scopes))
    if not scopes:
        raise TokenError(_("Choose at least one thing the token may do."))
    if any(scope not in allowed for scope in scopes):
        raise TokenError(_("This token cannot be given that scope."))
    if community is not None and community.street_id != street.pk:
        raise TokenError(_("That community is not in this street."))
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(_("A token lives between 1 and %(n)s days.") % {"n": MAX_DAYS})
    now = timezone.now()
    text = new_token_text()
    token = ApiToken.objects.create(
        street=street,
        community=community,
        application=application,
        user=by,
        personal=personal,
        scopes=scopes,
        prefix=text[:10],
        digest=token_digest(text),
        created_at=now,
        expires_at=now + dt.timedelta(days=days or MAX_DAYS),
        rate_limit=rate_limit or settings.API_RATE_LIMIT_PER_MINUTE,
    )
    return token, text


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


class _Columns:
    """A model's columns in a hand-written SELECT under `alias`, and its instance made from
    their values as the ORM makes it (the backend's and the fields' converters applied)."""

    def __init__(self, model, alias: str):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self.names = [field.attname for field in self.fields]
        self.cols = [field.get_col(alias) for field in self.fields]
        self._converters = {}

    def instance(self, values, connection):
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = [
                connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                for col in self.cols
            ]
            self._converters[connection.vendor] = converters
        converted = []
        for value, col, convert in zip(values, self.cols, converters, strict=True):
            for converter in convert:
                value = converter(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


def _col(model, name: str) -> str:
    return f'"{model._meta.get_field(name).column}"'


# token_find's one query: the token with its maker, the maker's roles (one row each;
# access.token_still_held reads them) and the street's data version (answers.py keys the
# token's kept answers by it). Its SQL is written once: the ORM's compiling of the token's
# query and of the roles' query after it cost most of a request answered from the cache
# (issue 17). The token's street and community are not joined (the two endpoints that show
# them read them): PostgreSQL's planning of those two joins more took three times as long
# as the whole query without them.
_PARTS = [_Columns(ApiToken, "t"), _Columns(User, "u"), _Columns(RoleGrant, "g")]
_SLICES = []
for _part in _PARTS:
    _start = _SLICES[-1].stop if _SLICES else 0
    _SLICES.append(slice(_start, _start + len(_part.fields)))
_VERSION = _SLICES[-1].stop
_FIND_SQL = (
    "SELECT " + ", ".join(part.sql for part in _PARTS) + f", v.{_col(StreetVersion, 'n')} "
    f'FROM "{ApiToken._meta.db_table}" AS t '
    f'JOIN "{User._meta.db_table}" AS u ON u.{_col(User, "id")} = t.{_col(ApiToken, "user")} '
    f'LEFT JOIN "{RoleGrant._meta.db_table}" AS g '
    f"ON g.{_col(RoleGrant, 'user')} = t.{_col(ApiToken, 'user')} "
    f'LEFT JOIN "{StreetVersion._meta.db_table}" AS v '
    f"ON v.{_col(StreetVersion, 'street')} = t.{_col(ApiToken, 'street')} "
    f"WHERE t.{_col(ApiToken, 'digest')} = %s "
    f"ORDER BY t.{_col(ApiToken, 'created_at')} DESC, t.{_col(ApiToken, 'id')} DESC, "
    f"g.{_col(RoleGrant, 'id')}"
)


def token_find(text: str) -> ApiToken | None:
    """The live token with this text, or None (unknown, revoked or expired alike).

    One query: the token comes with its maker, the maker's roles (`user.grants`, as User
    reads them, their streets and communities left to be read if asked for) and
    `street_version`, its street's data version as the query found it."""
    if not text or not text.startswith(TOKEN_PREFIX) or len(text) > 100:
        return None
    connection = connections[router.db_for_read(ApiToken)]
    with connection.cursor() as cursor:
        cursor.execute(_FIND_SQL, [token_digest(text)])
        rows = cursor.fetchall()
    if not rows:
        return None
    tokens, users, grants = _PARTS
    first = rows[0]
    token = tokens.instance(first[_SLICES[0]], connection)
    if not token.is_live():
        return None
    token.user = users.instance(first[_SLICES[1]], connection)
    # The roles of the first token's rows (User.grants, a cached_property, primed).
    token.user.grants = [
        grants.instance(row[_SLICES[2]], connection)
        for row in rows
        if row[0] == token.pk and row[_SLICES[2].start] is not None
    ]
    token.street_version = first[_VERSION] or 0
    return token


# token_admit's usual UPDATE, written once: the ORM's compiling of it cost ten times the
# statement itself, on every request (issue 17).
_ADMIT_SQL = (
    f'UPDATE "{ApiToken._meta.db_table}" SET {_col(ApiToken, "rate_count")} = '
    f"{_col(ApiToken, 'rate_count')} + 1, {_col(ApiToken, 'last_used_at')} = %s "
    f"WHERE {_col(ApiToken, 'id')} = %s AND {_col(ApiToken, 'rate_window')} = %s "
    f"AND {_col(ApiToken, 'rate_count')} < {_col(ApiToken, 'rate_limit')}"
)


def _counted(token: ApiToken, now: dt.datetime, window: dt.datetime) -> bool:
    """Count the request in the token's minute `window` if that is its current minute and
    not yet full."""
    connection = connections[router.db_for_write(ApiToken)]
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_ADMIT_SQL, [adapt(now), token.pk, adapt(window)])
        return cursor.rowcount > 0


def token_admit(*, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Count one request in the token's current minute; False once over its limit.

    One conditional UPDATE: exact across processes, and nothing is read first."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    if _counted(token, now, window):
        return True
    # A new minute starts at 1.
    started = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(rate_window=window)
        .update(rate_window=window, rate_count=1, last_used_at=now)
    )
    if started:
        return True
    # Another request of this minute started it between the two updates above: this one is
    # counted in it like any other (refused only if that fills the minute's limit).
    return _counted(token, now, window)
