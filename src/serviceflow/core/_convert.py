"""The private cattrs converter: policy and inputs in, canonical JSON-ready data out.

A value of the wrong shape is refused in the words of the file a person wrote ("expected a
whole number, got '3h'", "expected a list of tables, got a table"), never with a Python type
name, and every problem of a document is listed at once, each with its ``$.path``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import attrs
import cattrs
import orjson
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from serviceflow.clock import require_aware
from serviceflow.core._calendar import as_date
from serviceflow.core._duration import format_duration, parse_duration
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.core._storable import text_problem
from serviceflow.errors import ServiceflowError, ValidationError

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

# --- words: what a value is, and what a type wants, as a person writes them ----------------

_LONGEST_SHOWN = 60
_FIELDS_SHOWN = 5
_SCALARS: dict[Any, tuple[str, str]] = {
    str: ("text", "texts"),
    int: ("a whole number", "whole numbers"),
    float: ("a number", "numbers"),
    bool: ("true or false", "true or false values"),
    date: ("a date like 2026-12-25", "dates"),
    datetime: ("a date and time with its zone, like 2026-03-02T09:00:00+01:00", "dates and times"),
    timedelta: (
        "a duration like '45m', '4h', '1d 2h', 'PT30M' or a number of seconds",
        "durations",
    ),
}
"""Each plain type in words: one value, and several (for "a list of ...")."""


def shown(value: Any) -> str:
    """``value`` as a person wrote it: text quoted, numbers, true or false, a date, "a table",
    "a list"; never a Python type name or repr of an object."""
    if isinstance(value, str):
        cut = value if len(value) <= _LONGEST_SHOWN else value[: _LONGEST_SHOWN - 3] + "..."
        return repr(cut)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) >= 10**_LONGEST_SHOWN:
        return f"a number of more than {_LONGEST_SHOWN} digits"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return repr(format_duration(value))
    return _shown_shape(value)


def _shown_shape(value: Any) -> str:
    """A value that is not a single word: a table, a list, nothing, or something else."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return "a value of another kind"


def _named(value: Any) -> str:
    """``shown``, with text called text: reads better where a table or a list was expected."""
    return f"the text {shown(value)}" if isinstance(value, str) else shown(value)


def wanted(type_: Any) -> str:
    """What a value of ``type_`` is, in words: "a whole number", "a list of tables",
    "a table (name, description, response)", "one of 'a', 'b'"."""
    if type_ in _SCALARS:
        return _SCALARS[type_][0]
    if _is_attrs(type_):
        return f"a table ({_field_names(type_)})"
    if _is_sequence(type_):
        return _list_of(type_)
    origin, args = get_origin(type_), get_args(type_)
    if type_ in (dict, Mapping) or origin in (dict, Mapping):
        return "a table"
    if origin is Literal:
        return "one of " + ", ".join(shown(a) for a in args)
    if isinstance(type_, type) and issubclass(type_, Enum):
        return "one of " + ", ".join(shown(m.value) for m in type_)
    if origin in (Union, UnionType):
        return " or ".join(wanted(a) for a in args if a is not NoneType)
    return "a value of another kind"


def _is_attrs(type_: Any) -> bool:
    return isinstance(type_, type) and attrs.has(type_)


def _field_names(cls: type) -> str:
    """The keys a table of ``cls`` takes, the first few then "..."."""
    names = [a.name for a in attrs.fields(cls) if a.init]
    more = ", ..." if len(names) > _FIELDS_SHOWN else ""
    return ", ".join(names[:_FIELDS_SHOWN]) + more


def _is_sequence(type_: Any) -> bool:
    """``tuple[X, ...]``, ``list[X]`` or ``Sequence[X]``: a TOML array of one kind of value."""
    origin, args = get_origin(type_), get_args(type_)
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis
    return origin in (list, Sequence)


def _list_of(type_: Any) -> str:
    """ "a list of tables", "a list of texts", or just "a list" for items of another kind."""
    item = get_args(type_)[0]
    if item in _SCALARS:
        return f"a list of {_SCALARS[item][1]}"
    if _is_attrs(item) or get_origin(item) in (dict, Mapping):
        return "a list of tables"
    if _is_sequence(item):
        return "a list of lists"
    return "a list"


def _refuse(what: str, type_: Any, value: Any) -> ValidationError:
    """The refusal of ``value`` where a ``type_`` belongs: "expected ..., got ..."."""
    return ValidationError(what, [f"expected {wanted(type_)}, got {_named(value)}"])


