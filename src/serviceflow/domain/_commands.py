"""Commands: what someone asks the desk to do to a case. Each names its actor (``by``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, get_args, get_origin, get_type_hints

from attrs import fields, frozen

from serviceflow.core._identity import identity_problems
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.core._storable import text_problem
from serviceflow.domain._events import DESK_STREAMS
from serviceflow.errors import ValidationError


@frozen(kw_only=True)
class Command:
    """Fields common to every command; ``NAME`` is how policies (roles, guardrails) name it.

    Commands that write to the client (acknowledge, reply, request_info, resolve) may name a
    ``template``: the desk renders it for the case, with their own text as ``$message``.
    """

    NAME: ClassVar[str] = ""

    case_id: str
    by: str


@frozen(kw_only=True)
class Submit(Command):
    """Intake of a new request."""

    NAME = "submit"

    requester: str
    channel: str
    subject: str
    description: str = ""
    category: str | None = None
    kind: str | None = None
    impact: str | None = None
    urgency: str | None = None
    tier: str | None = None
    language: str | None = None
    fields: Mapping[str, str] = ReadOnlyMap()


@frozen(kw_only=True)
class Classify(Command):
    """Set category and kind (``confidence`` when a classifier decided)."""

    NAME = "classify"

    category: str | None = None
    kind: str | None = None
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    reason: str | None = None


@frozen(kw_only=True)
class Prioritize(Command):
    """Set priority from impact × urgency, or directly with a reason."""

    NAME = "prioritize"

    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    reason: str | None = None


@frozen(kw_only=True)
class Assign(Command):
    """Route the case to an owner, or transfer it."""

    NAME = "assign"

    to: str
    queue: str | None = None
    reason: str | None = None


@frozen(kw_only=True)
class Unassign(Command):
    """Return the case to the queue (``queue``: another one) with the reason; it waits
    there, prioritized, for its next owner."""

    NAME = "unassign"

    reason: str
    queue: str | None = None


@frozen(kw_only=True)
class Acknowledge(Command):
    """Send the first public reply."""

    NAME = "acknowledge"

    message: str = ""
    template: str | None = None


@frozen(kw_only=True)
class Reply(Command):
    """Send a later public reply."""

    NAME = "reply"

    message: str = ""
    template: str | None = None


@frozen(kw_only=True)
class RequestInfo(Command):
    """Ask the client for information; the case waits on the client."""

    NAME = "request_info"

    message: str = ""
    template: str | None = None


@frozen(kw_only=True)
class ClientReply(Command):
    """Record a message from the client; an empty ``by`` means the requester."""

    NAME = "client_reply"

    message: str


@frozen(kw_only=True)
class Resolve(Command):
    """Deliver the resolution."""

    NAME = "resolve"

    resolution: str = ""
    template: str | None = None


@frozen(kw_only=True)
class Validate(Command):
    """Pass the quality check of the resolution."""

    NAME = "validate"

    note: str = ""


@frozen(kw_only=True)
class Reject(Command):
    """Fail the quality check; the case returns to work."""

    NAME = "reject"

    reason: str


@frozen(kw_only=True)
class Confirm(Command):
    """The client confirms the resolution; an empty ``by`` means the requester."""

    NAME = "confirm"

    comment: str = ""


@frozen(kw_only=True)
class Close(Command):
    """Close a validated case whose client confirmed or whose auto-confirm window passed."""

    NAME = "close"


@frozen(kw_only=True)
class Reopen(Command):
    """Reopen after resolution, or after closure within the reopen window."""

    NAME = "reopen"

    reason: str


@frozen(kw_only=True)
class Cancel(Command):
    """Cancel an unresolved case."""

    NAME = "cancel"

    reason: str


@frozen(kw_only=True)
class Merge(Command):
    """Merge this case, a duplicate, into another case."""

    NAME = "merge"

    into: str


@frozen(kw_only=True)
class ApplyServiceLevel(Command):
    """Record the service level the current policy gives the case (after a policy change)."""

    NAME = "apply_service_level"

    reason: str


@frozen(kw_only=True)
class Escalate(Command):
    """Ask for the case to go to another tier (``to``: a tier, ``next`` or ``responsible``),
    with the reason; ``trigger`` says what asked (``manual`` for a person)."""

    NAME = "escalate"

    reason: str
    to: str = "next"
    trigger: str = "manual"


@frozen(kw_only=True)
class AcceptEscalation(Command):
    """Take an escalation as its owner in the target tier, committing to a resolution time."""

    NAME = "accept_escalation"

    timeline: datetime


@frozen(kw_only=True)
class Deescalate(Command):
    """Return the case to a lower tier (``to``: a tier, or ``previous``), with the reason."""

    NAME = "deescalate"

    reason: str
    to: str = "previous"


@frozen(kw_only=True)
class AddNote(Command):
    """Add an internal note."""

    NAME = "note"

    text: str


@frozen(kw_only=True)
class UpdateFields(Command):
    """Set extra fields of the case (``fields``) and clear others (``remove``)."""

    NAME = "update_fields"

    fields: Mapping[str, str] = ReadOnlyMap()
    remove: tuple[str, ...] = ()
    reason: str = ""


@frozen(kw_only=True)
class RecordSurvey(Command):
    """Record the client's answer to a survey (``csat`` 1–5, ``nps`` 0–10, ``ces`` 1–7);
    an empty ``by`` means the requester."""

    NAME = "survey"

    survey: str
    score: int
    comment: str = ""


@frozen(kw_only=True)
class ReviewQuality(Command):
    """Score how the case was handled against a QA ``rubric``: points per criterion.

    ``by`` is the reviewer; ``agent`` the one reviewed (default: who resolved the case,
    else its assignee); ``session`` names a calibration session.
    """

    NAME = "review"

    rubric: str
    scores: Mapping[str, int]
    agent: str | None = None
    session: str | None = None
    comment: str = ""


CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
"""What a case id may look like: safe in URLs, file names, notification keys and logs."""
_CLIENT_DEFAULT = (Submit, ClientReply, Confirm, Escalate, RecordSurvey)


def check_case_id(case_id: object, name: str = "case_id") -> None:
    """Refuse what cannot be a case id before it reaches the store: no store is asked for an
    id that no store could hold, so every store answers alike."""
    if not isinstance(case_id, str):
        raise ValidationError(
            "invalid case id",
            [f"{name}: expected text, got {type(case_id).__name__} {case_id!r:.60}"],
        )
    problems = _id_problems(name, case_id)
    if problems:
        raise ValidationError("invalid case id", problems)


def _id_problems(name: str, case_id: str) -> list[str]:
    if CASE_ID.fullmatch(case_id):
        return []
    return [
        f"{name}: {case_id!r:.80} is not a valid id (1-64 letters, digits, '.', '_', "
        "':' or '-', starting with a letter or digit)"
    ]


def shape_problems(command: Command, *, fields_fit: bool = False) -> list[str]:
    """Every field of the wrong type, every unencodable text, a malformed id, a blank actor.

    Checked before anything else, so nothing that could not be stored and read back
    ever reaches the log. ``fields_fit``: the fields are known to be of the right types
    and storable (``rules.plainly_within``), so only ids and actors are checked.
    """
    problems = (
        []
        if fields_fit
        else [
            _field_problem(name, value, kinds, optional)
            for name, kinds, optional in field_types(type(command))
            if not _fits(value := getattr(command, name), kinds, optional)
        ]
    )
    bad = {p.partition(":")[0] for p in problems}
    if "case_id" in bad:
        return problems
    if isinstance(command, Submit) and (invalid := _id_problems("case_id", command.case_id)):
        problems += invalid
    elif isinstance(command, Submit) and command.case_id.startswith(DESK_STREAMS):
        problems.append(
            f"case_id: {command.case_id!r} starts with {', '.join(DESK_STREAMS)}, "
            "which name the desk's own streams"
        )
    if isinstance(command, Merge) and "into" not in bad and not CASE_ID.fullmatch(command.into):
        problems.append(f"into: {command.into!r} is not a valid case id")
    blank = "by" not in bad and not command.by.strip()
    if blank and not isinstance(command, _CLIENT_DEFAULT):
        problems.append("by: required: name who does this (e.g. 'agent:kim')")
    for name in _IDENTITIES.get(type(command), _ACTOR):
        value = getattr(command, name)
        if name not in bad and isinstance(value, str):
            problems.extend(identity_problems(name, value))
    return problems


_ACTOR = ("by",)
_IDENTITIES: dict[type[Command], tuple[str, ...]] = {
    Submit: ("by", "requester"),
    Assign: ("by", "to"),
    ReviewQuality: ("by", "agent"),
}
"""The fields of each command that name a person (``serviceflow.identity``); ``by`` elsewhere."""


_FIELD_TYPES: dict[type[Command], tuple[tuple[str, tuple[type, ...], bool], ...]] = {}


def field_types(cls: type[Command]) -> tuple[tuple[str, tuple[type, ...], bool], ...]:
    """Each field's name, accepted types and whether ``None`` is allowed (cached per class)."""
    known = _FIELD_TYPES.get(cls)
    if known is not None:
        return known
    hints = get_type_hints(cls)
    rows = []
    for attribute in fields(cls):
        hint = hints[attribute.name]
        if get_origin(hint) is Mapping:
            values: tuple[type, ...] = (_Integers,) if get_args(hint)[1] is int else ()
            rows.append((attribute.name, (Mapping, *values), False))
            continue
        if get_origin(hint) is tuple:
            rows.append((attribute.name, (tuple,), False))
            continue
        args = get_args(hint) or (hint,)
        kinds = tuple(t for t in args if t is not type(None))
        rows.append((attribute.name, kinds, type(None) in args))
    _FIELD_TYPES[cls] = tuple(rows)
    return _FIELD_TYPES[cls]


