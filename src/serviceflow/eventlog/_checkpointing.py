"""Checkpoints against a store: write one over the heads that moved, and check the stored ones.

The I/O around the pure ``serviceflow.checkpoint``. Writing costs what changed since the
newest checkpoint, not what is stored: the events appended after its position (a range of
the store's append-position index), the recorded heads of the streams that moved (looked
up by key) and its own delta. It refuses to checkpoint over damage it sees: a stream that
moved but lost or changed the head a checkpoint recorded is an ``IntegrityError``. Damage
to streams that did not move is left to ``check`` (``verify``), which folds every delta
once and compares the result with every stream's head.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from attrs import frozen

from serviceflow.errors import IntegrityError
from serviceflow.eventlog._checkpoint import (
    Finding,
    Root,
    chain_problems,
    compare_heads,
    heads_root,
    next_checkpoint,
    prefix_problem,
)
from serviceflow.eventlog._store import CheckpointRecord, HeadRecord, Store

_SHOWN = 5
"""How many damaged streams a refused checkpoint names."""


@frozen
class CheckpointReport:
    """What checking the checkpoints found: the chain (and anchor) problems, and per stream
    what the newest (or anchored) checkpoint says is missing or changed."""

    newest: CheckpointRecord | None
    count: int
    problems: tuple[str, ...]
    streams: Mapping[str, tuple[str, ...]]

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return not self.problems and not self.streams


def write(store: Store, at: str) -> CheckpointRecord:
    """Record the heads that moved since the newest checkpoint as the next one, and return it.

    Reads only what changed: the events appended after the newest checkpoint's position
    (``Store.heads_since``), the heads the checkpoints recorded for the streams that moved,
    and the newest checkpoint's own delta (which must still give its root).
    ``IntegrityError`` (and nothing written) when a stream that moved lost or changed the
    events a checkpoint recorded, or the newest checkpoint's stored heads no longer match
    its root; ``ConcurrencyConflict`` when another process stored the next checkpoint first.
    """
    previous = store.last_checkpoint()
    seq = previous.seq if previous is not None else 0
    moved, position = store.heads_since(previous.position if previous is not None else 0)
    recorded: dict[str, HeadRecord] = {}
    problems: dict[str, str] = {}
    if previous is not None:
        if heads_root(store.checkpoint_delta(seq)) != previous.root:
            problems[""] = f"checkpoint {seq}: its stored heads do not match its root (edited)"
        if moved:
            recorded = {h.stream: h for h in store.checkpoint_heads(seq, [h.stream for h in moved])}
    changed: list[HeadRecord] = []
    for item in compare_heads(seq, sorted(recorded.values()), moved):
        if isinstance(item, HeadRecord):
            changed.append(item)
        else:
            problem = _problem(store, seq, item)
            if problem is not None:
                problems.setdefault(item.recorded.stream, problem)
    if problems:
        shown = "; ".join(f"{s}: {p}" if s else p for s, p in list(problems.items())[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise IntegrityError(
            f"{store.url}: not checkpointing over damage: {shown}{more}; run `serviceflow verify`"
        )
    record = next_checkpoint(previous, at, position, changed, recorded)
    store.save_checkpoint(record, changed)
    return record


def check(store: Store, anchor: str | None = None) -> CheckpointReport:
    """Check the checkpoint chain and each checkpoint's delta against its root, then the
    heads the newest checkpoint (and the one ``anchor`` names, if another) covers, folded
    from the deltas, against the streams as they are."""
    newest: CheckpointRecord | None = None
    anchored: CheckpointRecord | None = None
    count = 0
    edited: list[str] = []

    def tracked() -> Iterator[CheckpointRecord]:
        nonlocal newest, anchored, count
        for record in store.checkpoints():
            count += 1
            newest = record
            if anchor is not None and record.hash == anchor:
                anchored = record
            if heads_root(store.checkpoint_delta(record.seq)) != record.root:
                edited.append(
                    f"checkpoint {record.seq}: its stored heads do not match its root: "
                    "heads edited or deleted"
                )
            yield record

    problems = list(chain_problems(tracked()))
    problems += edited
    streams: dict[str, list[str]] = {}
    if anchor is not None and anchored is None:
        problems.append(
            f"anchor {anchor}: no stored checkpoint has this hash: the checkpoints were "
            "replaced or rewritten, or this is not a hash this store printed"
        )
    targets = [c for c in (newest, anchored) if c is not None]
    for target in {c.seq: c for c in targets}.values():
        folded = Root()
        old = _fed(store.checkpoint_heads(target.seq), folded)
        for item in compare_heads(target.seq, old, store.heads()):
            if isinstance(item, Finding):
                problem = _problem(store, target.seq, item)
                if problem is not None:
                    streams.setdefault(item.recorded.stream, []).append(problem)
        if (folded.streams, folded.events) != (target.streams, target.events):
            problems.append(
                f"checkpoint {target.seq}: its stored heads ({folded.streams} streams, "
                f"{folded.events} events) do not match its totals ({target.streams} streams, "
                f"{target.events} events): heads edited or deleted"
            )
    return CheckpointReport(
        newest, count, tuple(problems), {s: tuple(found) for s, found in streams.items()}
    )


def _problem(store: Store, seq: int, finding: Finding) -> str | None:
    """The finding's problem; for a stream that grew, whether its recorded head still holds."""
    if finding.problem is not None:
        return finding.problem
    return prefix_problem(seq, finding.recorded, store.read(finding.recorded.stream))


def _fed(heads: Iterable[HeadRecord], root: Root) -> Iterator[HeadRecord]:
    """``heads`` as they are, each fed to ``root`` on the way."""
    for head in heads:
        root.add(head)
        yield head
