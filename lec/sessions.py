"""The database session store with its one read per page as a plain query.

Every signed-in page reads its session row. Django's store builds, compiles and instantiates an ORM query for it,
which cost more CPU than PostgreSQL spent answering (issue 16, docs/performance.md); this reads the same row
with the same conditions (the key, not expired) on the database the router gives for sessions. Writes, expiry,
cycling and flushing are Django's own."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not self.session_key:  # no cookie, or one that failed the key's validation
            self._session_key = None
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
