"""Streams of the aggregates besides cases: knowledge articles, problems, improvement cycles.

Each kind has a stream prefix (``problem:PRB-1``) and a pure fold of its events. A command
is decided purely by the kind's own module, then appended here at the version it was
decided on, hash-chained like a case, in one store transaction (``ConcurrencyConflict``
when another writer got there first). There is no projection row: such streams number
in hundreds or thousands, not millions, so they are read back by folding their events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from attrs import frozen

from serviceflow.domain._events import Event
from serviceflow.domain._serialization import GENESIS, decode_stored, encode_event, iso
from serviceflow.domain.policy._limits import Limits
from serviceflow.errors import NotFound, ValidationError
from serviceflow.eventlog._chain import chain_records
from serviceflow.eventlog._store import EventRecord, Store, StreamWrite
from serviceflow.rules._limits import text_problems

S = TypeVar("S")

_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@frozen
class Kind(Generic[S]):
    """One kind of aggregate: its name (the stream prefix is ``name:``) and its fold.

    ``evolve(None, first_event)`` starts the state; ``evolve(state, event)`` moves it on.
    """

    name: str
    evolve: Callable[[S | None, Event], S]

    @property
    def prefix(self) -> str:
        """What every stream of this kind starts with."""
        return f"{self.name}:"

    def stream(self, aggregate_id: str) -> str:
        """The stream of one aggregate; an id that is not 1–64 letters, digits, ``.``,
        ``_`` or ``-`` is a ``ValidationError``."""
        if (
            not isinstance(aggregate_id, str)
            or not 0 < len(aggregate_id) <= 64
            or not set(aggregate_id) <= _ID_CHARACTERS
        ):
            raise ValidationError(
                f"{self.name} id",
                [f"{aggregate_id!r:.80}: expected 1-64 letters, digits, '.', '_' or '-'"],
            )
        return self.prefix + aggregate_id


@frozen
class Stored(Generic[S]):
    """An aggregate as read: its state, version, chain head and the events that made it."""

    id: str
    state: S
    version: int
    head: str
    events: tuple[Event, ...]


class Streams(Generic[S]):
    """The aggregates of one kind in a store: read, append, list."""

    def __init__(self, store: Store, kind: Kind[S], *, longest: int = Limits().text) -> None:
        self.store = store
        self.kind = kind
        self.longest = longest
        """The most characters any text of an event may hold (the policy's ``limits.text``)."""

    def load(self, aggregate_id: str) -> Stored[S] | None:
        """The aggregate folded from its stream, or ``None`` if it has no events."""
        return self._fold(aggregate_id, self.store.read(self.kind.stream(aggregate_id)))

    def get(self, aggregate_id: str) -> Stored[S]:
        """The aggregate; ``NotFound`` if it does not exist."""
        found = self.load(aggregate_id)
        if found is None:
            raise NotFound(self.kind.name, aggregate_id)
        return found

    def append(
        self, aggregate_id: str, events: Sequence[Event], decided_on: Stored[S] | None
    ) -> Stored[S]:
        """Append ``events`` after the version they were decided on (``None``: a new
        aggregate) and return the aggregate they lead to; ``ConcurrencyConflict`` if the
        stream moved meanwhile, and nothing is written."""
        stream = self.kind.stream(aggregate_id)
        problems = [p for e in events for p in text_problems(e, self.longest)]
        if problems:
            raise ValidationError(f"cannot write {stream}", problems)
        version, head = (decided_on.version, decided_on.head) if decided_on else (0, GENESIS)
        items = [(e.TYPE, iso(e.at), encode_event(e)) for e in events]
        records = chain_records(stream, version, head, items)
        if records:
            self.store.append([StreamWrite(stream, version, records, None)])
        state = decided_on.state if decided_on is not None else None
        for event in events:
            state = self.kind.evolve(state, event)
        if state is None:
            raise ValueError(f"nothing to append to {stream}, and it does not exist")
        before = decided_on.events if decided_on is not None else ()
        return Stored(
            aggregate_id,
            state,
            version + len(records),
            records[-1].hash if records else head,
            (*before, *events),
        )

    def ids(self) -> list[str]:
        """Every aggregate id of this kind, sorted: read from the list of streams, nothing
        folded."""
        prefix = self.kind.prefix
        return [stream[len(prefix) :] for stream in self.store.streams(prefix)]

    def next_id(self, label: str) -> str:
        """A new id ``<label>-<n>``: from the number of aggregates of this kind plus one,
        the first one not taken (ids given by hand may have taken some)."""
        taken = set(self.ids())
        n = len(taken) + 1
        while f"{label}-{n}" in taken:
            n += 1
        return f"{label}-{n}"

    def all(self) -> Iterator[Stored[S]]:
        """Every aggregate of this kind, by id."""
        for aggregate_id in self.ids():
            found = self._fold(aggregate_id, self.store.read(self.kind.prefix + aggregate_id))
            if found is not None:
                yield found

    def _fold(self, aggregate_id: str, records: list[EventRecord]) -> Stored[S] | None:
        if not records:
            return None
        events = tuple(decode_stored(r.data) for r in records)
        state: S | None = None
        for event in events:
            state = self.kind.evolve(state, event)
        assert state is not None
        return Stored(aggregate_id, state, records[-1].seq, records[-1].hash, events)
