"""Events and cases to canonical JSON and back; the hash chain that makes tampering visible.

``canonical_json`` and ``iso`` live in ``_convert`` (the lowest layer) and are re-exported
here for stores and tools.

Events carry their type (``"type"``, the key of ``events.EVENT_TYPES``, which other
aggregates' modules extend with ``events.register``) and a schema version (``"v"``). When an
event's shape changes, bump its ``SCHEMA`` and register an upcaster for the old version;
stored events are upgraded as they are read, never rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from serviceflow.core._convert import (
    canonical_json,
    holds_floats,
    iso,
    record_json,
    structure_checked,
)
from serviceflow.core._trusted import structure_trusted
from serviceflow.domain._case import Case
from serviceflow.domain._events import EVENT_TYPES, Event
from serviceflow.errors import IntegrityError, ServiceflowError

__all__ = [
    "GENESIS",
    "canonical_json",
    "chain_hash",
    "decode_case",
    "decode_event",
    "decode_stored",
    "encode_case",
    "encode_event",
    "iso",
    "register_upcaster",
]

GENESIS = "0" * 64
"""The ``prev`` hash of a stream's first event."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register_upcaster(event_type: str, from_version: int, upcast: Upcaster) -> None:
    """Teach the reader to turn ``event_type`` data of ``from_version`` into the next version."""
    _UPCASTERS[(event_type, from_version)] = upcast


def encode_event(event: Event) -> str:
    """The canonical JSON of an event, with its ``type`` tag and schema version ``v``.

    A live event has no ``source``, and its JSON leaves the key out.
    """
    data = record_json(event)
    if data["source"] is None:
        del data["source"]
    data["type"] = event.TYPE
    data["v"] = event.SCHEMA
    return canonical_json(data, floats=holds_floats(type(event)))


def decode_event(text: str) -> Event:
    """Read an event back, upcasting older schema versions; unknown types are an error."""
    data = _json_object(text, "event")
    kind = str(data.pop("type", None))
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        raise IntegrityError(f"unknown event type {kind!r} (known: {', '.join(EVENT_TYPES)})")
    version = data.pop("v", 1)
    while version < cls.SCHEMA:
        upcast = _UPCASTERS.get((kind, version))
        if upcast is None:
            raise IntegrityError(f"no upcaster for {kind} from schema version {version}")
        data = upcast(data)
        version += 1
    if version > cls.SCHEMA:
        raise IntegrityError(
            f"{kind} has schema version {version}, newer than this serviceflow ({cls.SCHEMA})"
        )
    try:
        event = structure_checked(data, cls, what=f"cannot read {kind} event")
    except ServiceflowError as exc:
        raise IntegrityError(str(exc)) from None
    return event


def decode_stored(text: str) -> Event:
    """Read back an event this serviceflow wrote (its current schema): each field's type is
    checked, but not re-validated as input is (``core._trusted``), several times faster
    than ``decode_event``. Anything else (an older schema, a surprise) takes the checked
    path, which refuses what is wrong just as ``decode_event`` does."""
    try:
        data = orjson.loads(text)
        cls = EVENT_TYPES.get(data.pop("type"))
        if cls is None or data.pop("v", 1) != cls.SCHEMA:
            return decode_event(text)
    except (KeyError, TypeError, ValueError, AttributeError):
        return decode_event(text)
    event = structure_trusted(data, cls)
    return event if event is not None else decode_event(text)


def chain_hash(prev: str, stream: str, seq: int, data: str) -> str:
    """The hash of one event, linked to the previous event's hash."""
    return hashlib.sha256(f"{prev}\n{stream}\n{seq}\n{data}".encode()).hexdigest()


def encode_case(case: Case) -> str:
    """The canonical JSON document of a case projection."""
    return canonical_json(record_json(case), floats=holds_floats(Case))


def decode_case(text: str) -> Case:
    """A case projection from its JSON document; a damaged document is an ``IntegrityError``."""
    data = _json_object(text, "case")
    case = structure_trusted(data, Case)
    if case is not None:
        return case
    try:
        return structure_checked(data, Case, what="cannot read a case")
    except ServiceflowError as exc:
        raise IntegrityError(str(exc)) from None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = orjson.loads(text)
    except (TypeError, ValueError) as exc:
        raise IntegrityError(f"stored {what} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise IntegrityError(f"stored {what} is not a JSON object: {text[:60]!r}")
    return data
