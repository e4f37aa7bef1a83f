"""The store contract's batches (``Store.transaction``, optional): every write of the block
or none, each write inside still checked on its own, and a failed one undone alone.
"""

from __future__ import annotations

import pytest

from serviceflow.errors import ConcurrencyConflict
from serviceflow.eventlog._store import Store
from serviceflow.testing._store_checks import StoreChecks, version_of
from serviceflow.testing.records import message, timer, write


def _transaction(store: Store) -> object:
    found = getattr(store, "transaction", None)
    if found is None:
        pytest.skip(f"{type(store).__name__} runs no batches (it has no transaction())")
    return found


class TransactionChecks(StoreChecks):
    """The store contract's checks of ``transaction``, for stores that offer it."""

    def test_a_transaction_keeps_every_write_of_its_block(self, store: Store) -> None:
        _transaction(store)
        with store.transaction():  # type: ignore[attr-defined]
            store.append([write("A", 0, events=2)])
            store.append([write("A", 2)])
            store.append([write("B", 0, outbox=(message("B/1"),))])
            assert version_of(store, "A") == 3, "the block reads its own writes"
        assert (version_of(store, "A"), version_of(store, "B")) == (3, 1)
        assert [m.key for m in store.outbox()] == ["B/1"]

    def test_a_block_that_raises_keeps_nothing(self, store: Store) -> None:
        _transaction(store)
        store.append([write("A", 0, timers=(timer("A", 30),))])

        def regret() -> None:
            with store.transaction():  # type: ignore[attr-defined]
                store.append([write("A", 1, timers=(timer("A", 60, version=2),))])
                store.append([write("N", 0, outbox=(message("N/1"),))])
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError, match="undo"):
            regret()
        assert version_of(store, "A") == 1
        assert store.load("N") is None
        assert store.read("N") == []
        assert "N" not in list(store.streams())
        assert store.case_timers(["A"]) == {"A": [timer("A", 30)]}
        assert store.outbox() == []
        store.append([write("N", 0)])  # and the store goes on as if nothing happened
        assert version_of(store, "N") == 1

    def test_a_stale_single_write_in_a_block_fails_alone(self, store: Store) -> None:
        _transaction(store)
        store.append([write("A", 0)])
        with store.transaction():  # type: ignore[attr-defined]
            store.append([write("B", 0)])
            with pytest.raises(ConcurrencyConflict):
                store.append([write("A", 0)])
            store.append([write("A", 1)])
        assert [version_of(store, s) for s in "AB"] == [2, 1]

    def test_a_stale_write_in_a_block_fails_alone(self, store: Store) -> None:
        _transaction(store)
        store.append([write("A", 0)])
        with store.transaction():  # type: ignore[attr-defined]
            store.append([write("B", 0)])
            with pytest.raises(ConcurrencyConflict):
                store.append([write("A", 0), write("C", 0)])
            store.append([write("A", 1)])
        assert [version_of(store, s) for s in "AB"] == [2, 1]
        assert store.load("C") is None, "the stale write's partner was undone with it"
