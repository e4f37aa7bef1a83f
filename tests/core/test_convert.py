"""The converter's refusals: in the words of the file a person wrote, every one with its path,
and every problem of a document in one run."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from importlib import resources
from typing import Any, Literal

import pytest
from attrs import frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow.core._convert import (
    canonical_json,
    holds_floats,
    record_json,
    shown,
    structure_checked,
    wanted,
)
from serviceflow.domain.policy import Policy, load_policy
from serviceflow.errors import PolicyError, ValidationError

Path = tuple[str | int, ...]
"""Where a value sits in a TOML document: keys of tables and indexes of lists."""

DEFAULT: dict[str, Any] = tomllib.loads(
    resources.files("serviceflow.domain.policy").joinpath("default_policy.toml").read_text("utf-8")
)
RICH_TOML = """
canned = { greeting = "Thank you, we are looking into it." }

[calendars.office]
zone = "Europe/Berlin"
holidays = [2026-12-24]
week = { mon = ["09:00-17:00"], tue = ["09:00-12:00", "13:00-17:00"] }

[[sla]]
name = "critical"
when = { priority = ["critical"] }
[sla.targets.first_response]
within = "15m"
[sla.targets.resolution]
within = "4h"
time = "calendar"

[[sla]]
name = "standard"
calendar = "office"
[sla.targets.resolution]
within = "2d"
warnings = [0.5, 0.9]
pause_in = ["waiting_on_client"]
reopen = "resume"

[[roles]]
name = "lead"
actors = ["lead:*"]

[[guardrails]]
name = "critical closes on confirmation"
commands = ["close"]
when = { priority = ["critical"] }
require = ["confirmed"]
message = "a critical case is closed by its client"

[[classification]]
name = "printer jam"
confidence = 0.95
when = { subject = ["jam"], channel = ["email"], fields = { plan = ["gold"] } }
then = { category = "functional", kind = "incident", urgency = "high", tags = ["printer"] }

[[agents]]
id = "agent:ann"
teams = ["billing"]
skills = { billing = 4 }
languages = ["en"]
capacity = { email = 5, "*" = 3 }
calendar = "office"
away = [{ start = 2026-03-09T00:00:00+01:00, end = 2026-03-14T00:00:00+01:00 }]

[[queues]]
name = "billing"
when = { category = ["billing"] }
skills = { billing = 2 }

[[queues]]
name = "everything else"

[escalation]
process_owner = "agent:olga"
min_dwell = "15m"
max_bounces = 3

[[escalation.tiers]]
name = "frontline"
level = 1
teams = ["support"]

[[escalation.tiers]]
name = "technical"
level = 2
acknowledge_within = "30m"
update_every = "2h"
calendar = "office"
warnings = [0.75]

[[escalation.rules]]
on = "sla_breach"
metric = "resolution"
to = "next"

[[escalation.raci]]
category = "billing"
responsible = "technical"
accountable = "agent:fiona"
informed = ["agent:kam"]

[[quality.rubrics]]
name = "email"
criteria = [
  { name = "verified_identity", weight = 3, kind = "compliance", max = 1, critical = true },
  { name = "empathy", weight = 2, kind = "soft_skill", max = 5 },
]
"""
"""Sections the default leaves empty, filled in as the docs show, so deeper types are tried."""


def merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s sections laid over it (a table's keys one by one)."""
    data = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), Mapping):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


RICH = merged(DEFAULT, tomllib.loads(RICH_TOML))
DOCUMENTS = (DEFAULT, RICH)
LEAKS = re.compile(
    r"unknown error|object has no attribute|<class|NoneType|Traceback|Error\b"
    r"|\b(got|expected) (str|int|float|bool|dict|list|tuple|date|datetime|timedelta)\b"
    r"|datetime\.|\bstr\b|\bint\b|\bdict\b|\btuple\b"
)
"""What a problem must never show: Python's own words for types and failures."""
PROBLEM = re.compile(r"^\$(\.\w+|\[\d+\]|\['[^']*'\])+: \S")
"""A structural problem: its path (fields, indexes, quoted keys), then what is wrong."""
ANY_PATH = re.compile(r"^\$[.\[].*?: \S")
"""Any problem: checks across sections name a person's values in their paths as written."""


