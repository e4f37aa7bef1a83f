"""Plain arguments of public entry points: checked against their annotations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from serviceflow.core._arguments import checked, day, flag, text_problems, whole_number
from serviceflow.errors import ValidationError


@checked
def _call(
    name: str,
    count: int = 0,
    share: float = 0.5,
    at: datetime | None = None,
    on: date | None = None,
    every: timedelta = timedelta(0),
    ids: Sequence[str] = (),
    table: Mapping[str, str] | None = None,
    pair: tuple[datetime, datetime] | None = None,
) -> str:
    return name


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"name": 5}, "name: expected text, got int 5"),
        ({"name": "a\x00"}, "name: contains a NUL character"),
        ({"name": "a", "count": True}, "count: expected a whole number, got bool True"),
        ({"name": "a", "share": float("nan")}, "share: expected a finite number"),
        ({"name": "a", "at": datetime(2026, 1, 1)}, "at: expected a timezone-aware"),  # noqa: DTZ001
        ({"name": "a", "on": datetime(2026, 1, 1, tzinfo=UTC)}, "on: expected a date"),
        ({"name": "a", "every": 30}, "every: expected a timedelta"),
        ({"name": "a", "ids": "abc"}, "ids: expected a list, got str"),
        ({"name": "a", "ids": ["x", 1]}, "ids[1]: expected text"),
        ({"name": "a", "table": ["x"]}, "table: expected a mapping (a table) or None"),
        ({"name": "a", "table": {"k": 1}}, "table.k: expected text"),
        ({"name": "a", "pair": (datetime.now(UTC),)}, "pair: expected a pair"),
    ],
)
def test_a_wrong_argument_is_named(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match="cannot call _call") as refused:
        _call(**kwargs)  # type: ignore[arg-type]
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_right_arguments_pass_and_a_call_python_refuses_stays_a_type_error() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    assert _call("a", 3, 1, at, date(2026, 3, 2), timedelta(1), ["x"], {"k": "v"}, (at, at)) == "a"
    with pytest.raises(TypeError):
        _call("a", nope=1)  # type: ignore[call-arg]


def test_the_plain_checks() -> None:
    assert whole_number(5, "limit", low=1) == 5
    with pytest.raises(ValidationError, match=r"limit: expected 1 to 10, got 1e\+30"):
        whole_number(10**30, "limit", low=1, high=10)
    assert day(date(2026, 3, 2), "day") == date(2026, 3, 2)
    with pytest.raises(ValidationError, match="day: expected a date"):
        day("2026-03-02", "day")
    assert flag(False, "deliver") is False
    with pytest.raises(ValidationError, match="deliver: expected True or False"):
        flag(0, "deliver")
    assert text_problems("q", "fine") == []
    assert text_problems("q", "\ud800") == [
        "q: contains a lone surrogate (U+D800), which is not text"
    ]
