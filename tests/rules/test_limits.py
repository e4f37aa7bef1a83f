"""The policy's size limits on a command, and the rule for a lagging clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow.domain import _commands as cmd
from serviceflow.domain.policy._limits import Limits, limits_problems
from serviceflow.errors import ClockBehind, ValidationError
from serviceflow.rules._limits import check_limits, not_before, plainly_within, text_problems

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


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="ascii"), min_size=9, max_size=20),
    st.sampled_from(["ok", "agent:kim", "a\x00b", "\ud800", "Zoë", "", " "]),
    st.just(()),
    st.just({}),
    st.tuples(st.text(max_size=3)),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.integers(),
    st.floats(),
)


@given(st.sampled_from(sorted(cmd.COMMANDS.values(), key=lambda c: c.NAME)), st.data())
def test_a_command_passed_plainly_has_nothing_the_full_checks_would_refuse(
    kind: type[cmd.Command], data: st.DataObject
) -> None:
    limits = Limits(subject=8, text=10, name=9, fields=1, field_value=3, tags=1)
    command = object.__new__(kind)
    shapes = cmd.field_types(kind)
    odd = data.draw(st.sampled_from([n for n, _, _ in shapes]), label="the field that may be odd")
    for name, kinds, optional in shapes:
        value = data.draw(_VALUES, label=name) if name == odd else _plain(kinds, optional)
        object.__setattr__(command, name, value)
    if plainly_within(command, limits):
        assert cmd.shape_problems(command) == cmd.shape_problems(command, fields_fit=True)
        check_limits(command, limits)


def _plain(kinds: tuple[type, ...], optional: bool) -> object:
    """A value of a field's declared type that no check refuses."""
    if str in kinds:
        return "ok"
    if optional:
        return None
    return () if tuple in kinds else {} if Mapping in kinds else 0