def problems(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The problems ``load_policy`` lists for ``data`` (fails the test if it loads)."""
    with pytest.raises(PolicyError) as info:
        load_policy(data)
    return info.value.problems


def with_value(path: Path, value: Any, base: Mapping[str, Any] = DEFAULT) -> dict[str, Any]:
    """The ``base`` policy document (the default) with ``value`` at ``path``."""
    data = copy.deepcopy(dict(base))
    put(data, path, value)
    return data


def put(data: Any, path: Path, value: Any) -> None:
    """Set ``value`` at ``path`` in ``data``; one index past a list's end appends."""
    *parents, last = path
    for step in parents:
        data = data[step]
    if isinstance(last, int) and last == len(data):
        data.append(value)
    else:
        data[last] = value


def at(document: Any, path: Path) -> Any:
    """The value at ``path`` in ``document``."""
    for step in path:
        document = document[step]
    return document


def paths(document: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in ``document`` that holds a value (the root excepted)."""
    if isinstance(document, Mapping):
        items: Any = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        return
    for step, value in items:
        yield (*prefix, step)
        yield from paths(value, (*prefix, step))


def lists(document: Any) -> list[Path]:
    """The places in ``document`` that hold a list."""
    return [path for path in paths(document) if isinstance(at(document, path), list)]


def written(path: Path) -> str:
    """``path`` as problems write it (``$.a.b[0].c``)."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def normal(problem: str) -> str:
    """A problem's path with mapping keys written as fields: ``['high']`` reads ``.high``."""
    return re.sub(r"\['([^']*)'\]", r".\1", problem)


def unquoted(problem: str) -> str:
    """``problem`` without the values it quotes (a person's text may say anything)."""
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "", problem)


def assert_in_words(found: tuple[str, ...], path: re.Pattern[str] = PROBLEM) -> None:
    """Every problem starts with its path and holds none of Python's words."""
    assert found
    for problem in found:
        assert path.match(problem), problem
        assert not LEAKS.search(unquoted(problem)), problem


# --- values of a kind the default policy does not hold at a place --------------------------

scalars = st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.booleans(), st.dates())
text = st.text(max_size=12)
whole = st.integers()
fraction = st.floats().filter(lambda f: not f.is_integer())
flag = st.booleans()
table = st.dictionaries(st.text("abxyz_ ", max_size=6), scalars, max_size=3)
array = st.lists(scalars, max_size=3)
moments = st.one_of(st.dates(), st.datetimes(timezones=st.just(UTC)), st.datetimes())


def wrong_for(value: Any) -> st.SearchStrategy[Any]:
    """Values of another kind than ``value`` that no field holding it accepts (a number is
    never offered for text: a duration may be a number of seconds; nor a fraction for a whole
    number, which may stand for a number; nor text for a date, which may be written as text)."""
    if isinstance(value, bool):
        return st.one_of(text, whole, fraction, table, array)
    if isinstance(value, date):
        return st.one_of(flag, whole, table, array)
    if isinstance(value, int):
        return st.one_of(text, flag, table, array, moments)
    if isinstance(value, float):
        return st.one_of(text, flag, table, array, moments)
    if isinstance(value, str):
        return st.one_of(flag, table, array, moments)
    if isinstance(value, list):
        return st.one_of(text, whole, flag, table)
    return st.one_of(text, whole, flag, array, moments)


