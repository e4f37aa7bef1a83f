"""Decide is pure: the same inputs give the same events; bad input is refused with reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve as evolve_case

from serviceflow import InvalidTransition, NotAuthorized, NotFound, ValidationError, default_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.rules._decide import decide, decide_merge
from serviceflow.rules._evolve import fold

from ..conftest import START

POLICY = default_policy()


def _run(*commands: cmd.Command) -> Case:
    case: Case | None = None
    now = START
    for command in commands:
        events = decide(case, command, POLICY, now)
        case = fold(events, case)
        now += timedelta(minutes=5)
    assert case is not None
    return case


SUBMIT = cmd.Submit(
    case_id="C1",
    by="client:acme/jane@acme.test",
    requester="acme/jane@acme.test",
    channel="email",
    subject="Invoice wrong",
    category="billing",
)


def test_submit_records_intake_data_and_tier() -> None:
    [event] = decide(None, SUBMIT, POLICY, START)
    assert isinstance(event, ev.Submitted)
    assert (event.case_id, event.tier, event.policy, event.at, event.by) == (
        "C1",
        "standard",
        POLICY.version,
        START,
        "client:acme/jane@acme.test",
    )
    premium = cmd.Submit(
        case_id="C2", by="x", requester="globex/a@b", channel="web", subject="s", tier="premium"
    )
    assert decide(None, premium, POLICY, START)[0].tier == "premium"  # type: ignore[attr-defined]


def test_submit_lists_every_bad_field() -> None:
    bad = cmd.Submit(
        case_id="C1",
        by="x",
        requester=" ",
        channel="fax",
        subject="",
        category="misc",
        kind="bug",
        impact="huge",
        urgency="now",
        tier="gold",
    )
    with pytest.raises(ValidationError) as info:
        decide(None, bad, POLICY, START)
    assert info.value.problems == (
        "requester: required, must not be empty",
        "subject: required, must not be empty",
        "channel: expected one of email, web, chat, phone, api, got 'fax'",
        "category: expected one of outage, billing, access, functional, howto, got 'misc'",
        "kind: expected one of incident, service_request, question, complaint, got 'bug'",
        "impact: expected one of high, medium, low, got 'huge'",
        "urgency: expected one of high, medium, low, got 'now'",
        "tier: expected one of standard, premium, got 'gold'",
    )
    assert str(info.value).startswith("cannot submit case C1:")


def test_submit_twice_and_commands_on_missing_cases() -> None:
    case = _run(SUBMIT)
    with pytest.raises(ValidationError, match="already exists"):
        decide(case, SUBMIT, POLICY, START)
    with pytest.raises(NotFound, match="case 'C9' does not exist"):
        decide(None, cmd.AddNote(case_id="C9", by="x", text="t"), POLICY, START)


def test_decide_is_deterministic() -> None:
    case = _run(SUBMIT)
    command = cmd.Classify(case_id="C1", by="agent:kim", kind="incident")
    assert decide(case, command, POLICY, START) == decide(case, command, POLICY, START)


def test_classify_uses_intake_category_and_requires_both() -> None:
    case = _run(SUBMIT, cmd.Classify(case_id="C1", by="agent:kim", kind="incident"))
    assert (case.state, case.category, case.kind) == ("classified", "billing", "incident")
    with pytest.raises(ValidationError, match="kind: required"):
        _run(SUBMIT, cmd.Classify(case_id="C1", by="agent:kim"))
    with pytest.raises(ValidationError, match="confidence: must be between 0 and 1"):
        _run(SUBMIT, cmd.Classify(case_id="C1", by="a", kind="incident", confidence=2.0))


def test_prioritize_by_matrix_or_manually_with_reason() -> None:
    base = (SUBMIT, cmd.Classify(case_id="C1", by="a", kind="incident"))
    case = _run(*base, cmd.Prioritize(case_id="C1", by="a", impact="high", urgency="medium"))
    assert (case.priority, case.impact, case.urgency) == ("high", "high", "medium")
    manual = _run(
        *base, cmd.Prioritize(case_id="C1", by="lead:ana", priority="critical", reason="CEO asked")
    )
    assert (manual.priority, manual.priority_reason) == ("critical", "CEO asked")
    with pytest.raises(ValidationError, match="reason: required"):
        _run(*base, cmd.Prioritize(case_id="C1", by="a", priority="critical"))
    with pytest.raises(
        ValidationError, match="priority: expected one of critical, high, medium, low"
    ):
        _run(*base, cmd.Prioritize(case_id="C1", by="a", priority="p0", reason="r"))
    with pytest.raises(ValidationError, match="impact: required"):
        _run(*base, cmd.Prioritize(case_id="C1", by="a", urgency="high"))


def test_prioritize_before_classification_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="cannot prioritize in state 'intake'"):
        _run(SUBMIT, cmd.Prioritize(case_id="C1", by="a", impact="high", urgency="high"))


def _assigned() -> tuple[cmd.Command, ...]:
    return (
        SUBMIT,
        cmd.Classify(case_id="C1", by="a", kind="incident"),
        cmd.Prioritize(case_id="C1", by="a", impact="low", urgency="low"),
        cmd.Assign(case_id="C1", by="lead", to="agent:kim"),
    )


def test_assign_and_transfer() -> None:
    case = _run(*_assigned(), cmd.Assign(case_id="C1", by="lead", to="agent:sam"))
    assert (case.state, case.assignee, case.transfer_count) == ("assigned", "agent:sam", 1)
    with pytest.raises(ValidationError, match="already assigned to agent:kim"):
        _run(*_assigned(), cmd.Assign(case_id="C1", by="lead", to="agent:kim"))


def test_communication_flow() -> None:
    with pytest.raises(InvalidTransition, match="has not been acknowledged"):
        _run(*_assigned(), cmd.Resolve(case_id="C1", by="k", resolution="r"))
    with pytest.raises(InvalidTransition, match="cannot request_info in state 'assigned'"):
        _run(*_assigned(), cmd.RequestInfo(case_id="C1", by="k", message="?"))
    case = _run(
        *_assigned(),
        cmd.Acknowledge(case_id="C1", by="k", message="hi"),
        cmd.RequestInfo(case_id="C1", by="k", message="?"),
    )
    assert case.state == "waiting_on_client"
    with pytest.raises(ValidationError, match="message: required"):
        _run(*_assigned(), cmd.Acknowledge(case_id="C1", by="k", message=""))


def _resolved() -> tuple[cmd.Command, ...]:
    return (
        *_assigned(),
        cmd.Acknowledge(case_id="C1", by="k", message="hi"),
        cmd.Resolve(case_id="C1", by="k", resolution="fixed"),
    )


def test_validation_then_confirmation_closes() -> None:
    case = _run(
        *_resolved(), cmd.Validate(case_id="C1", by="qa"), cmd.Confirm(case_id="C1", by="client")
    )
    assert case.state == "closed"
    assert case.closed_at is not None


def test_confirmation_then_validation_closes() -> None:
    case = _run(*_resolved(), cmd.Confirm(case_id="C1", by="client"))
    assert (case.state, case.confirmed_at is not None) == ("resolved", True)
    events = decide(case, cmd.Validate(case_id="C1", by="qa"), POLICY, START + timedelta(hours=2))
    expected: list[type[ev.Event]] = [ev.Validated, ev.Closed]
    assert [type(e) for e in events] == expected
    assert events[1].reason == "client_confirmed"  # type: ignore[attr-defined]


def test_close_needs_confirmation_or_timeout() -> None:
    validated = _run(*_resolved(), cmd.Validate(case_id="C1", by="qa"))
    close = cmd.Close(case_id="C1", by="system")
    with pytest.raises(InvalidTransition, match="auto-confirm window has not passed"):
        decide(validated, close, POLICY, START + timedelta(hours=1))
    [closed] = decide(validated, close, POLICY, START + timedelta(days=4))
    assert closed.reason == "auto_confirmed"  # type: ignore[attr-defined]


def test_reject_sends_back_to_work_and_clears_resolution() -> None:
    case = _run(*_resolved(), cmd.Reject(case_id="C1", by="qa", reason="wrong fix"))
    assert (case.state, case.resolved_at, case.resolution) == ("in_progress", None, None)


def test_reopen_counts_and_window() -> None:
    closed = _run(
        *_resolved(), cmd.Validate(case_id="C1", by="qa"), cmd.Confirm(case_id="C1", by="c")
    )
    reopen = cmd.Reopen(case_id="C1", by="client", reason="again")
    [event] = decide(closed, reopen, POLICY, START + timedelta(days=3))
    after = fold([event], closed)
    assert after is not None
    assert (after.state, after.reopen_count, after.closed_at, after.confirmed_at) == (
        "in_progress",
        1,
        None,
        None,
    )
    with pytest.raises(InvalidTransition, match="reopen window"):
        decide(closed, reopen, POLICY, START + timedelta(days=30))
    with pytest.raises(ValidationError, match="reason: required"):
        decide(
            closed, cmd.Reopen(case_id="C1", by="c", reason=""), POLICY, START + timedelta(days=3)
        )


def test_cancel_and_terminal_states() -> None:
    case = _run(SUBMIT, cmd.Cancel(case_id="C1", by="client", reason="mistake"))
    assert case.state == "cancelled"
    with pytest.raises(InvalidTransition, match=r"allowed here: none \(terminal state\)"):
        decide(case, cmd.AddNote(case_id="C1", by="a", text="t"), POLICY, START)


def test_merge_needs_both_cases_and_live_target() -> None:
    source = _run(SUBMIT)
    target = _run(cmd.Submit(case_id="C2", by="c", requester="a/b@c", channel="web", subject="s"))
    merge = cmd.Merge(case_id="C1", by="agent", into="C2")
    with pytest.raises(ValidationError, match="merge needs both cases"):
        decide(source, merge, POLICY, START)
    left, right = decide_merge(source, target, merge, POLICY, START)
    assert left == [ev.Merged(into="C2", at=START, by="agent", policy=POLICY.version)]
    assert right == [
        ev.DuplicateMerged(duplicate="C1", at=START, by="agent", policy=POLICY.version)
    ]
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        decide_merge(source, source, cmd.Merge(case_id="C1", by="a", into="C1"), POLICY, START)
    with pytest.raises(NotFound):
        decide_merge(source, None, merge, POLICY, START)
    cancelled = _run(
        cmd.Submit(case_id="C2", by="c", requester="a/b@c", channel="web", subject="s"),
        cmd.Cancel(case_id="C2", by="c", reason="r"),
    )
    with pytest.raises(
        ValidationError, match="into: case C2 is cancelled; duplicates go into a live"
    ):
        decide_merge(source, cancelled, merge, POLICY, START)
    merged = _run(
        cmd.Submit(case_id="C2", by="c", requester="a/b@c", channel="web", subject="s"),
        cmd.AddNote(case_id="C2", by="c", text="t"),
    )
    merged = evolve_case(merged, state="merged", merged_into="C7")
    with pytest.raises(ValidationError, match="C2 was itself merged into C7; merge into that"):
        decide_merge(source, merged, merge, POLICY, START)


def test_unknown_command_type() -> None:
    class Teleport(cmd.Command):
        pass

    with pytest.raises(ValidationError, match="Teleport is not a case command"):
        decide(_run(SUBMIT), Teleport(case_id="C1", by="x"), POLICY, START)


def test_decide_alone_says_whether_a_command_is_allowed_authority_included() -> None:
    spoofed = evolve_case(SUBMIT, by="client:jane@acme.test")
    with pytest.raises(NotAuthorized, match="needs to be that requester"):
        decide(None, spoofed, POLICY, START)
    with pytest.raises(NotFound):
        decide(None, cmd.AddNote(case_id="C9", by="agent:kim", text="x"), POLICY, START)
