"""Checkpoints over the stream heads: what is hashed, and how a checkpoint is compared.

A stream's hash chain shows an edit, a reorder or a gap, but not a cut at its end: drop the
last events (and fix the projection row) or the whole stream and what is left still chains.
A checkpoint records the heads, ``(stream, version, hash)``, of the streams that moved since
the checkpoint before it (its *delta*), up to an append ``position`` of the store; the
heads a checkpoint covers are the fold of every delta up to it (per stream, the newest):

* ``root`` = SHA-256 over ``"{stream}\\n{version}\\n{hash}\\n"`` for every head of the delta,
  in stream order (code point order, as the stores sort), fed in one pass (``Root``); an
  empty delta: SHA-256 of "".
* ``hash`` = SHA-256 of
  ``"checkpoint\\n{seq}\\n{at}\\n{prev}\\n{position}\\n{streams}\\n{events}\\n{root}"``, where
  ``prev`` is the previous checkpoint's hash (64 zeros for the first), ``position`` the last
  append position the delta covers, ``streams`` the number of heads covered in all (the
  fold) and ``events`` the sum of their versions.

Checkpoints form their own chain, so editing or deleting one but the newest breaks it; the
newest is only pinned by an anchor kept outside the store (``docs/verify.md``). Everything
here is pure: the desk reads the store and ``serviceflow.checkpointing`` writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs
from attrs import frozen

from serviceflow.domain._serialization import GENESIS
from serviceflow.eventlog._store import CheckpointRecord, EventRecord, HeadRecord

CHAIN = "checkpoints"
"""The name a verification of the checkpoint chain goes by (no stream has it: no colon)."""


class Root:
    """The running digest of heads fed in stream order, with their count and event total."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.streams = 0
        self.events = 0

    def add(self, head: HeadRecord) -> None:
        """Feed the next head (the caller keeps stream order)."""
        self._hash.update(f"{head.stream}\n{head.version}\n{head.hash}\n".encode())
        self.streams += 1
        self.events += head.version

    def hexdigest(self) -> str:
        """The digest of the heads fed so far."""
        return self._hash.hexdigest()


def heads_root(heads: Iterable[HeadRecord]) -> str:
    """The root of ``heads`` (sorted by stream)."""
    root = Root()
    for head in heads:
        root.add(head)
    return root.hexdigest()


def checkpoint_hash(record: CheckpointRecord) -> str:
    """A checkpoint's own hash over its other fields (the previous checkpoint's hash too)."""
    r = record
    text = f"checkpoint\n{r.seq}\n{r.at}\n{r.prev}\n{r.position}\n{r.streams}\n{r.events}\n{r.root}"
    return hashlib.sha256(text.encode()).hexdigest()


def next_checkpoint(
    previous: CheckpointRecord | None,
    at: str,
    position: int,
    delta: Sequence[HeadRecord],
    recorded: Mapping[str, HeadRecord],
) -> CheckpointRecord:
    """The checkpoint after ``previous`` (``None``: the first) over the heads that moved,
    ``delta`` (sorted by stream), up to append ``position``; ``recorded`` holds the heads
    the previous checkpoints recorded for the streams of ``delta`` (the new ones lack one),
    so the totals of the fold are brought up to date from the delta alone."""
    seq, prev = (previous.seq + 1, previous.hash) if previous is not None else (1, GENESIS)
    streams, events = (previous.streams, previous.events) if previous is not None else (0, 0)
    for head in delta:
        old = recorded.get(head.stream)
        streams += old is None
        events += head.version - (old.version if old is not None else 0)
    root = heads_root(delta)
    record = CheckpointRecord(seq, at, prev, position, streams, events, root, "")
    return attrs.evolve(record, hash=checkpoint_hash(record))


def chain_problems(checkpoints: Iterable[CheckpointRecord]) -> Iterator[str]:
    """What is wrong with the checkpoint chain (given by seq): gaps, broken links, edits."""
    prev, expected = GENESIS, 1
    for record in checkpoints:
        if record.seq != expected:
            yield f"checkpoint {expected} is missing (found {record.seq} next): deleted"
        elif record.prev != prev:
            yield f"checkpoint {record.seq}: link to the previous checkpoint is broken"
        if checkpoint_hash(record) != record.hash:
            yield f"checkpoint {record.seq}: content does not match its hash (edited)"
        prev, expected = record.hash, record.seq + 1


@frozen
class Finding:
    """How a stream's current head compares with the head a checkpoint recorded.

    ``problem`` is ``None`` when the stream grew past the recorded head: then the event at
    ``recorded.version`` must still carry ``recorded.hash`` (``prefix_problem``)."""

    recorded: HeadRecord
    current: int
    problem: str | None


def compare_heads(
    seq: int, recorded: Iterable[HeadRecord], current: Iterable[HeadRecord]
) -> Iterator[Finding | HeadRecord]:
    """Merge the heads checkpoint ``seq`` recorded with the current ones (both sorted by
    stream), in one pass over each.

    Yields a ``Finding`` for every recorded stream that is gone, shorter, changed or longer,
    and every current head that differs from the recorded one (new or moved on): what the
    next checkpoint stores beside its row."""
    old = iter(recorded)
    last = next(old, None)
    for head in current:
        while last is not None and last.stream < head.stream:
            yield _gone(seq, last)
            last = next(old, None)
        if last is None or last.stream != head.stream:
            yield head
            continue
        if head.version < last.version:
            yield Finding(
                last,
                head.version,
                f"checkpoint {seq} recorded {last.version} event(s), but the stream ends at "
                f"seq {head.version}: events deleted (truncated)",
            )
        elif head.version == last.version and head.hash != last.hash:
            yield Finding(
                last,
                head.version,
                f"checkpoint {seq} recorded event {last.version} with hash {last.hash[:12]}, "
                f"now {head.hash[:12]}: the stream was edited, reordered or rewritten",
            )
        elif head.version > last.version:
            yield Finding(last, head.version, None)
        if head != last:
            yield head
        last = next(old, None)
    while last is not None:
        yield _gone(seq, last)
        last = next(old, None)


def _gone(seq: int, recorded: HeadRecord) -> Finding:
    return Finding(
        recorded,
        0,
        f"checkpoint {seq} recorded {recorded.version} event(s) ending in "
        f"{recorded.hash[:12]}, but the stream has none: deleted",
    )


def prefix_problem(seq: int, recorded: HeadRecord, events: Sequence[EventRecord]) -> str | None:
    """What is wrong with a grown stream's ``events`` at the head checkpoint ``seq`` recorded."""
    at = [e for e in events if e.seq == recorded.version]
    if not at:
        return (
            f"checkpoint {seq} recorded {recorded.version} event(s), but event "
            f"{recorded.version} is gone: deleted"
        )
    if at[0].hash != recorded.hash:
        return (
            f"checkpoint {seq} recorded event {recorded.version} with hash "
            f"{recorded.hash[:12]}, now {at[0].hash[:12]}: the stream was edited, reordered "
            "or rewritten"
        )
    return None
