"""Checks of the plain arguments public entry points take (counts, days, flags, text): a
wrong one is a ``ValidationError`` naming the argument, before anything is read or written."""

from __future__ import annotations

import collections.abc
import functools
import inspect
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from types import UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from serviceflow.core._storable import text_problem
from serviceflow.errors import ValidationError

__all__ = ["checked", "checked_methods", "day", "flag", "text_problems", "whole_number"]


def whole_number(value: object, name: str, *, low: int = 0, high: int = 10**9) -> int:
    """``value`` if it is an int (never a bool) within ``low``..``high``."""
    _refuse(name, _fits(name, value, int))
    assert isinstance(value, int)
    if not low <= value <= high:
        _refuse(name, [f"{name}: expected {low} to {high:,}, got {value:.3g}"])
    return value


def day(value: object, name: str) -> date:
    """``value`` if it is a calendar day (a ``date``, not a ``datetime``, whose zone would
    decide the day)."""
    _refuse(name, _fits(name, value, date))
    assert isinstance(value, date)
    return value


def flag(value: object, name: str) -> bool:
    """``value`` if it is ``True`` or ``False``."""
    _refuse(name, _fits(name, value, bool))
    return bool(value)


def text_problems(name: str, value: object) -> list[str]:
    """Why ``value`` is not text every store keeps (empty when it is)."""
    return _fits(name, value, str)


def _refuse(name: str, problems: list[str]) -> None:
    if problems:
        raise ValidationError(f"invalid {name}", problems)


def _shown(value: object) -> str:
    return f"{type(value).__name__} {value!r:.60}"


F = TypeVar("F", bound=Callable[..., Any])


def checked(function: F) -> F:
    """Check every argument of ``function`` against its annotation before it runs: a value of
    the wrong type (or text no store keeps) is a ``ValidationError`` naming the argument."""
    signature = inspect.signature(function)
    hints: dict[str, Any] | None = None

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal hints
        if hints is None:
            hints = _hints(function)
        bound = signature.bind(*args, **kwargs)  # a call Python itself refuses: TypeError
        problems = [
            problem
            for name, value in bound.arguments.items()
            if name != "self" and name in hints
            for problem in _fits(name, value, hints[name])
        ]
        if problems:
            raise ValidationError(f"cannot call {function.__qualname__}", problems)
        return function(*args, **kwargs)

    return cast("F", wrapper)


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The annotations that resolve at run time; one naming a type imported only for type
    checking is left unchecked."""
    try:
        return get_type_hints(function)
    except NameError:
        names = function.__globals__
        resolved = {n: _resolved(a, names) for n, a in function.__annotations__.items()}
        return {n: hint for n, hint in resolved.items() if hint is not None}


def _resolved(annotation: Any, names: dict[str, Any]) -> Any:
    """The type an annotation names, or ``None`` when it names one not imported at run time."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, names)
    except NameError:
        return None


C = TypeVar("C", bound=type)


def checked_methods(cls: C) -> C:
    """``checked`` on every public method of ``cls`` (and its constructor)."""
    for name, member in list(vars(cls).items()):
        if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__"):
            setattr(cls, name, checked(member))
    return cls


def _fits(name: str, value: object, hint: Any) -> list[str]:
    """Why ``value`` does not fit ``hint`` (empty when it does)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any or hint is object:
        return []
    if origin in (Union, UnionType):
        options = [_fits(name, value, a) for a in args]
        if any(not found for found in options):
            return []
        kinds = [a for a in args if isinstance(get_origin(a) or a, type)]
        near = [o for a, o in zip(args, options, strict=True) if _kind_of(value, a, kinds)]
        if len(near) == 1:  # the right kind of value, wrong inside: say what is wrong there
            return near[0]
        wanted = " or ".join(_wanted(a) for a in args)
        return [f"{name}: expected {wanted}, got {_shown(value)}"]
    if hint is type(None):
        return [] if value is None else [f"{name}: expected None"]
    if hint is str:
        if not isinstance(value, str):
            return [f"{name}: expected text, got {_shown(value)}"]
        problem = text_problem(value)
        return [] if problem is None else [f"{name}: {problem}"]
    if hint is bool:
        return (
            []
            if isinstance(value, bool)
            else [f"{name}: expected True or False, got {_shown(value)}"]
        )
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{name}: expected a whole number, got {_shown(value)}"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isfinite(value):  # type: ignore[arg-type]
            return []
        return [f"{name}: expected a finite number, got {_shown(value)}"]
    if hint is datetime:
        if not isinstance(value, datetime):
            return [f"{name}: expected a datetime, got {_shown(value)}"]
        if value.tzinfo is None or value.utcoffset() is None:
            return [f"{name}: expected a timezone-aware datetime, got naive {value.isoformat()}"]
        return []
    if hint is date:
        if isinstance(value, datetime) or not isinstance(value, date):
            return [f"{name}: expected a date (e.g. date(2026, 12, 7)), got {_shown(value)}"]
        return []
    if hint is timedelta:
        ok = isinstance(value, timedelta)
        return [] if ok else [f"{name}: expected a timedelta, got {_shown(value)}"]
    if origin is collections.abc.Sequence or (origin is tuple and args[-1:] == (Ellipsis,)):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            return [f"{name}: expected a list, got {_shown(value)}"]
        return [p for i, item in enumerate(value) for p in _fits(f"{name}[{i}]", item, args[0])]
    if origin is tuple:
        if not isinstance(value, tuple | list) or len(value) != len(args):
            return [f"{name}: expected a pair, got {_shown(value)}"]
        return [
            p
            for i, (item, a) in enumerate(zip(value, args, strict=True))
            for p in _fits(f"{name}[{i}]", item, a)
        ]
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, Mapping):
            return [f"{name}: expected a mapping (a table), got {_shown(value)}"]
        key, item = args or (Any, Any)
        return [
            p
            for k, v in value.items()
            for p in (*_fits(f"{name} key", k, key), *_fits(f"{name}.{k!s:.40}", v, item))
        ]
    if isinstance(hint, type):
        ok = isinstance(value, hint)
        return [] if ok else [f"{name}: expected {hint.__name__}, got {_shown(value)}"]
    return []


def _kind_of(value: object, hint: Any, kinds: list[Any]) -> bool:
    """Is ``value`` of the outer type ``hint`` names (a datetime for ``datetime``, any
    mapping for ``Mapping[str, str]``)?"""
    return hint in kinds and isinstance(value, get_origin(hint) or hint)


def _wanted(hint: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "True or False"}
    if get_origin(hint) in (collections.abc.Mapping, dict):
        return "a mapping (a table)"
    if hint is type(None):
        return "None"
    if hint in names:
        return names[hint]
    return getattr(hint, "__name__", str(hint))
