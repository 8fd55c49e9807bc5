"""Database sessions in our own table (people.Session), read with a statement written once.

Every signed-in request reads its session first; the ORM compiled that one-row query anew
each time (lib/rows.py says what that cost). The store is Django's database store in every
other way (the same signing and expiry, the same writes), but each row also holds the id of
the user its data signs in (`user_id`, from `_auth_user_id`, written with the data), so
that a store above (notify/sessions.py, settings.SESSION_ENGINE) can read the session and
its user in one statement.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from pledgeloop.lib.rows import RowReader

from .models import Session


def session_user_id(data: dict) -> int | None:
    """The id of the user the session's data signs in (`_auth_user_id`), or None."""
    try:
        pk = int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None  # as PhoneBackend.get_user reads it


class SessionStore(DatabaseSessionStore):
    _readers: dict = {}

    @classmethod
    def get_model_class(cls):
        return Session

    @classmethod
    def _reader(cls) -> RowReader:
        model = cls.get_model_class()
        reader = cls._readers.get(model)
        if reader is None:
            expiry = model._meta.get_field("expire_date").column
            reader = cls._readers[model] = RowReader(model, "session_key", extra=f'"{expiry}" > %s')
        return reader

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = session_user_id(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = session_user_id(data)
        return session

    def _get_session_from_db(self):
        """The unexpired row of this session's key, or None (the key is then forgotten, as
        Django's own store does)."""
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = self._reader().get(self.session_key, now) if self.session_key else None
        if found is None:
            self._session_key = None
        return found
