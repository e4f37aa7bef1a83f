"""Improvement events: registered, and read back exactly as written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from serviceflow.domain._events import EVENT_TYPES
from serviceflow.domain._serialization import decode_event, encode_event
from serviceflow.improvement import _events as ie

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
META: dict[str, Any] = {"at": T0, "by": "lead:ana", "policy": "abc"}


def test_every_event_round_trips() -> None:
    events = [
        ie.CyclePlanned(
            cycle_id="PDCA-1", kpi="first_response", statistic="p90", time="business",
            scope={"category": "billing"}, baseline_start=T0, baseline_end=T0,
            baseline_value=None, baseline_count=0, baseline_cases=0,
            baseline_sample=(1.5, 2.0), target=3600.0, patch="{}", base_version="a",
            patched_version="b", min_count=30, confidence=0.95, **META,
        ),
        ie.DryRunRecorded(
            patched_version="b", predicted_value=0.5, predicted_count=2,
            baseline_value=None, caveat="c", **META,
        ),
        ie.ChangeApplied(previous_version="a", applied_version="b", **META),
        ie.CycleChecked(
            after_start=T0, after_end=T0, value=1.0, count=3, cases=3, difference=None,
            low=None, high=None, confidence=0.9, p_value=0.2, resamples=10, seed=1,
            warnings=("few",), target_met=True, **META,
        ),
        ie.Standardised(version="b", sop="SOP v2", **META),
        ie.RolledBack(withdrawn_version="b", restored_version="a", reason="r", **META),
        ie.CycleCancelled(reason="r", **META),
    ]  # fmt: skip
    for event in events:
        assert EVENT_TYPES[event.TYPE] is type(event)
        assert decode_event(encode_event(event)) == event
