"""Waking idle workers: commits that add work ``NOTIFY`` a channel; an idle worker ``LISTEN``s.

The channel is per schema, so desks sharing a database do not wake each other. A
notification is only a hint that something may be due: a worker that misses one (it was
busy, or its connection dropped) still finds the work on its next pass.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from psycopg import sql
from serviceflow.errors import StoreError


def channel(schema: str) -> str:
    """The notification channel of the store in ``schema``."""
    return f"serviceflow:{schema}"


class Wakeup:
    """One listening connection, opened on the first wait and kept until ``close``."""

    def __init__(self, conninfo: str, schema: str, url: str) -> None:
        self._conninfo = conninfo
        self._channel = channel(schema)
        self._url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a notification; ``True`` if work may be waiting.

        The first call only starts listening and answers ``True``: whatever was committed
        before it was not announced to this worker, so it should look once. A connection
        that breaks while waiting is dropped (the next call listens again) and answers
        ``True`` for the same reason.
        """
        with self._lock:
            if self._conn is None:
                self._conn = self._listen()
                return True
            conn = self._conn
            try:
                woken = any(True for _ in conn.notifies(timeout=max(timeout, 0.0), stop_after=1))
                if woken:  # several commits may have announced work: one pass serves them all
                    for _ in conn.notifies(timeout=0.0):
                        pass
            except psycopg.Error:
                conn.close()
                self._conn = None
                return True
            return woken

    def _listen(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except psycopg.Error as exc:
            raise StoreError(f"{self._url}: cannot listen for work: {exc}") from None
        return conn

    def close(self) -> None:
        """Stop listening and close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
