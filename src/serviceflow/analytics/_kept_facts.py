"""Case facts kept in the store between KPI passes: their key and their JSON.

What a KPI pass works out per case (its ``CaseFacts`` and its SLA clocks' outcomes)
depends only on the case's events and the policy. So the pass keeps it
(``Store.save_facts``) under the case version and a key naming the facts format and the
policy version, and the next pass reads it back instead of decoding the case's events
while both still hold (``Store.histories_or_facts``).

Clocks are kept as they stood at the case's last event; ``sla.status_at`` tells what each
one is at a later period end, so one record serves every period that ends after the case
last changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson

from serviceflow.analytics._case_facts import CaseFacts, TierStint
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_stored, encode_event
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ServiceflowError

FORMAT = 6
"""The layout of a kept record; a new layout gets a new number, so older records are
worked out again instead of misread."""

E = TypeVar("E", bound=ev.Event)

Clock = tuple[str, str, datetime | None, datetime | None]
"""One SLA clock cycle: ``(metric, status, due, stopped_at)``."""

_TIMES = (
    "submitted_at",
    "first_response_at",
    "first_resolved_at",
    "last_resolved_at",
    "closed_at",
    "ended_at",
)
_PLAIN = (
    "case_id",
    "requester",
    "channel",
    "tier",
    "state",
    "category",
    "priority",
    "team",
    "assignee",
    "resolved_by",
    "level",
    "reopens",
    "transfers",
    "requeues",
    "escalations",
    "info_requests",
    "client_replies",
    "follow_up",
    "imported",
    "intake_source",
    "response_logged",
    "tiers_logged",
    "fields",
)


def facts_key(policy: Policy) -> str:
    """What kept facts depend on besides the case's events: their format and the policy."""
    return f"facts/{FORMAT}/{policy.version}"


def encode_facts(facts: CaseFacts, clocks: Sequence[Clock] | None) -> str:
    """The JSON of one case's facts and clocks (``None``: no service level in force)."""
    data: dict[str, Any] = {name: getattr(facts, name) for name in _PLAIN}
    for name in _TIMES:
        data[name] = getattr(facts, name)
    data["stints"] = [(s.tier, s.since, s.until) for s in facts.stints]
    data["breaches"] = facts.breaches
    data["surveys"] = [encode_event(s) for s in facts.surveys]
    data["reviews"] = [encode_event(r) for r in facts.reviews]
    data["clocks"] = clocks
    return orjson.dumps(data).decode()


def decode_facts(text: str) -> tuple[CaseFacts, list[Clock] | None]:
    """Facts and clocks back from ``encode_facts``'s JSON; ``ValueError`` if it is not that."""
    try:
        return _decode(text)
    except (ValueError, KeyError, TypeError, AttributeError, ServiceflowError) as exc:
        raise ValueError(f"not kept case facts: {exc!r}") from None


def _decode(text: str) -> tuple[CaseFacts, list[Clock] | None]:
    data = orjson.loads(text)
    for name in _TIMES:
        value = data[name]
        if value is not None:
            data[name] = datetime.fromisoformat(value)
    data["stints"] = [
        TierStint(t, _instant(since), _time(until)) for t, since, until in data["stints"]
    ]
    data["breaches"] = [(metric, _instant(at)) for metric, at in data["breaches"]]
    data["surveys"] = [_event(text, ev.SurveyRecorded) for text in data["surveys"]]
    data["reviews"] = [_event(text, ev.QualityReviewed) for text in data["reviews"]]
    kept = data.pop("clocks")
    clocks = (
        None
        if kept is None
        else [(metric, status, _time(due), _time(stopped)) for metric, status, due, stopped in kept]
    )
    return CaseFacts(**data), clocks


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _event(text: str, kind: type[E]) -> E:
    found = decode_stored(text)
    if not isinstance(found, kind):
        raise ValueError(f"kept facts hold a {found.TYPE} where a {kind.TYPE} belongs")
    return found
