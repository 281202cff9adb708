"""One leader among a service's replicas for the loops that must run once (the outbox relay,
the email sender): a PostgreSQL advisory lock held on a connection of its own. Replicas
without it stand by; if the leader dies, its connection closes, the lock goes, and another
replica takes over. With SQLite (one local process) there is nothing to elect."""

from __future__ import annotations

import hashlib

import psycopg


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, postgres_url: str | None, name: str) -> None:
        self.url = postgres_url
        self.key = lock_key(name)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def holds(self) -> bool:
        """True while this replica leads; tries to become leader when it does not."""
        if self.url is None:
            return True
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.url, autocommit=True)
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                if not (row and row[0]):
                    self.release()
                    return False
                return True
            self._conn.execute("SELECT 1")  # still connected, so still holding the lock
            return True
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases the lock
            finally:
                self._conn = None
