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

__all__ = ["check_limits", "not_before", "text_problems"]

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
        if name == "subject":
            return _long(name, value, limits.subject, "subject")
        if name in _TEXT:
            return _long(name, value, limits.text, "text")
        return _long(name, value, limits.name, "name")
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
