"""Django's database sessions, read with a statement written once (settings.SESSION_ENGINE).

Every signed-in request reads its session first; the ORM compiled that one-row query anew
each time (lib/rows.py says what that cost). The store is Django's own in every other way:
the same table, the same signing and expiry, the same writes.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from pledgeloop.lib.rows import RowReader


class SessionStore(DatabaseSessionStore):
    _readers: dict = {}

    @classmethod
    def _reader(cls) -> RowReader:
        model = cls.get_model_class()
        reader = cls._readers.get(model)
        if reader is None:
            expiry = model._meta.get_field("expire_date").column
            reader = cls._readers[model] = RowReader(model, "session_key", extra=f'"{expiry}" > %s')
        return reader

    def _get_session_from_db(self):
        """The unexpired row of this session's key, or None (the key is then forgotten, as
        Django's own store does)."""
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = self._reader().get(self.session_key, now) if self.session_key else None
        if found is None:
            self._session_key = None
        return found
