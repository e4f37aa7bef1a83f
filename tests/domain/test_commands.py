"""Command shapes: wrong types, blank actors, bad ids and unstorable text are caught first."""

from __future__ import annotations

import pytest

from serviceflow.domain import _commands as cmd


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (cmd.AddNote(case_id="C1", by=None, text="t"), "by: required"),  # type: ignore[arg-type]
        (cmd.AddNote(case_id="C1", by="  ", text="t"), "by: required: name who does this"),
        (cmd.Assign(case_id="C1", by="a", to=123), "to: expected text, got int 123"),  # type: ignore[arg-type]
        (
            cmd.Classify(case_id="C1", by="a", confidence=True),
            "confidence: expected a number, got bool True",
        ),
        (
            cmd.Classify(case_id="C1", by="a", confidence="0.5"),  # type: ignore[arg-type]
            "confidence: expected a number, got str '0.5'",
        ),
        (cmd.AddNote(case_id=7, by="a", text="t"), "case_id: expected text, got int 7"),  # type: ignore[arg-type]
        (cmd.AddNote(case_id="C1", by="a", text="\ud800"), "text: contains a lone surrogate"),
        (cmd.AddNote(case_id="C1", by="a", text="a\x00b"), "text: contains a NUL character"),
        (
            cmd.Submit(case_id="a/b", by="", requester="r", channel="web", subject="s"),
            "case_id: 'a/b' is not a valid id",
        ),
        (cmd.Submit(case_id="x" * 65, by="", requester="r", channel="web", subject="s"), "case_id"),
        (cmd.Merge(case_id="C1", by="a", into="../etc"), "into: '../etc' is not a valid case id"),
        (
            cmd.Submit(case_id="C1", by="", requester=None, channel="web", subject="s"),  # type: ignore[arg-type]
            "requester: required",
        ),
    ],
)
def test_shape_problems(command: cmd.Command, problem: str) -> None:
    problems = cmd.shape_problems(command)
    assert any(p.startswith(problem) for p in problems), problems


def test_good_commands_have_no_problems() -> None:
    assert cmd.shape_problems(cmd.Classify(case_id="C-1.a:b_c", by="agent:kim", confidence=1)) == []
    assert cmd.shape_problems(cmd.ClientReply(case_id="C1", by="", message="hi")) == []
    assert cmd.shape_problems(cmd.Confirm(case_id="C1", by="")) == []
    submit = cmd.Submit(case_id="EXT-1", by="", requester="a/b@c", channel="web", subject="s")
    assert cmd.shape_problems(submit) == []


def test_every_shape_problem_is_listed() -> None:
    problems = cmd.shape_problems(cmd.Assign(case_id="C1", by="", to=123))  # type: ignore[arg-type]
    assert [p.partition(":")[0] for p in problems] == ["to", "by"]