# --- structure hooks: each refuses a wrong value in words, with the value ------------------


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return require_aware(value)
    if not isinstance(value, str):
        raise ValidationError("datetime", [f"expected {wanted(datetime)}, got {shown(value)}"])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            "datetime", [f"expected {wanted(datetime)}, got {shown(value)}"]
        ) from None
    return require_aware(parsed)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError("text", [f"expected text, got {shown(value)}"])
    problem = text_problem(value)
    if problem:
        raise ValidationError("text", [problem])
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("flag", [f"expected true or false, got {shown(value)}"])
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("integer", [f"expected a whole number, got {shown(value)}"])
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("number", [f"expected a number, got {shown(value)}"])
    if not math.isfinite(value):
        raise ValidationError("number", [f"expected a finite number, got {shown(value)}"])
    return float(value)


def _structure_duration(value: Any, _: type) -> timedelta:
    """Text or seconds (``parse_duration`` says what is wrong with them); anything else is
    refused here, with the forms a duration may take."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | timedelta):
        raise ValidationError("duration", [f"expected {wanted(timedelta)}, got {shown(value)}"])
    return parse_duration(value)


def _structure_date(value: Any, _: type) -> date:
    day = as_date(value)
    if day is None:
        raise ValidationError("date", [f"expected {wanted(date)}, got {shown(value)}"])
    return day


_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def record_json(record: Any) -> dict[str, Any]:
    """An attrs record as JSON-ready data, by its class's own unstructure function (looked up
    once per class, not dispatched per call)."""
    cls = type(record)
    unstructure = _UNSTRUCTURE.get(cls)
    if unstructure is None:
        unstructure = _UNSTRUCTURE[cls] = converter.get_unstructure_hook(cls)
    data: dict[str, Any] = unstructure(record)
    return data


_UNSTRUCTURE: dict[type, Callable[[Any], Any]] = {}


def holds_floats(kind: Any) -> bool:
    """Can a value of type ``kind`` hold a float once unstructured? ``False`` only when its
    declared types say no (text, whole numbers, times, records of such), worked out once."""
    known = _HOLDS_FLOATS.get(kind)
    if known is None:
        try:
            known = _may_hold_float(kind, frozenset())
        except Exception:  # hints that cannot be resolved: the data is searched instead
            known = True
        _HOLDS_FLOATS[kind] = known
    return known


_HOLDS_FLOATS: dict[Any, bool] = {}
_FLOATLESS_LEAVES = (str, int, bool, NoneType, datetime, date, time, timedelta)


def _may_hold_float(kind: Any, seen: frozenset[Any]) -> bool:
    if kind in _FLOATLESS_LEAVES or kind in seen:  # a record inside itself adds no float
        return False
    inner = seen | {kind}
    if isinstance(kind, type) and issubclass(kind, Enum):
        return any(isinstance(member.value, float) for member in kind)
    if isinstance(kind, type) and attrs.has(kind):
        hints = get_type_hints(kind)
        return any(_may_hold_float(hints[field.name], inner) for field in attrs.fields(kind))
    origin = get_origin(kind)
    if origin is Literal:
        return any(isinstance(value, float) for value in get_args(kind))
    if origin in (tuple, list, frozenset, set, Union, UnionType) or origin is Mapping:
        return any(_may_hold_float(arg, inner) for arg in get_args(kind) if arg is not Ellipsis)
    return True  # float, Any, object, or a type this does not know


def canonical_json(data: Any, *, floats: bool = True) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same data always gives the same text.

    NaN and infinity are refused (``ValidationError``): JSON has no such numbers, and a
    stored event that holds one could never be read back. Data without a float (nearly
    every event) is written by orjson, which gives the very same text several times
    faster; a float goes through the standard encoder, whose exponents (``1e-05``) the
    stored texts already use. ``floats=False``: the data's types hold none (see
    ``holds_floats``), so it is not searched for one."""
    if not floats or _floatless(data):
        try:
            return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # an integer past 64 bits, a key that is not text: the standard way
            pass
    try:
        return _dumps(data)
    except ValueError:
        raise ValidationError(
            "stored JSON", ["a number is not finite (NaN or infinity); nothing was written"]
        ) from None


def _floatless(value: Any) -> bool:
    """Whether ``value`` (JSON-ready data) holds no float anywhere."""
    if isinstance(value, dict):
        items: Iterable[Any] = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return not isinstance(value, float)
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is int or kind is bool:
            continue  # the common leaves, without a call
        if not _floatless(item):
            return False
    return True


_LAST_ISO: tuple[datetime | None, str] = (None, "")


