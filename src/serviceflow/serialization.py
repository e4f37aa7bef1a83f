"""Events and cases to canonical JSON and back; the hash chain that makes tampering visible.

Events are a cattrs tagged union (``"type"``) with a schema version (``"v"``). When an
event's shape changes, bump its ``SCHEMA`` and register an upcaster for the old version;
stored events are upgraded as they are read, never rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from cattrs.strategies import configure_tagged_union

from serviceflow._convert import converter
from serviceflow.case import Case
from serviceflow.errors import IntegrityError, ServiceflowError
from serviceflow.events import EVENT_TYPES, CaseEvent, Event

GENESIS = "0" * 64
"""The ``prev`` hash of a stream's first event."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}

configure_tagged_union(
    CaseEvent,
    converter,
    tag_generator=lambda cls: cast(type[Event], cls).TYPE,
    tag_name="type",
)

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def register_upcaster(event_type: str, from_version: int, upcast: Upcaster) -> None:
    """Teach the reader to turn ``event_type`` data of ``from_version`` into the next version."""
    _UPCASTERS[(event_type, from_version)] = upcast


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same data always gives the same text."""
    return _dumps(data)


def encode_event(event: Event) -> str:
    """The canonical JSON of an event, with its ``type`` tag and schema version ``v``."""
    data = converter.unstructure(event, CaseEvent)
    data["v"] = event.SCHEMA
    return canonical_json(data)


def decode_event(text: str) -> Event:
    """Read an event back, upcasting older schema versions; unknown types are an error."""
    data = json.loads(text)
    kind = data.get("type")
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
        return cast(Event, converter.structure(data, cast(Any, CaseEvent)))
    except (ServiceflowError, Exception) as exc:
        raise IntegrityError(f"cannot read {kind} event: {exc}") from None


def chain_hash(prev: str, stream: str, seq: int, data: str) -> str:
    """The hash of one event, linked to the previous event's hash."""
    return hashlib.sha256(f"{prev}\n{stream}\n{seq}\n{data}".encode()).hexdigest()


def encode_case(case: Case) -> str:
    """The canonical JSON document of a case projection."""
    return canonical_json(converter.unstructure(case))


def decode_case(text: str) -> Case:
    """A case projection from its JSON document."""
    return converter.structure(json.loads(text), Case)


def iso(value: datetime) -> str:
    """The text form of an instant as stores keep it: fixed width, so text order is time order."""
    return value.isoformat(timespec="microseconds")
