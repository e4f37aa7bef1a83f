"""Stored records are numbered after the stream's version and linked by their hashes."""

from __future__ import annotations

from serviceflow.domain._serialization import GENESIS, chain_hash
from serviceflow.eventlog._chain import chain_records


def test_records_follow_the_version_and_link_to_the_head() -> None:
    items = [("case.a", "t1", '{"n":1}'), ("case.b", "t2", '{"n":2}')]
    first, second = chain_records("C1", 3, "h3", items)
    assert (first.seq, first.type, first.at, first.prev) == (4, "case.a", "t1", "h3")
    assert first.hash == chain_hash("h3", "C1", 4, '{"n":1}')
    assert (second.seq, second.prev) == (5, first.hash)
    assert second.hash == chain_hash(first.hash, "C1", 5, '{"n":2}')


def test_a_new_stream_starts_at_one_from_genesis() -> None:
    (record,) = chain_records("C1", 0, GENESIS, [("case.submitted", "t", "{}")])
    assert (record.seq, record.prev) == (1, GENESIS)
    assert chain_records("C1", 0, GENESIS, []) == ()