@st.composite
def mistakes(draw: st.DrawFn) -> tuple[dict[str, Any], list[Path]]:
    """The default policy with one to three wrong values in independent places: a value
    replaced by one of another kind, or a list given an item that is itself a list."""
    base = draw(st.sampled_from(DOCUMENTS))
    everywhere = list(paths(base))
    chosen: list[Path] = []
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            path = draw(st.sampled_from(everywhere))
            value = draw(wrong_for(at(base, path)))
        else:
            where = draw(st.sampled_from(lists(base)))
            path = (*where, len(at(base, where)))
            value = draw(st.lists(scalars, max_size=2))
        if any(path[: len(p)] == p or p[: len(path)] == path for p in chosen):
            continue  # one mistake inside another: the outer one hides it
        chosen.append(path)
        put(data, path, value)
    return data, chosen


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mistakes())
def test_wrong_values_anywhere_are_refused_in_words_each_at_its_path(
    mistake: tuple[dict[str, Any], list[Path]],
) -> None:
    data, places = mistake
    found = problems(data)
    assert_in_words(found)
    for place in places:
        within = re.compile(re.escape(written(place)) + r"[.\[:]")
        assert any(within.match(normal(p)) for p in found), (place, found)


values = st.recursive(scalars | moments, lambda inner: st.lists(inner, max_size=3) | table)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([(d, p) for d in DOCUMENTS for p in paths(d)]), values)
def test_any_value_anywhere_loads_or_is_refused_in_words(
    place: tuple[dict[str, Any], Path], value: Any
) -> None:
    base, path = place
    try:
        load_policy(with_value(path, value, base))
    except PolicyError as exc:
        assert_in_words(exc.problems, ANY_PATH)


# --- the natural mistakes -------------------------------------------------------------------


def test_the_documents_fuzzed_are_valid() -> None:
    for document in DOCUMENTS:
        load_policy(document)


def test_a_level_written_as_text_says_a_table_was_expected() -> None:
    found = problems(with_value(("priority", "levels", 0), "high"))
    assert found == (
        "$.priority.levels[0]: expected a table (name, description, response), got the text 'high'",
    )


def test_a_table_where_a_list_of_tables_belongs() -> None:
    found = problems(with_value(("categories",), {"name": "outage"}))
    assert found == ("$.categories: expected a list of tables, got a table",)


def test_a_duration_where_a_whole_number_belongs() -> None:
    found = problems(with_value(("tiers", 1, "raise_priority"), "3h"))
    assert found == ("$.tiers[1].raise_priority: expected a whole number, got '3h'",)


def test_a_word_where_true_or_false_belongs() -> None:
    found = problems(with_value(("automation", "classify"), "yes"))
    assert found == ("$.automation.classify: expected true or false, got 'yes'",)


def test_a_duration_of_the_wrong_kind_says_how_durations_are_written() -> None:
    found = problems(with_value(("lifecycle", "reopen_window"), True))
    assert found == (
        "$.lifecycle.reopen_window: expected a duration like '45m', '4h', '1d 2h', 'PT30M' "
        "or a number of seconds, got true",
    )


def test_a_number_where_a_list_belongs() -> None:
    found = problems(with_value(("priority", "impacts"), 3))
    assert found == ("$.priority.impacts: expected a list of texts, got 3",)


def test_a_day_where_a_moment_belongs() -> None:
    away = [{"start": date(2026, 3, 2), "end": "2026-03-03T09:00:00+01:00"}]
    found = problems(with_value(("agents",), [{"id": "agent:ann", "away": away}]))
    assert found == (
        "$.agents[0].away[0].start: expected a date and time with its zone, like "
        "2026-03-02T09:00:00+01:00, got 2026-03-02",
    )


def test_two_independent_mistakes_are_both_reported() -> None:
    data = with_value(("priority", "levels", 1), "high")
    data["sla"] = [{"name": "all", "targets": {"resolution": {"within": "3 fortnights"}}}, "gold"]
    found = problems(data)
    assert found[0] == (
        "$.priority.levels[1]: expected a table (name, description, response), got the text 'high'"
    )
    assert found[1].startswith("$.sla[0].targets['resolution'].within: cannot read '3 fortni")
    assert found[2] == (
        "$.sla[1]: expected a table (name, targets, when, calendar), got the text 'gold'"
    )
    assert len(found) == 3


