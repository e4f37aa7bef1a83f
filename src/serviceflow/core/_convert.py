"""The private cattrs converter: policy and inputs in, canonical JSON-ready data out."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, get_args, get_origin

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.v import format_exception as cattrs_format_exception

from serviceflow.clock import require_aware
from serviceflow.core._calendar import as_date
from serviceflow.core._duration import format_duration, parse_duration
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.core._storable import text_problem
from serviceflow.errors import ServiceflowError, ValidationError

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return require_aware(value)
    if not isinstance(value, str):
        raise ValidationError("datetime", [f"expected an ISO 8601 string, got {value!r}"])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("datetime", [f"not ISO 8601: {value!r}"]) from None
    return require_aware(parsed)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError(
            "text", [f"expected a string, got {type(value).__name__} {value!r:.60}"]
        )
    problem = text_problem(value)
    if problem:
        raise ValidationError("text", [problem])
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("flag", [f"expected true or false, got {value!r}"])
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("integer", [f"expected an integer, got {value!r}"])
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("number", [f"expected a number, got {value!r}"])
    if not math.isfinite(value):
        raise ValidationError("number", [f"expected a finite number, got {value!r}"])
    return float(value)


_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same data always gives the same text.

    NaN and infinity are refused (``ValidationError``): JSON has no such numbers, and a
    stored event that holds one could never be read back."""
    try:
        return _dumps(data)
    except ValueError:
        raise ValidationError(
            "stored JSON", ["a number is not finite (NaN or infinity); nothing was written"]
        ) from None


def iso(value: datetime) -> str:
    """The text form of an instant: fixed width (microseconds), so text order is time order."""
    return value.isoformat(timespec="microseconds")


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _no_bare_strings(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A list field given a string would become a tuple of its characters; refuse it."""
    inner = homogenous_tuple_structure_factory(type_, conv)

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, str | bytes | Mapping):
            raise ValidationError(
                "list", [f"expected a list, got {type(value).__name__} {value!r}"]
            )
        return inner(value, type_)

    return structure


converter.register_structure_hook_factory(_is_homogeneous_tuple, _no_bare_strings)


def _is_mapping(type_: Any) -> bool:
    return get_origin(type_) is Mapping


def _read_only(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Policy mappings are read-only views: a frozen policy must not change under a desk."""
    key, value = get_args(type_)
    inner = conv.get_structure_hook(dict[key, value])  # type: ignore[valid-type]

    def structure(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValidationError("table", [f"expected a table, got {type(data).__name__}"])
        return ReadOnlyMap(inner(data, dict[key, value]))  # type: ignore[valid-type]

    return structure


converter.register_structure_hook_factory(_is_mapping, _read_only)
converter.register_unstructure_hook(
    ReadOnlyMap, lambda m: {k: converter.unstructure(v) for k, v in m.items()}
)


def _structure_date(value: Any, _: type) -> date:
    day = as_date(value)
    if day is None:
        raise ValidationError("date", [f"expected a date like 2026-12-25, got {value!r}"])
    return day


converter.register_structure_hook(date, _structure_date)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, iso)
converter.register_structure_hook(timedelta, lambda v, _: parse_duration(v))
converter.register_unstructure_hook(timedelta, format_duration)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)


def _format(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.problems) or str(exc)
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(sorted(map(str, exc.extra_fields)))}"
    if isinstance(exc, KeyError):
        return "required field is missing"
    return cattrs_format_exception(exc, type_)


def structure_checked(
    data: Mapping[str, Any] | Any,
    cls: type[T],
    *,
    what: str,
    error: type[ValidationError] = ValidationError,
) -> T:
    """Structure ``data`` into ``cls``; on failure raise ``error`` listing ``$.path: problem``."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ServiceflowError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            lines = cattrs.transform_error(exc, path="$", format_exception=_format)
        else:
            lines = [f"$ {line}" for line in _format(exc, cls).split("; ")]
        raise error(what, [_path_first(line) for line in lines]) from None


def _path_first(line: str) -> str:
    """cattrs writes ``message @ $.path``; we write ``$.path: message``."""
    message, sep, path = line.rpartition(" @ ")
    return f"{path}: {message}" if sep else line
