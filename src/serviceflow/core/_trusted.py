"""Records read back fast from JSON this serviceflow wrote: every field's type is checked
(storable text, whole numbers, UTC instants, lists of text, nested records), and the object
is built straight from the fields, without cattrs' detailed validation.

``structure_trusted(data, cls)`` answers ``None`` whenever the data is anything but the
expected shape, or the class has a field this reader does not know: the caller then takes
the checked path (``structure_checked``), which says what is wrong. So a damaged document is
refused exactly as before, and the common one is read several times faster.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import NoneType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import attrs

from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.core._storable import text_problem

__all__ = ["structure_trusted"]

T = TypeVar("T")

_Read = Callable[[Any], Any]
"""Turns one stored value into the field's value; raises ``_Unfit`` when it does not fit."""


class _Unfit(Exception):  # noqa: N818 - internal signal, never escapes this module
    """A value is not of its field's type: the checked path takes over."""


def structure_trusted(data: Any, cls: type[T]) -> T | None:
    """``cls`` from ``data`` (decoded JSON), or ``None`` if it does not fit exactly."""
    read = _reader(cls)
    if read is None:
        return None
    try:
        made: T = read(data)
    except (_Unfit, TypeError, ValueError):
        return None
    return made


_READERS: dict[Any, _Read | None] = {}


def _reader(kind: Any) -> _Read | None:
    """The reader of values of type ``kind`` (``None``: not one this module reads), once."""
    if kind in _READERS:
        return _READERS[kind]
    _READERS[kind] = _later(kind)  # a record that holds itself reads through this
    try:
        found = _make(kind)
    except Exception:  # hints that cannot be resolved: the checked path reads it
        found = None
    _READERS[kind] = found
    return found


def _later(kind: Any) -> _Read:
    """Reads with ``kind``'s reader once it is made (``_Unfit`` if it cannot be)."""

    def read_later(value: Any) -> Any:
        found = _READERS.get(kind)
        if found is None or found is read_later:
            raise _Unfit
        return found(value)

    return read_later


def _make(kind: Any) -> _Read | None:
    plain = _PLAIN.get(kind)
    if plain is not None:
        return plain
    if isinstance(kind, type) and attrs.has(kind):
        return _record(kind)
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, UnionType):
        return _optional(args)
    if origin is Literal:
        return _literal(frozenset(args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple(args[0])
    if origin is Mapping and len(args) == 2 and args[0] is str:
        return _mapping(args[1])
    return None


def _record(cls: type) -> _Read | None:
    hints = get_type_hints(cls)
    fields = []
    for field in attrs.fields(cls):
        read = _reader(hints[field.name])
        if read is None or not field.init:
            return None
        fields.append((field.name, read))

    def read_record(data: Any) -> Any:
        if type(data) is not dict:
            raise _Unfit
        values = {}
        for name, read in fields:
            if name in data:
                values[name] = read(data[name])
        if len(values) != len(data):
            raise _Unfit  # a key the class does not have
        return cls(**values)

    return read_record


def _optional(args: tuple[Any, ...]) -> _Read | None:
    others = [a for a in args if a is not NoneType]
    if len(others) != 1 or len(args) != 2:
        return None
    inner = _reader(others[0])
    if inner is None:
        return None

    def read_optional(value: Any) -> Any:
        return None if value is None else inner(value)

    return read_optional


def _literal(allowed: frozenset[Any]) -> _Read:
    def read_literal(value: Any) -> Any:
        if type(value) is not str or value not in allowed:
            raise _Unfit
        return value

    return read_literal


def _tuple(item: Any) -> _Read | None:
    if item is not str:
        return None

    def read_texts(value: Any) -> tuple[str, ...]:
        if type(value) is not list:
            raise _Unfit
        return tuple([_text(v) for v in value])

    return read_texts


def _mapping(value_kind: Any) -> _Read | None:
    inner = _reader(value_kind)
    if inner is None:
        return None

    def read_mapping(value: Any) -> ReadOnlyMap[str, Any]:
        if type(value) is not dict:
            raise _Unfit
        return ReadOnlyMap({_text(k): inner(v) for k, v in value.items()})

    return read_mapping


def _text(value: Any) -> str:
    """Text every store keeps alike (no NUL, no lone surrogate), as the checked path wants."""
    if type(value) is not str or text_problem(value) is not None:
        raise _Unfit
    return value


def _whole(value: Any) -> int:
    if type(value) is not int:
        raise _Unfit
    return value


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise _Unfit
    return value


def _number(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise _Unfit
    if not math.isfinite(value):
        raise _Unfit
    return float(value)


def _instant(value: Any) -> datetime:
    """An instant as stored: in UTC (another offset takes the checked path, which converts)."""
    if type(value) is not str:
        raise _Unfit
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() != _ZERO:
        raise _Unfit
    return parsed if parsed.tzinfo is UTC else parsed.replace(tzinfo=UTC)


_ZERO = timedelta(0)


_PLAIN: dict[Any, _Read] = {
    str: _text,
    int: _whole,
    bool: _flag,
    float: _number,
    datetime: _instant,
}