def test_a_whole_document_of_the_wrong_kind_is_refused_at_its_root() -> None:
    with pytest.raises(ValidationError) as info:
        structure_checked(["name"], Policy, what="policy")
    assert info.value.problems == (
        "$: expected a table (name, kinds, channels, categories, priority, ...), got a list",
    )


# --- the words themselves ------------------------------------------------------------------


class Colour(Enum):
    """An enumeration, to show how its values read."""

    RED = "red"
    GREEN = "green"


@frozen
class Shade:
    """A small attrs class: a table of three keys."""

    colour: Colour
    tone: Literal["light", "dark"] = "light"
    strength: float | None = None


def test_types_read_as_words() -> None:
    assert wanted(int) == "a whole number"
    assert wanted(float) == "a number"
    assert wanted(bool) == "true or false"
    assert wanted(str) == "text"
    assert wanted(tuple[Shade, ...]) == "a list of tables"
    assert wanted(tuple[int, ...]) == "a list of whole numbers"
    assert wanted(Mapping[str, int]) == "a table"
    assert wanted(Shade) == "a table (colour, tone, strength)"
    assert wanted(Colour) == "one of 'red', 'green'"
    assert wanted(Literal["light", "dark"]) == "one of 'light', 'dark'"
    assert wanted(float | None) == "a number"
    assert wanted(date) == "a date like 2026-12-25"


def test_values_read_as_written() -> None:
    assert shown("3h") == "'3h'"
    assert shown(True) == "true"
    assert shown(2.5) == "2.5"
    assert shown({"a": 1}) == "a table"
    assert shown([1]) == "a list"
    assert shown(None) == "nothing"
    assert shown(10**5000) == "a number of more than 60 digits"
    assert shown(datetime(2026, 3, 2, 9, tzinfo=UTC)) == "2026-03-02T09:00:00+00:00"
    assert shown(timedelta(hours=4)) == "'4h'"
    assert shown("x" * 100) == repr("x" * 57 + "...")


def test_enums_and_literals_are_refused_with_their_choices() -> None:
    with pytest.raises(ValidationError) as info:
        structure_checked({"colour": "blue", "tone": "pale", "strength": "max"}, Shade, what="x")
    assert sorted(info.value.problems) == [
        "$.colour: expected one of 'red', 'green'",
        "$.strength: expected a number, got 'max'",
        "$.tone: expected one of 'light', 'dark'",
    ]


def test_a_key_that_is_not_text_says_it_is_the_key() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy({"canned": {1: "hello"}})
    assert info.value.problems == ("$.canned[1]: the key: expected text, got 1",)


_JSONABLE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=())),  # lone surrogates too
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_JSONABLE)
def test_canonical_json_is_the_standard_encoders_text_whatever_the_data(data: object) -> None:
    standard = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode(data)
    assert canonical_json(data) == standard


@frozen
class _Plain:
    name: str
    count: int
    at: datetime | None
    tags: tuple[str, ...]
    inner: _Plain | None = None


@frozen
class _Scored:
    score: float | None


class _Ratio(Enum):
    HALF = 0.5


@pytest.mark.parametrize(
    ("kind", "holds"),
    [
        (_Plain, False),  # text, numbers, times, tuples, and itself
        (_Scored, True),
        (tuple[_Plain, ...], False),
        (Mapping[str, _Scored], True),
        (Mapping[str, Any], True),  # anything may be a float
        (_Ratio, True),
        (Literal["a", "b"], False),
        (object, True),
    ],
)
def test_holds_floats_reads_the_declared_types(kind: Any, holds: bool) -> None:
    assert holds_floats(kind) is holds


def test_data_of_a_floatless_record_is_written_without_a_search() -> None:
    record = _Plain("Zoë", 3, datetime(2026, 3, 2, 9, tzinfo=UTC), ("a",), _Plain("x", 1, None, ()))
    data = record_json(record)
    assert canonical_json(data, floats=False) == canonical_json(data)
    assert json.loads(canonical_json(data, floats=False))["inner"]["name"] == "x"
