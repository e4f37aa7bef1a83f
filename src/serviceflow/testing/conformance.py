"""The storage conformance suite: one pytest class that checks the whole store contract.

A backend author subclasses ``StoreContract`` in a test module, says how to make a store,
and pytest runs every check of ``serviceflow.store`` against it: atomic appends, optimistic
concurrency, reads, queries, histories, timers and their claims, the outbox and its claims,
kept KPI facts, policies, checkpoints over stream heads, how rows carry the case, durability
and concurrent writers. Needs pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import attrs
import pytest

from serviceflow.eventlog._store import (
    CaseRow,
    FactsRecord,
    Store,
)
from serviceflow.testing._append_checks import AppendChecks
from serviceflow.testing._checkpoint_checks import CheckpointChecks
from serviceflow.testing._claim_checks import ClaimChecks
from serviceflow.testing._read_checks import ReadChecks
from serviceflow.testing._store_checks import StoreChecks, version_of
from serviceflow.testing._transaction_checks import TransactionChecks
from serviceflow.testing.hostile import HostileInputs
from serviceflow.testing.records import at, event, message, timer, write

__all__ = ["StoreContract"]


class StoreContract(
    AppendChecks,
    ReadChecks,
    CheckpointChecks,
    ClaimChecks,
    TransactionChecks,
    StoreChecks,
    HostileInputs,
):
    """Subclass me (in a module pytest collects, with a ``Test`` name) to check a store.

    What a subclass gives:

    * ``make_store(self, where: Path) -> Store`` (required): a store for one test. ``where``
      is a fresh folder per test (pytest's ``tmp_path``); the store must be empty the first
      time, and calling ``make_store`` again with the same ``where`` after ``close()`` must
      reopen the same data (the durability checks do exactly that).
    * ``durable = False`` for a store that keeps nothing once closed (like ``memory://``);
      the durability checks are then skipped with ``not_durable_reason``.
    * ``process_url(self, where: Path) -> str | None``: the URL another Python process opens
      (with the ``open_store`` hook: built-ins, else installed entry points) to reach the
      store ``make_store(where)`` made. Return ``None`` (the default) for a store that lives in one
      process; the cross-process claim checks are then skipped.
    * To clean up something outside ``where`` (a database schema), override the ``where``
      fixture: yield a folder, then drop what the test created.

    Example::

        from serviceflow.testing.conformance import StoreContract

        class TestMyStore(StoreContract):
            def make_store(self, where):
                return MyStore(where / "data")

            def process_url(self, where):
                return f"mystore://{where / 'data'}"

    Every check is a ``test_*`` method, so ``pytest -k`` selects them and a subclass may
    override one (say why in its docstring) when the backend documents a difference.
    """

    # --- policies --------------------------------------------------------------------

    def test_policies_are_kept_by_version_first_writer_wins(self, store: Store) -> None:
        store.save_policy("v1", '{"name": "one"}', at(0))
        store.save_policy("v1", '{"name": "changed"}', at(1))
        store.save_policy("v2", '{"name": "two"}', at(2))
        assert store.load_policy("v1") == '{"name": "one"}'
        assert store.load_policy("v2") == '{"name": "two"}'
        assert store.load_policy("v3") is None

    # --- durability ------------------------------------------------------------------

    def test_everything_is_still_there_after_reopening(self, where: Path) -> None:
        if not self.durable:
            pytest.skip(f"{type(self).__name__}: {self.not_durable_reason}")
        first = self.make_store(where)
        try:
            first.append(
                [
                    write("A", 0, events=2, timers=(timer("A", 10), timer("A", 20, kind="x"))),
                    write("B", 0, outbox=(message("B/1", 5), message("B/2", 50))),
                ]
            )
            first.append([write("A", 2, fired=(timer("A", 10),))])
            first.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
            first.save_policy("v1", "{}", at(0))
            first.save_facts([FactsRecord("B", 1, "k", '{"kept": true}')])
            claimed = first.claim_outbox(at(10), 10, at(30))
            first.update_outbox([attrs.evolve(message("B/2", 50), status="delivered")])
            before = _snapshot(first)
            assert FactsRecord("B", 1, "k", '{"kept": true}') in cast(list[object], before["facts"])
        finally:
            first.close()
        again = self.make_store(where)
        try:
            assert _snapshot(again) == before
            assert claimed == [attrs.evolve(message("B/1", 5), due=at(30))]
            assert again.claim_outbox(at(29), 10, at(40)) == [], "the lease was stored"
            again.append([write("A", 3)])
            assert version_of(again, "A") == 4
        finally:
            again.close()


def _snapshot(store: Store) -> dict[str, object]:
    """Everything a store holds that the suite wrote, in comparable form."""
    streams = list(store.streams())
    rows: dict[str, CaseRow] = store.load_many(streams)
    return {
        "streams": {s: store.read(s) for s in streams},
        "rows": rows,
        "timers": store.case_timers(streams),
        "outbox": store.outbox(),
        "counts": store.outbox_counts(),
        "policy": store.load_policy("v1"),
        "facts": list(store.histories_or_facts("k")),
    }
