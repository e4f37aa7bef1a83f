"""What a desk remembers: bounded, exact about versions, and never a case it did not write."""

from __future__ import annotations

from datetime import timedelta

from serviceflow import default_policy
from serviceflow.desk._cache import Recent, stored_case
from serviceflow.desk._writes import stream_write
from serviceflow.domain import _commands as cmd
from serviceflow.domain._case import Case
from serviceflow.rules._plan import plan

from ..conftest import START

POLICY = default_policy()


def submitted(case_id: str) -> tuple[Case, str]:
    """A new case as planned and written: the case and its head hash."""
    submit = cmd.Submit(
        case_id=case_id, by="agent:kim", requester="a/b@c.test", channel="web", subject="s"
    )
    (change,) = plan(None, submit, POLICY, START).changes
    after, _, write = stream_write(change, "0" * 64, keep=False)
    assert write.row is not None
    return after, write.row.head


def test_it_keeps_the_last_versions_and_drops_the_least_recent() -> None:
    recent = Recent(size=2)
    cases = [submitted(f"C{n}") for n in range(3)]
    for case, head in cases:
        recent.remember(case, head)
    assert recent.case("C0") is None, "the least recent went"
    assert recent.case("C2") == cases[2]
    assert recent.forget("C2", "C9") == cases[2]
    assert recent.case("C2") is None


def test_a_store_that_keeps_objects_needs_no_case_memory() -> None:
    recent = Recent(keep_cases=False)
    case, head = submitted("C1")
    recent.remember(case, head)
    assert recent.case("C1") is None


def test_a_history_is_kept_for_exactly_its_version() -> None:
    recent = Recent()
    submit = cmd.Submit(
        case_id="C1", by="agent:kim", requester="a/b@c.test", channel="web", subject="s"
    )
    (change,) = plan(None, submit, POLICY, START).changes
    recent.appended(change.after, "h1")
    assert recent.history("C1", 1) is None, "no history given, none kept"
    recent.appended(change.after, "h1", change.history)
    assert recent.history("C1", 1) == change.events
    assert recent.history("C1", 2) is None
    note = cmd.AddNote(case_id="C1", by="agent:kim", text="n")
    later = plan(change.after, note, POLICY, START + timedelta(minutes=1), history=change.events)
    recent.extend_history("C1", 1, later.changes[0].events)
    assert recent.history("C1", 2) == (*change.events, *later.changes[0].events)
    recent.clear(cases=False)
    assert recent.history("C1", 2) is None
    assert recent.case("C1") is not None


def test_a_row_is_read_as_its_kept_version_or_its_document() -> None:
    recent = Recent()
    submit = cmd.Submit(
        case_id="C1", by="agent:kim", requester="a/b@c.test", channel="web", subject="s"
    )
    (change,) = plan(None, submit, POLICY, START).changes
    case, _, write = stream_write(change, "0" * 64, keep=False)
    assert write.row is not None
    assert recent.decode(write.row) == stored_case(write.row) == case
    recent.remember(case, write.row.head)
    assert recent.decode(write.row) is case, "the kept object, not a decoded copy"
