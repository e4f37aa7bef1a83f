"""The policy's size limits on a command, and the rule for a lagging clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from serviceflow.domain import _commands as cmd
from serviceflow.domain.policy._limits import Limits, limits_problems
from serviceflow.errors import ClockBehind, ValidationError
from serviceflow.rules._limits import check_limits, not_before, text_problems

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_each_field_is_held_to_its_limit() -> None:
    limits = Limits(subject=5, text=10, name=8, fields=1, field_value=3, tags=1)
    check_limits(cmd.AddNote(case_id="C1", by="agent:k", text="ten chars!"), limits)
    command = cmd.Submit(
        case_id="C1",
        by="",
        requester="acme/j@x",
        channel="web",
        subject="subject",
        description="d" * 11,
        fields={"a": "long", "b": "x"},
    )
    with pytest.raises(ValidationError) as refused:
        check_limits(command, limits)
    assert refused.value.problems == (
        "subject: 7 characters, more than the policy allows (5, $.limits.subject)",
        "description: 11 characters, more than the policy allows (10, $.limits.text)",
        "fields: 2 entries, more than the policy allows (1, $.limits.fields)",
        "fields.a: 4 characters, more than the policy allows (3, $.limits.field_value)",
    )
    with pytest.raises(ValidationError, match=r"tags: 2 entries"):
        check_limits(cmd.Classify(case_id="C1", by="a:b", tags=("x", "y")), limits)


def test_a_clock_a_little_behind_takes_the_last_event_time() -> None:
    limits = Limits(clock_skew=timedelta(minutes=5))
    assert not_before(None, T0, limits, "x") == T0
    assert not_before(T0 - timedelta(hours=1), T0, limits, "x") == T0
    assert not_before(T0 + timedelta(minutes=5), T0, limits, "x") == T0 + timedelta(minutes=5)
    with pytest.raises(ClockBehind, match=r"note case C1: .* by 0:05:01"):
        not_before(T0 + timedelta(minutes=5, seconds=1), T0, limits, "note case C1")


def test_text_of_a_record_is_storable_and_within_the_limit() -> None:
    @attrs.frozen
    class Record:
        title: str
        terms: tuple[str, ...]
        count: int

    assert text_problems(Record("ok", ("a",), 1), 5) == []
    assert text_problems(Record("a\x00", ("toolong",), 1), 5) == [
        "title: contains a NUL character (U+0000), which no store keeps alike",
        "terms: 7 characters, more than the policy allows (5, $.limits.text)",
    ]


def test_limits_are_bounded() -> None:
    assert list(limits_problems(Limits())) == []
    assert list(limits_problems(Limits(text=0, clock_skew=timedelta(hours=2)))) == [
        "$.limits.text: must be between 1 and 10,000,000, got 0",
        "$.limits.clock_skew: must be at most 1h, got 2h",
    ]
