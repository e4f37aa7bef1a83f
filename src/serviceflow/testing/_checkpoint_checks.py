"""The store contract's stream heads and checkpoints: heads since a position, the
checkpoint chain, the heads each recorded, across pages and reopening.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from serviceflow.errors import ConcurrencyConflict
from serviceflow.eventlog._store import (
    CheckpointRecord,
    HeadRecord,
    Store,
)
from serviceflow.testing._store_checks import MANY, StoreChecks
from serviceflow.testing.records import at, event, write


class CheckpointChecks(StoreChecks):
    """The store contract's checks of stream heads and the checkpoints over them."""

    # --- checkpoints over the stream heads ------------------------------------------------

    def test_heads_are_each_streams_last_event_sorted_by_stream(self, store: Store) -> None:
        assert list(store.heads()) == []
        store.append([write("b", 0, events=3), write("B", 0), write("a:1", 0, events=2)])
        store.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
        assert list(store.heads()) == sorted(
            [
                HeadRecord("b", 3, "b/3"),
                HeadRecord("B", 1, "B/1"),
                HeadRecord("a:1", 2, "a:1/2"),
                HeadRecord("audit:x", 1, "audit:x/1"),
            ]
        )

    def test_heads_cross_pages(self, store: Store) -> None:
        ids = [f"k:{i:04d}" for i in range(MANY)]
        store.append([write(i, 0, events=1 + n % 3) for n, i in enumerate(ids)])
        assert list(store.heads()) == [
            HeadRecord(i, 1 + n % 3, f"{i}/{1 + n % 3}") for n, i in enumerate(ids)
        ]

    def test_heads_since_a_position_are_the_streams_appended_to_after_it(
        self, store: Store
    ) -> None:
        assert store.heads_since(0) == ([], 0)
        store.append([write("b", 0, events=3), write("a:1", 0, events=2)])
        moved, first = store.heads_since(0)
        assert moved == [HeadRecord("a:1", 2, "a:1/2"), HeadRecord("b", 3, "b/3")]
        assert first > 0
        assert store.heads_since(first) == ([], first)
        store.append([write("b", 3), write("c", 0)])
        store.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
        moved, second = store.heads_since(first)
        assert moved == [
            HeadRecord("audit:x", 1, "audit:x/1"),
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert second > first
        assert store.heads_since(second) == ([], second)

    def test_heads_since_cross_pages(self, store: Store) -> None:
        ids = [f"k:{i:04d}" for i in range(MANY)]
        store.append([write(i, 0) for i in ids])
        moved, position = store.heads_since(0)
        assert moved == [HeadRecord(i, 1, f"{i}/1") for i in ids]
        store.append([write(i, 1) for i in ids[::3]])
        assert store.heads_since(position)[0] == [HeadRecord(i, 2, f"{i}/2") for i in ids[::3]]

    def test_checkpoints_keep_their_chain_and_the_heads_each_recorded(self, store: Store) -> None:
        assert store.last_checkpoint() is None
        assert list(store.checkpoints()) == []
        assert list(store.checkpoint_heads(1)) == []
        one, two = _checkpoint(1), _checkpoint(2)
        store.save_checkpoint(one, [HeadRecord("b", 1, "b/1"), HeadRecord("a", 2, "a/2")][::-1])
        store.save_checkpoint(two, [HeadRecord("b", 4, "b/4"), HeadRecord("c", 1, "c/1")])
        assert list(store.checkpoints()) == [one, two]
        assert store.last_checkpoint() == two
        assert list(store.checkpoint_heads(1)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 1, "b/1"),
        ]
        assert list(store.checkpoint_heads(2)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_heads(0)) == []
        assert list(store.checkpoint_heads(2, ["c", "a", "x"])) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_heads(1, ["b"])) == [HeadRecord("b", 1, "b/1")]
        assert list(store.checkpoint_delta(1)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 1, "b/1"),
        ]
        assert list(store.checkpoint_delta(2)) == [
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_delta(3)) == []

    def test_a_checkpoint_out_of_turn_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        with pytest.raises(ConcurrencyConflict):
            store.save_checkpoint(_checkpoint(2), [HeadRecord("a", 1, "a/1")])
        store.save_checkpoint(_checkpoint(1), [HeadRecord("a", 1, "a/1")])
        with pytest.raises(ConcurrencyConflict):
            store.save_checkpoint(_checkpoint(1, root="other"), [HeadRecord("a", 2, "a/2")])
        assert list(store.checkpoints()) == [_checkpoint(1)]
        assert list(store.checkpoint_heads(5)) == [HeadRecord("a", 1, "a/1")]

    def test_checkpoint_heads_cross_pages(self, store: Store) -> None:
        first = [HeadRecord(f"k:{i:04d}", 1, f"k:{i:04d}/1") for i in range(MANY)]
        store.save_checkpoint(_checkpoint(1), first)
        moved = [HeadRecord(h.stream, 2, f"{h.stream}/2") for h in first[::2]]
        store.save_checkpoint(_checkpoint(2), moved)
        assert list(store.checkpoint_heads(1)) == first
        expected = [moved[n // 2] if n % 2 == 0 else h for n, h in enumerate(first)]
        assert list(store.checkpoint_heads(2)) == expected
        assert list(store.checkpoint_delta(2)) == moved
        wanted = [h.stream for h in first[::5]][::-1]
        assert list(store.checkpoint_heads(2, wanted)) == expected[::5]

    def test_checkpoints_are_still_there_after_reopening(self, where: Path) -> None:
        if not self.durable:
            pytest.skip(f"{type(self).__name__}: {self.not_durable_reason}")
        first = self.make_store(where)
        try:
            first.save_checkpoint(_checkpoint(1), [HeadRecord("a", 1, "a/1")])
        finally:
            first.close()
        again = self.make_store(where)
        try:
            assert again.last_checkpoint() == _checkpoint(1)
            assert list(again.checkpoint_heads(1)) == [HeadRecord("a", 1, "a/1")]
        finally:
            again.close()


def _checkpoint(seq: int, *, root: str = "root") -> CheckpointRecord:
    """A checkpoint record at ``seq`` (stores keep it as given; they check no hash)."""
    return CheckpointRecord(seq, at(seq), f"c{seq - 1}", 10 * seq, 3, 7, root, f"c{seq}")
