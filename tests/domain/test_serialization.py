"""Events round-trip through canonical JSON; schema versions upcast; hashes chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import IntegrityError, ValidationError
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import (
    _UPCASTERS,
    GENESIS,
    canonical_json,
    chain_hash,
    decode_case,
    decode_event,
    decode_stored,
    encode_case,
    encode_event,
    register_upcaster,
)

AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
META: dict[str, Any] = {"at": AT, "by": "agent:kim", "policy": "abc"}

SAMPLES: list[ev.Event] = [
    ev.Submitted(
        case_id="C1",
        requester="acme/jane@acme.test",
        channel="email",
        subject="Hi",
        tier="standard",
        category="billing",
        language="fr",
        fields={"plan": "gold"},
        **META,
    ),
    ev.Classified(
        category="billing", kind="incident", confidence=0.9, tags=("vip",), reason="r", **META
    ),
    ev.Prioritized(
        priority="high", impact="medium", urgency="high", rule="matrix", reason="r", **META
    ),
    ev.Assigned(assignee="agent:kim", previous=None, **META),
    ev.Acknowledged(message="On it", **META),
    ev.Replied(message="Update", **META),
    ev.InfoRequested(message="Which?", **META),
    ev.ClientReplied(message="This", **META),
    ev.Resolved(resolution="Fixed", **META),
    ev.Validated(note="ok", **META),
    ev.ValidationRejected(reason="no", **META),
    ev.Confirmed(comment="thanks", **META),
    ev.Closed(reason="client_confirmed", **META),
    ev.Reopened(reason="again", **META),
    ev.Cancelled(reason="mistake", **META),
    ev.Merged(into="C2", **META),
    ev.DuplicateMerged(duplicate="C3", **META),
    ev.NoteAdded(text="internal", **META),
    ev.FieldsChanged(fields={"product": "app"}, removed=("site",), reason="moved", **META),
    ev.Unassigned(previous="agent:kim", queue="L2", reason="off sick", **META),
    ev.SlaApplied(level="gold", reason="'gold' matches priority critical", **META),
    ev.SlaWarned(metric="resolution", cycle=1, threshold=0.75, **META),
    ev.SlaBreached(metric="first_response", cycle=2, **META),
    ev.Escalated(
        from_tier="frontline",
        to_tier="technical",
        kind="hierarchical",
        trigger="sla_breach:resolution",
        reason="the resolution clock breached its target",
        message="Your case is now with our technical team.",
        template="escalation_acknowledge",
        notify=("agent:fiona",),
        **META,
    ),
    ev.EscalationAccepted(
        tier="technical", timeline=datetime(2026, 3, 3, 17, tzinfo=UTC), message="ok", **META
    ),
    ev.Deescalated(from_tier="technical", to_tier="frontline", reason="config issue", **META),
    ev.PingPongFlagged(
        tier="frontline",
        owner="agent:olga",
        bounces=3,
        path=("frontline", "technical", "frontline", "technical"),
        reason="ping-pong",
        **META,
    ),
    ev.SurveyRecorded(survey="csat", score=4, comment="quick", **META),
    ev.QualityReviewed(
        rubric="standard",
        agent="agent:kim",
        scores={"greeting": 2, "accuracy": 5},
        total=85.0,
        session="cal-1",
        **META,
    ),
    ev.Refused(case_id="C1", command="resolve", rule="authority", reason="no", **META),
    ev.TurnTaken(queue="billing", agent="agent:kim", case_id="C1", **META),
    ev.PolicyApplied(version="v2", previous="v1", reason="faster answers", **META),
]


def test_an_imported_event_keeps_its_source_and_a_live_one_has_no_key() -> None:
    live = ev.NoteAdded(text="t", **META)
    assert '"source"' not in encode_event(live)
    imported = ev.NoteAdded(text="t", source="servicenow:log.csv:7", **META)
    assert decode_event(encode_event(imported)) == imported


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.TYPE)
def test_the_fast_reader_gives_the_same_event_as_the_checked_one(event: ev.Event) -> None:
    text = encode_event(event)
    assert decode_stored(text) == decode_event(text) == event


def test_the_fast_reader_hands_anything_unusual_to_the_checked_path() -> None:
    older = encode_event(SAMPLES[4]).replace('"v":1', '"v":7')
    with pytest.raises(IntegrityError, match="newer than this serviceflow"):
        decode_stored(older)
    with pytest.raises(IntegrityError, match="unknown event type"):
        decode_stored('{"type":"case.nope","v":1}')


def test_samples_cover_every_case_and_desk_event_type() -> None:
    domain = {"serviceflow.domain._case_events", "serviceflow.domain._desk_events"}
    own = {cls for cls in ev.EVENT_TYPES.values() if cls.__module__ in domain}
    assert {type(e) for e in SAMPLES} == own, "other aggregates' events are tested with them"


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.TYPE)
def test_every_event_round_trips_with_tag_and_version(event: ev.Event) -> None:
    text = encode_event(event)
    data = json.loads(text)
    assert data["type"] == event.TYPE
    assert data["v"] == 1
    assert data["at"] == "2026-03-02T09:30:15.123456+00:00"
    assert decode_event(text) == event
    assert text == canonical_json(data)


def test_unknown_type_and_future_version_are_integrity_errors() -> None:
    with pytest.raises(IntegrityError, match=r"unknown event type 'case.teleported'"):
        decode_event('{"type": "case.teleported", "v": 1}')
    with pytest.raises(IntegrityError, match="newer than this serviceflow"):
        decode_event(encode_event(SAMPLES[4]).replace('"v":1', '"v":7'))
    with pytest.raises(IntegrityError, match=r"cannot read case.acknowledged"):
        decode_event('{"type": "case.acknowledged", "v": 1, "at": "2026-01-01T00:00:00+00:00"}')


def test_old_schema_versions_are_upcast_on_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev.NoteAdded, "SCHEMA", 2)
    old = (
        encode_event(ev.NoteAdded(text="x", **META))
        .replace('"v":2', '"v":1')
        .replace('"text"', '"body"')
    )
    with pytest.raises(
        IntegrityError, match=r"no upcaster for case.note_added from schema version 1"
    ):
        decode_event(old)

    def rename(data: dict[str, Any]) -> dict[str, Any]:
        data["text"] = data.pop("body")
        return data

    register_upcaster("case.note_added", 1, rename)
    try:
        assert decode_event(old) == ev.NoteAdded(text="x", **META)
    finally:
        del _UPCASTERS[("case.note_added", 1)]


@given(st.text(), st.text())
def test_canonical_json_is_stable(a: str, b: str) -> None:
    assert canonical_json({"b": b, "a": a}) == canonical_json({"a": a, "b": b})


def test_chain_hash_depends_on_every_input() -> None:
    base = chain_hash(GENESIS, "C1", 1, "{}")
    assert len(base) == 64
    assert chain_hash(GENESIS, "C1", 1, "{}") == base
    assert (
        len(
            {
                base,
                chain_hash("1" * 64, "C1", 1, "{}"),
                chain_hash(GENESIS, "C2", 1, "{}"),
                chain_hash(GENESIS, "C1", 2, "{}"),
                chain_hash(GENESIS, "C1", 1, "[]"),
            }
        )
        == 5
    )


def test_case_document_round_trips() -> None:
    from serviceflow.rules._evolve import fold

    case = fold(SAMPLES[:9])
    assert case is not None
    assert decode_case(encode_case(case)) == case


def test_a_number_json_cannot_hold_is_refused_before_anything_is_stored() -> None:
    with pytest.raises(ValidationError, match="not finite"):
        canonical_json({"target": float("nan")})
    with pytest.raises(ValidationError, match="not finite"):
        encode_event(
            ev.QualityReviewed(rubric="r", agent="a", scores={}, total=float("inf"), **META)
        )
