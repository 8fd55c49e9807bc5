# ruff: noqa: S608  (SQL here is built from model table and column names only)
"""The session store of settings.SESSION_ENGINE: a session read together with its user and
what the signed-in pages' cache keys them by, in one statement (issue 17).

A cached signed-in page (orgs/pagecache.signed_in_page) ran two queries, the session and
its user with their viewer's columns (notify/viewer.py); on PostgreSQL about half of the
answer's time was waiting on those two round trips. The session row names its user
(people.Session.user_id, written with the data), so its read LEFT JOINs the user, their
roles, their streets' versions and their unread count, and hands the user to
ViewerBackend.get_user for this request only, when the session's signed data signs in the
very user the row names. Django's `auth.get_user` then checks that user as any other (the
backend named in the session, the password hash: a mismatch flushes the session); the
backend refuses an inactive one. A session whose data names someone else (a row written
otherwise, a column out of step) hands nobody over: the user is read by their own query.
"""

from django.db import connections, router
from django.utils import timezone

from pledgeloop.people.models import User
from pledgeloop.people.sessions import SessionStore as RowSessionStore
from pledgeloop.people.sessions import session_user_id

from .viewer import ViewerBackend, session_user_hand_over, user_select


class SessionStore(RowSessionStore):
    _sql: dict[str, str] = {}

    def __init__(self, session_key=None):
        # A store is made for every request (SessionMiddleware): nothing read for the one
        # before on this thread is handed to this one, even if that one never asked for it.
        session_user_hand_over(None)
        super().__init__(session_key)

    @classmethod
    def _statement(cls, connection) -> str:
        sql = cls._sql.get(connection.vendor)
        if sql is None:
            meta, quote = cls.get_model_class()._meta, connection.ops.quote_name
            session = cls._reader()
            user_columns, joins = user_select(connection)

            def column(name: str) -> str:
                return f"s.{quote(meta.get_field(name).column)}"

            sql = cls._sql[connection.vendor] = (
                f"SELECT {session.columns(connection, 's')}, {user_columns} "
                f"FROM {quote(meta.db_table)} AS s "
                f'LEFT JOIN "{User._meta.db_table}" AS u '
                f'ON u."{User._meta.pk.column}" = {column("user_id")} '
                f"{joins} "
                f"WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
            )
        return sql

    def _session_and_user(self):
        """(the unexpired session row of this key, the user its row names with their
        viewer's rows, or None); (None, None) when there is no such session, whose key is
        then forgotten, as Django's own store does."""
        if not self.session_key:
            self._session_key = None
            return None, None
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection), [self.session_key, now])
            rows = cursor.fetchall()
        if not rows:
            self._session_key = None
            return None, None
        reader = self._reader()
        session = reader.instance(rows[0], alias)
        width = len(reader.fields)
        if rows[0][width] is None:  # nobody signed in, or their row is gone
            return session, None
        return session, ViewerBackend.user_from_rows([row[width:] for row in rows], alias)

    def _get_session_from_db(self):
        return self._session_and_user()[0]

    def load(self):
        session_user_hand_over(None)
        session, user = self._session_and_user()
        if session is None:
            return {}
        data = self.decode(session.session_data)
        if user is not None and session_user_id(data) == session.user_id == user.pk:
            session_user_hand_over(user)
        return data
