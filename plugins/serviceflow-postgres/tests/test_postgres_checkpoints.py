"""Checkpoints on PostgreSQL: raw-SQL tampering (psycopg) that each stream's own chain misses
is caught by ``verify_all``, and replacing the newest checkpoint only by the anchor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql
from serviceflow import ManualClock, NotAuthorized, ServiceDesk, load_policy
from serviceflow.eventlog import CHAIN, audit_stream
from serviceflow.testing.tampering import Tamperer

import serviceflow_postgres
from serviceflow_postgres.address import parse_address

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY_ONE = audit_stream(date(2026, 3, 2))
DAY_TWO = audit_stream(date(2026, 3, 3))
ROLES = {"roles": [{"name": "agent", "actors": ["agent:*"]}]}
"""Only agents may act: a stranger's command is refused and lands in the audit stream."""


@pytest.fixture
def desk(pg_url: str) -> Iterator[ServiceDesk]:
    """A governed desk (strangers are refused): two cases, refusals on two days, a checkpoint."""
    clock = ManualClock(START)
    opened = ServiceDesk.open(
        pg_url,
        policy=load_policy(ROLES),
        clock=clock,
        plugins=[serviceflow_postgres],
        entry_points=False,
    )
    try:
        ids = [
            opened.submit(requester="acme/jane@acme.test", channel="email", subject=f"s{i}").id
            for i in range(2)
        ]
        for case_id in ids:
            opened.note(case_id, by="agent:kim", text="looking")
            with pytest.raises(NotAuthorized):
                opened.note(case_id, by="stranger", text="let me in")
        clock.advance(days=1)
        with pytest.raises(NotAuthorized):
            opened.note(ids[1], by="stranger", text="again")
        opened.checkpoint()
        yield opened
    finally:
        opened.close()


@pytest.fixture
def tamper(desk: ServiceDesk) -> Iterator[Tamperer]:
    address = parse_address(desk.store.url)
    with psycopg.connect(address.conninfo, autocommit=True) as conn:
        conn.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(address.schema)))

        def run(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
            cursor = conn.execute(statement.replace("?", "%s"), tuple(params))
            return cursor.fetchall() if cursor.description is not None else []

        yield Tamperer(desk, run)


def problems(desk: ServiceDesk, anchor: str | None = None) -> dict[str, tuple[str, ...]]:
    return {v.case_id: v.problems for v in desk.verify_all(anchor=anchor) if not v.ok}


def cases(desk: ServiceDesk) -> list[str]:
    return [c.id for c in desk.cases()]


def test_untouched_it_verifies(desk: ServiceDesk) -> None:
    assert problems(desk) == {}


def test_the_last_refusal_of_a_day_deleted(desk: ServiceDesk, tamper: Tamperer) -> None:
    tamper.truncate(DAY_ONE, keep=1)
    assert desk.verify(DAY_ONE).ok
    assert "events deleted (truncated)" in problems(desk)[DAY_ONE][0]


def test_a_whole_audit_day_deleted(desk: ServiceDesk, tamper: Tamperer) -> None:
    tamper.delete(DAY_TWO)
    assert "deleted" in problems(desk)[DAY_TWO][0]


def test_a_case_cut_with_its_row_fixed_up(desk: ServiceDesk, tamper: Tamperer) -> None:
    first = cases(desk)[0]
    tamper.truncate(first, keep=1)
    assert desk.verify(first).ok
    assert list(problems(desk)) == [first]


def test_a_whole_case_deleted(desk: ServiceDesk, tamper: Tamperer) -> None:
    second = cases(desk)[1]
    tamper.delete(second)
    assert list(problems(desk)) == [second]


def test_an_edit_and_a_reorder_with_recomputed_chains(desk: ServiceDesk, tamper: Tamperer) -> None:
    tamper.swap(DAY_ONE, 1, 2)
    tamper.edit(DAY_TWO, 1, "stranger", "someone")
    found = problems(desk)
    assert "edited, reordered or rewritten" in found[DAY_ONE][0]
    assert "edited, reordered or rewritten" in found[DAY_TWO][0]


def test_a_checkpoint_deleted(desk: ServiceDesk, tamper: Tamperer) -> None:
    desk.checkpoint()
    desk.checkpoint()
    tamper.drop_checkpoint(2)
    assert problems(desk) == {CHAIN: ("checkpoint 2 is missing (found 3 next): deleted",)}


def test_the_newest_checkpoint_replaced(desk: ServiceDesk, tamper: Tamperer) -> None:
    anchor = desk.checkpoint().hash
    tamper.truncate(DAY_ONE, keep=1)
    tamper.drop_checkpoint(2)
    tamper.drop_checkpoint(1)
    desk.checkpoint()
    assert problems(desk) == {}
    assert "no stored checkpoint has this hash" in problems(desk, anchor)[CHAIN][0]