def iso(value: datetime) -> str:
    """The text form of an instant: fixed width (microseconds), so text order is time order.

    A command writes its instant several times (events, row, messages): the last one's
    text is kept, for that very object (an equal instant in another zone reads otherwise).
    """
    global _LAST_ISO  # noqa: PLW0603 - a one-entry memo; a tuple swaps whole
    last, text = _LAST_ISO
    if value is last:
        return text
    text = value.isoformat(timespec="microseconds")
    _LAST_ISO = (value, text)
    return text


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _only_lists(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A list field takes a list: a string would become a tuple of its characters, a table
    its keys, and a number would fail inside cattrs without words."""
    inner = homogenous_tuple_structure_factory(type_, conv)

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise _refuse("list", type_, value)
        return inner(value, type_)

    return structure


converter.register_structure_hook_factory(_is_homogeneous_tuple, _only_lists)


def _only_tables(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """An attrs class takes a table: anything else is refused with the keys it takes, before
    cattrs' generated code would fail on it with an attribute error."""
    inner = conv.gen_structure_attrs_fromdict(type_)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _refuse("table", type_, value)
        return inner(value, type_)

    return structure


converter.register_structure_hook_factory(_is_attrs, _only_tables)


def _is_mapping(type_: Any) -> bool:
    return get_origin(type_) is Mapping


def _read_only(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Policy mappings are read-only views: a frozen policy must not change under a desk."""
    key, value = get_args(type_)
    inner = conv.get_structure_hook(dict[key, value])  # type: ignore[valid-type]

    def structure(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _refuse("table", type_, data)
        return ReadOnlyMap(inner(data, dict[key, value]))  # type: ignore[valid-type]

    return structure


converter.register_structure_hook_factory(_is_mapping, _read_only)
converter.register_unstructure_hook(
    ReadOnlyMap, lambda m: {k: converter.unstructure(v) for k, v in m.items()}
)
converter.register_structure_hook(date, _structure_date)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, iso)
converter.register_structure_hook(timedelta, _structure_duration)
converter.register_unstructure_hook(timedelta, format_duration)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)

# --- from cattrs' exception groups to "$.path: message" lines -------------------------------


def structure_checked(
    data: Mapping[str, Any] | Any,
    cls: type[T],
    *,
    what: str,
    error: type[ValidationError] = ValidationError,
) -> T:
    """Structure ``data`` into ``cls``; on failure raise ``error`` listing every problem as
    ``$.path: message``."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ServiceflowError) as exc:
        raise error(what, list(problems_of(exc, "$", cls))) from None


def problems_of(exc: BaseException, path: str, type_: Any) -> Iterator[str]:
    """Every problem a structuring failure holds, walking cattrs' exception groups down to
    their leaves (so no problem hides another), each as ``path: message``."""
    if isinstance(exc, ClassValidationError):
        yield from _class_problems(exc, path)
    elif isinstance(exc, IterableValidationError):
        yield from _item_problems(exc, path, type_)
    elif isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            yield from problems_of(sub, path, type_)
    else:
        yield from (f"{path}: {message}" for message in _leaf_messages(exc, type_))


def _class_problems(exc: ClassValidationError, path: str) -> Iterator[str]:
    """A table's problems: each field's at ``path.field``, the table's own (unknown keys) at
    ``path``."""
    with_notes, without = exc.group_exceptions()
    for sub, note in with_notes:
        yield from problems_of(sub, f"{path}.{note.name}", note.type)
    for sub in without:
        yield from problems_of(sub, path, exc.cl)


def _item_problems(exc: IterableValidationError, path: str, type_: Any) -> Iterator[str]:
    """A list's or a table's problems, each at ``path[index]`` or ``path['key']``."""
    with_notes, without = exc.group_exceptions()
    for sub, note in with_notes:
        yield from _keyed(problems_of(sub, f"{path}[{note.index!r}]", note.type), note)
    for sub in without:
        yield from problems_of(sub, path, type_)


def _keyed(lines: Iterator[str], note: IterableValidationNote) -> Iterator[str]:
    """Lines about a mapping's key (not its value) say so."""
    if not str(note).startswith("Structuring mapping key"):
        yield from lines
        return
    for line in lines:
        where, _, message = line.partition(": ")
        yield f"{where}: the key: {message}"


def _leaf_messages(exc: BaseException, type_: Any) -> list[str]:
    """What one failure says, in words; an unforeseen exception says what was expected,
    never its Python text."""
    if isinstance(exc, ValidationError):
        return list(exc.problems) or [str(exc)]
    if isinstance(exc, ForbiddenExtraKeysError):
        return [f"unknown field(s) {', '.join(sorted(map(str, exc.extra_fields)))}"]
    if isinstance(exc, KeyError):
        return ["required field is missing"]
    return [f"expected {wanted(type_)}"]
