"""Tampering with a SQL store behind the desk's back, to show ``verify`` catches it.

Each method changes the tables the built-in SQL stores share (``events``, ``cases``,
``checkpoints``, ``checkpoint_heads``) the way someone with write access to the database
could, keeping what they can consistent (recomputed hash chains, a fixed-up projection
row), so only the checkpoints can tell. ``sql(statement, params)`` runs one statement with
``?`` placeholders and returns its rows (the caller adapts to its driver).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain._serialization import GENESIS, chain_hash
from serviceflow.eventlog._chain import case_row

Sql = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Run one statement (``?`` placeholders) and return its rows (``[]`` when it has none)."""


class Tamperer:
    """Raw changes to a desk's SQL tables, each keeping the chains and rows consistent."""

    def __init__(self, desk: ServiceDesk, sql: Sql) -> None:
        self.desk = desk
        self.sql = sql

    def rechain(self, stream: str) -> None:
        """Renumber ``stream``'s events 1, 2, ... in their ``seq`` order, recompute every link
        and hash, and move the case's row head along (as a careful forger would)."""
        rows = self.sql(
            "SELECT position, seq, data FROM events WHERE stream = ? ORDER BY seq", (stream,)
        )
        self.sql("UPDATE events SET seq = -seq WHERE stream = ?", (stream,))
        prev = GENESIS
        for seq, (position, _, data) in enumerate(rows, start=1):
            digest = chain_hash(prev, stream, seq, data)
            self.sql(
                "UPDATE events SET seq = ?, prev = ?, hash = ? WHERE position = ?",
                (seq, prev, digest, position),
            )
            prev = digest
        self.sql("UPDATE cases SET head = ? WHERE id = ?", (prev, stream))

    def truncate(self, stream: str, keep: int) -> None:
        """Delete ``stream``'s events after seq ``keep``; a case's row is rewritten to what
        the remaining events replay to, so the case verifies on its own."""
        self.sql("DELETE FROM events WHERE stream = ? AND seq > ?", (stream, keep))
        if self.sql("SELECT id FROM cases WHERE id = ?", (stream,)):
            head = self.sql("SELECT hash FROM events WHERE stream = ? AND seq = ?", (stream, keep))
            row = case_row(self.desk.replay(stream), head[0][0], keep=False)
            self.sql(
                "UPDATE cases SET state = ?, version = ?, head = ?, requester = ?, channel = ?, "
                "priority = ?, category = ?, assignee = ?, submitted_at = ?, updated_at = ?, "
                "data = ? WHERE id = ?",
                (*row.columns()[1:], stream),
            )
            self.sql("DELETE FROM timers WHERE case_id = ?", (stream,))

    def delete(self, stream: str) -> None:
        """Delete a stream whole: its events, and its case row and timers if it has them."""
        self.sql("DELETE FROM events WHERE stream = ?", (stream,))
        self.sql("DELETE FROM cases WHERE id = ?", (stream,))
        self.sql("DELETE FROM timers WHERE case_id = ?", (stream,))

    def edit(self, stream: str, seq: int, old: str, new: str) -> None:
        """Replace ``old`` by ``new`` in one event's JSON, then recompute the chain."""
        self.sql(
            "UPDATE events SET data = replace(data, ?, ?) WHERE stream = ? AND seq = ?",
            (old, new, stream, seq),
        )
        self.rechain(stream)

    def swap(self, stream: str, first: int, second: int) -> None:
        """Swap two events' places, then recompute the chain."""
        self.sql("UPDATE events SET seq = -1 WHERE stream = ? AND seq = ?", (stream, first))
        self.sql("UPDATE events SET seq = ? WHERE stream = ? AND seq = ?", (first, stream, second))
        self.sql("UPDATE events SET seq = ? WHERE stream = ? AND seq = -1", (second, stream))
        self.rechain(stream)

    def drop_checkpoint(self, seq: int) -> None:
        """Delete one checkpoint row and the heads stored with it."""
        self.sql("DELETE FROM checkpoints WHERE seq = ?", (seq,))
        self.sql("DELETE FROM checkpoint_heads WHERE checkpoint = ?", (seq,))
