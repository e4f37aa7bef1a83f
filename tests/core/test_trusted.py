"""The fast reader of stored records: what it reads equals what the checked path reads, and
anything odd it leaves to the checked path (which says what is wrong)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from serviceflow.core._convert import converter, structure_checked
from serviceflow.core._trusted import structure_trusted
from serviceflow.domain._case import Case, Escalation
from serviceflow.domain._serialization import encode_case, encode_event
from serviceflow.errors import ValidationError

from ..domain.test_serialization import SAMPLES

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CASE = Case(
    id="C-1",
    state="in_progress",
    version=7,
    requester="acme/jane@acme.test",
    channel="email",
    subject="VPN drops",
    description="Every hour",
    tier="L1",
    submitted_at=AT,
    updated_at=AT,
    policy="p1",
    priority="high",
    fields={"name": "Jane", "site": "Berlin"},
    tags=("vpn",),
    duplicates=("C-0",),
    escalation=Escalation(tier="L2", since=AT, status="accepted", number=1, path=("L1", "L2")),
)
RECORDS: list[tuple[type, dict[str, Any]]] = [
    (Case, json.loads(encode_case(CASE))),
    *[(type(e), json.loads(encode_event(e))) for e in SAMPLES],
]
"""Stored forms of a case and of every sample event, as the stores keep them."""


def _event_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("type", "v")}


@pytest.mark.parametrize(("cls", "data"), RECORDS, ids=lambda x: getattr(x, "__name__", ""))
def test_a_stored_record_reads_as_the_checked_path_reads_it(
    cls: type, data: dict[str, Any]
) -> None:
    stored = _event_data(data)
    fast = structure_trusted(stored, cls)
    assert fast is not None, "the common record takes the fast path"
    assert fast == structure_checked(stored, cls, what="read")


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.sampled_from(
        ["2026-03-02T09:30:00", "2026-03-02T09:30:00+01:00", "2026-03-02T09:30:00+00:00", "x"]
    ),
    st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.text(max_size=3), st.integers()), max_size=2),
)


@given(st.sampled_from(RECORDS), st.data())
def test_what_the_fast_path_accepts_the_checked_path_reads_alike(
    record: tuple[type, dict[str, Any]], data: st.DataObject
) -> None:
    cls, stored = record[0], _event_data(record[1])
    key = data.draw(st.sampled_from([*stored, "extra"]), label="the field made odd")
    odd = {**stored, key: data.draw(_ODD, label="its value")}
    if data.draw(st.booleans(), label="or left out"):
        odd.pop(key)
    fast = structure_trusted(odd, cls)
    if fast is not None:
        assert fast == structure_checked(odd, cls, what="read")


@frozen
class _Unknown:
    ratio: complex


@frozen
class _Known:
    name: Literal["a", "b"]
    score: float
    labels: Mapping[str, int]
    nested: _Known | None = None


def test_a_field_it_does_not_know_leaves_the_whole_record_to_the_checked_path() -> None:
    assert structure_trusted({"ratio": 1}, _Unknown) is None


def test_literals_numbers_mappings_and_nesting() -> None:
    data = {
        "name": "a",
        "score": 3,
        "labels": {"x": 1},
        "nested": {"name": "b", "score": 0.5, "labels": {}},
    }
    read = structure_trusted(data, _Known)
    assert read == converter.structure(data, _Known)
    assert isinstance(read, _Known)
    assert type(read.score) is float
    assert attrs.asdict(read)["nested"]["score"] == 0.5
    assert structure_trusted({**data, "name": "c"}, _Known) is None
    assert structure_trusted({**data, "score": float("nan")}, _Known) is None
    assert structure_trusted({**data, "labels": {"x": "1"}}, _Known) is None
    assert structure_trusted(["not", "a", "table"], _Known) is None
    with pytest.raises(ValidationError):
        structure_checked({**data, "name": "c"}, _Known, what="read")


def test_an_instant_in_another_offset_is_converted_by_the_checked_path() -> None:
    stored = {
        **_event_data(json.loads(encode_event(SAMPLES[0]))),
        "at": "2026-03-02T10:30:00+01:00",
    }
    assert structure_trusted(stored, type(SAMPLES[0])) is None
