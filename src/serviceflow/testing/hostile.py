"""Hostile input on every public entry point: only documented errors, nothing stored.

``HostileInputs`` is a pytest mixin of the conformance suite (``StoreContract`` includes it):
on a desk over the store under test, hypothesis calls each public entry point (the desk's
commands and reads, ``Knowledge``, ``Problems``, ``Improvement``, ``Worker``) with one
argument replaced by a hostile value (wrong types, NUL, lone surrogates, invisible and
full-width characters, huge text and numbers, naive datetimes). The call must succeed or raise
a ``ServiceflowError``; a refusal must leave every stream, row, timer and message as it was
(a refused command's audit entry excepted). Every store therefore accepts or refuses exactly
the same inputs. Needs pytest and hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow.domain._events import AUDIT
from serviceflow.errors import GuardrailViolation, NotAuthorized, ServiceflowError
from serviceflow.eventlog._store import CaseQuery, Store
from serviceflow.testing._entry_points import ENTRY_POINTS, Entry, World

__all__ = [
    "ENTRY_POINTS",
    "HOSTILE",
    "Entry",
    "HostileInputs",
    "World",
    "hostile_values",
    "snapshot",
]

HUGE_TEXT = "a" * 2_000_000 + "!"
"""Larger than any default limit of the policy (``Limits``)."""

HOSTILE: tuple[object, ...] = (
    None,
    True,
    False,
    0,
    -1,
    10**30,
    -(10**30),
    1.5,
    math.nan,
    math.inf,
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "agent:kim\u200b",
    "agent:ｋｉｍ",
    "AGENT:KIM",
    "\u202egnp.exe",
    "../../etc/passwd",
    "'; DROP TABLE events; --",
    "2026-01-01",
    "9999999999999d",
    HUGE_TEXT,
    b"bytes",
    [],
    ["a", 1],
    {},
    {1: 2},
    {"a": None},
    ("a",),
    object(),
    datetime(2026, 3, 2, 9, 0),  # noqa: DTZ001 - naive on purpose
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
    date(2026, 3, 2),
    timedelta(days=-1),
    timedelta(days=999_999_999),
)
"""Values that broke, or could break, an entry point: each must get a documented error."""


def hostile_values() -> st.SearchStrategy[object]:
    """The fixed hostile values and generated ones: any text (surrogates and controls
    included), numbers of any size, odd containers."""
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=12),
        st.integers(),
        st.floats(),
        st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=3),
        st.dictionaries(st.text(max_size=3), st.one_of(st.text(max_size=3), st.integers())),
    )


def snapshot(store: Store) -> tuple[object, ...]:
    """Everything the store holds that an entry point could change, through the contract:
    streams and their events (audit streams apart), case rows, timers and the outbox."""
    streams = {s: store.read(s) for s in store.streams() if not s.startswith(AUDIT)}
    audits = {s: store.read(s) for s in store.streams() if s.startswith(AUDIT)}
    rows = [(r.id, r.version, r.head, r.data, r.updated_at) for r in store.query(CaseQuery())]
    timers = store.due_timers("9999-12-31T00:00:00.000000+00:00", 1_000_000)
    return (streams, rows, sorted(timers, key=repr), store.outbox()), audits


def call(entry: Entry, world: World, kwargs: Mapping[str, Any]) -> object:
    """Call ``entry`` with ``kwargs`` and consume what it returns (lazy readers too)."""
    result = entry.target(world)(**kwargs)
    if isinstance(result, Iterator):
        return list(result)
    return result


class HostileInputs:
    """Mixin of the conformance suite: hostile arguments on every public entry point."""

    hostile_examples: ClassVar[int] = 100
    """How many hypothesis examples per store (bounded: each builds no new world)."""

    def make_store(self, where: Path) -> Store:  # pragma: no cover - the subclass gives it
        raise NotImplementedError

    def stored_bytes(self, where: Path) -> object:
        """What the store under ``where`` holds, byte for byte, read around the store (a SQL
        dump, say); ``None`` (the default) when only the contract can say."""
        return None

    def test_hostile_input_gets_a_documented_error_and_changes_nothing(self, where: Path) -> None:
        """Each entry point, one argument hostile: success or a ``ServiceflowError``, and a
        refusal leaves the store as it was."""
        store = self.make_store(where)
        try:
            world = World.build(store)
            self._run(world, store, where)
        finally:
            store.close()

    def _run(self, world: World, store: Store, where: Path) -> None:
        @settings(
            max_examples=self.hostile_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def check(data: st.DataObject) -> None:
            entry = data.draw(st.sampled_from(ENTRY_POINTS), label="entry point")
            kwargs = entry.valid(world)
            name = data.draw(st.sampled_from(entry.parameters(world)), label="argument")
            kwargs[name] = data.draw(hostile_values(), label="value")
            before, audits = snapshot(store)
            raw = self.stored_bytes(where)
            try:
                call(entry, world, kwargs)
            except ServiceflowError as error:
                after, audits_after = snapshot(store)
                assert after == before, f"{entry.name}({name}=...) refused but changed the store"
                if not isinstance(error, NotAuthorized | GuardrailViolation):
                    assert audits_after == audits, f"{entry.name} refused and wrote an audit"
                    assert self.stored_bytes(where) == raw, f"{entry.name} changed stored bytes"

        check()
