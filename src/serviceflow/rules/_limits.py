"""The policy's size limits applied to a command, and the rule for a desk whose clock lags.

Pure: ``decide`` calls both, so what is refused here is refused on every store alike and
nothing is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from attrs import fields

from serviceflow.core._storable import text_problem
from serviceflow.domain import _commands as cmd
from serviceflow.domain.policy._limits import Limits
from serviceflow.errors import ClockBehind, ValidationError

__all__ = ["check_limits", "not_before", "plainly_within", "text_problems"]

_TEXT = frozenset({"description", "message", "resolution", "note", "comment", "reason", "text"})
"""Command fields holding free text (``Limits.text``); other text fields are names."""


def check_limits(command: cmd.Command, limits: Limits) -> None:
    """Refuse ``command`` with ``ValidationError`` if a field is longer than the policy allows."""
    problems = []
    for attribute in fields(type(command)):
        value = getattr(command, attribute.name)
        problems += _field_problems(attribute.name, value, limits)
    if problems:
        raise ValidationError(f"cannot {command.NAME} case {command.case_id}", problems)


def plainly_within(command: cmd.Command, limits: Limits) -> bool:
    """True when every field of ``command`` is ASCII text without NUL within its limit, an
    allowed ``None``, or an empty tuple or mapping: nothing about its fields to refuse.

    The common command passes in one loop; any other takes the full checks (``check_shape``
    and ``check_limits``), which say what is wrong."""
    for name, limit, optional, empty in _plain_fields(type(command)):
        value = getattr(command, name)
        if type(value) is str:
            if limit is None or len(value) > getattr(limits, limit):
                return False
            if not value.isascii() or "\x00" in value:
                return False
        elif value is None:
            if not optional:
                return False
        elif empty is None or not isinstance(value, empty) or value:
            return False
    return True


_Plain = tuple[str, str | None, bool, type | None]
_PLAIN: dict[type[cmd.Command], tuple[_Plain, ...]] = {}


def _plain_fields(cls: type[cmd.Command]) -> tuple[_Plain, ...]:
    """Each field's name, the limit its text keeps (``None``: not a text field), whether
    ``None`` is allowed, and the collection it may be empty as (a tuple, a mapping), worked
    out once per class."""
    known = _PLAIN.get(cls)
    if known is None:
        known = _PLAIN[cls] = tuple(
            (name, _text_limit(name) if kinds == (str,) else None, optional, _empty_as(kinds))
            for name, kinds, optional in cmd.field_types(cls)
        )
    return known


def _empty_as(kinds: tuple[type, ...]) -> type | None:
    if kinds == (tuple,):
        return tuple
    return Mapping if kinds and kinds[0] is Mapping else None


def _text_limit(name: str) -> str:
    """The ``Limits`` field bounding a command's text field ``name``."""
    return "subject" if name == "subject" else "text" if name in _TEXT else "name"


def text_problems(record: object, most: int) -> list[str]:
    """Every text of an attrs ``record`` (an article's, problem's or cycle's event) that no
    store keeps alike, or longer than ``most`` characters (the policy's ``limits.text``)."""
    found = []
    for name, value in attrs.asdict(record, recurse=False).items():  # type: ignore[arg-type]
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):
                problem = text_problem(text)
                found += [f"{name}: {problem}"] if problem else _long(name, text, most, "text")
    return found


def not_before(latest: datetime | None, now: datetime, limits: Limits, what: str) -> datetime:
    """The time to record a command at: ``now``, or the stream's ``latest`` event time when the
    desk's clock lags behind it by at most ``clock_skew`` (so no stream goes back in time)."""
    if latest is None or now >= latest:
        return now
    if latest - now > limits.clock_skew:
        raise ClockBehind(what, now, latest, limits.clock_skew)
    return latest


def _field_problems(name: str, value: object, limits: Limits) -> list[str]:
    if isinstance(value, str):
        limit = _text_limit(name)
        return _long(name, value, getattr(limits, limit), limit)
    if isinstance(value, Mapping) and name == "fields":
        problems = _many(name, len(value), limits.fields, "fields")
        for key, text in value.items():
            problems += _long(f"{name}.{key:.40}", key, limits.name, "name")
            if isinstance(text, str):
                problems += _long(f"{name}.{key:.40}", text, limits.field_value, "field_value")
        return problems
    if isinstance(value, tuple):
        problems = _many(name, len(value), limits.tags, "tags")
        for i, item in enumerate(value):
            if isinstance(item, str):
                problems += _long(f"{name}[{i}]", item, limits.name, "name")
        return problems
    return []


def _long(path: str, value: str, most: int, limit: str) -> list[str]:
    if len(value) <= most:
        return []
    return [
        f"{path}: {len(value):,} characters, more than the policy allows "
        f"({most:,}, $.limits.{limit})"
    ]


def _many(path: str, count: int, most: int, limit: str) -> list[str]:
    if count <= most:
        return []
    return [f"{path}: {count:,} entries, more than the policy allows ({most:,}, $.limits.{limit})"]