def _fits(value: object, kinds: tuple[type, ...], optional: bool) -> bool:
    """The fast path: right type, and text that UTF-8 can store."""
    if value is None:
        return optional
    if isinstance(value, str):
        return str in kinds and _storable(value)
    if isinstance(value, bool):
        return False
    if isinstance(value, Mapping):
        if Mapping not in kinds:
            return False
        integers = _Integers in kinds
        return all(
            isinstance(k, str) and _storable(k) and _entry_fits(v, integers)
            for k, v in value.items()
        )
    if isinstance(value, tuple):
        return tuple in kinds and all(isinstance(v, str) and _storable(v) for v in value)
    return isinstance(value, kinds) or (float in kinds and isinstance(value, int))


class _Integers:
    """Marks a mapping field whose values are whole numbers (never instantiated)."""


def _entry_fits(value: object, integers: bool) -> bool:
    """A mapping's value: a whole number (never a bool) or storable text, as declared."""
    if integers:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and _storable(value)


def _storable(text: str) -> bool:
    return text_problem(text) is None


_KIND_NAMES: dict[type, str] = {
    str: "text",
    float: "a number",
    int: "an integer",
    tuple: "a tuple of texts",
    datetime: "a date and time",
}


def _field_problem(name: str, value: object, kinds: tuple[type, ...], optional: bool) -> str:
    """Why ``value`` does not fit (only called when it does not)."""
    if value is None:
        return f"{name}: required"
    if isinstance(value, str) and str in kinds:
        return f"{name}: {text_problem(value)}"
    if Mapping in kinds:
        wanted = f"a mapping of text to {'integers' if _Integers in kinds else 'text'}"
        if isinstance(value, Mapping):
            return f"{name}: expected {wanted}, got {dict(value)!r:.60}"
        return f"{name}: expected {wanted}, got {type(value).__name__} {value!r:.60}"
    if isinstance(value, tuple) and tuple in kinds:
        return f"{name}: expected a tuple of texts, got {value!r:.60}"
    # a value of the wrong type, including text where a number belongs
    wanted = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
    return f"{name}: expected {wanted}, got {type(value).__name__} {value!r:.60}"


COMMANDS: dict[str, type[Command]] = {c.NAME: c for c in Command.__subclasses__()}
"""Every command class by its ``NAME``."""
