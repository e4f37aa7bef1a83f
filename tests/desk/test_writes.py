"""A plan's change in the store's terms: chained records, row, changed columns, timers, outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from serviceflow import default_policy, load_policy
from serviceflow.desk._writes import changed_columns, stream_write
from serviceflow.domain import _commands as cmd
from serviceflow.domain._serialization import GENESIS, chain_hash
from serviceflow.eventlog._store import INDEXED_COLUMNS
from serviceflow.rules._plan import plan

from ..conftest import START

TIMED = load_policy({"sla": [{"name": "all", "targets": {"resolution": {"within": "8h"}}}]})
SUBMIT = cmd.Submit(
    case_id="C1", by="agent:kim", requester="a/b@c.test", channel="web", subject="s"
)


def test_records_are_chained_from_the_head_and_the_row_follows_them() -> None:
    (change,) = plan(None, SUBMIT, default_policy(), START).changes
    after, events, write = stream_write(change, GENESIS, keep=False)
    (record,) = write.events
    assert (write.stream, write.expected, record.seq, record.prev) == ("C1", 0, 1, GENESIS)
    assert record.hash == chain_hash(GENESIS, "C1", 1, record.data)
    assert write.row is not None
    assert (write.row.version, write.row.head) == (1, record.hash)
    assert write.changed == INDEXED_COLUMNS, "a new case writes every indexed column"
    assert write.timers is None
    assert write.outbox == ()
    assert (after, events) == (change.after, change.events)


def test_only_the_columns_that_changed_are_written() -> None:
    (first,) = plan(None, SUBMIT, default_policy(), START).changes
    note = cmd.Classify(case_id="C1", by="agent:kim", category="billing", kind="incident")
    (second,) = plan(first.after, note, default_policy(), START).changes
    assert changed_columns(first.after, second.after) == {"state", "category"}
    _, _, kept = stream_write(second, "h", keep=True)
    assert kept.changed == INDEXED_COLUMNS, "a store that keeps objects gets them all"


def test_timers_carry_the_new_version_and_messages_their_due_time() -> None:
    (change,) = plan(None, SUBMIT, TIMED, START).changes
    _, _, write = stream_write(change, GENESIS, keep=False)
    assert write.timers
    assert {t.version for t in write.timers} == {2}, "submitted, then its level applied"
    assert {t.metric for t in write.timers} == {"resolution"}
    breach = datetime.fromisoformat(max(t.due for t in write.timers))
    target = START + timedelta(hours=8)
    assert target < breach <= target + timedelta(milliseconds=1), "just past the target"
