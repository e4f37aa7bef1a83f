"""``--json``: what every listing and showing command prints instead of its tables.

One shape for every command (docs/cli-json.md documents each command's fields):

* a listing is a JSON array of objects (an empty one is ``[]``); a "show" is one object;
* keys in the order the command builds them (never sorted), text as it is (not escaped
  to ASCII), indented by two spaces;
* instants as ISO 8601 text in UTC (``2026-03-02T08:55:00+00:00``), dates as
  ``YYYY-MM-DD``, durations as seconds (numbers), an enum by its name, a set as a sorted
  list (any other sequence or iterator as a list), an attrs object or a dataclass by its
  fields; a number that is not finite is ``null``. Anything else is refused (a
  ``TypeError``): never a Python repr.

Nothing else goes to stdout when ``--json`` is given: a command's notes and warnings go to
stderr (``err``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar, cast

import attrs
import click
import orjson

__all__ = ["as_json", "emit", "json_option", "jsonable"]

F = TypeVar("F", bound=Callable[..., Any])


def json_option(what: str) -> Callable[[F], F]:
    """The ``--json`` flag (``as_json``) of a command that prints ``what``."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help=f"Print {what} as JSON (shape: docs/cli-json.md).",
    )


def jsonable(value: object) -> Any:
    """``value`` as JSON data: see the module for each kind of value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.name
    if attrs.has(type(value)):
        fields = attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
        return {a.name: jsonable(getattr(value, a.name)) for a in fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [jsonable(v) for v in sorted(value, key=str)]
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        return [jsonable(v) for v in value]  # a list, a tuple, a generator of rows
    raise TypeError(f"no JSON form for a {type(value).__name__}")


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, tuple):
        return "/".join(str(jsonable(k)) for k in key)
    found = jsonable(key)
    return found if isinstance(found, str) else orjson.dumps(found).decode()


def as_json(value: object) -> str:
    """``value`` as the indented JSON text ``--json`` prints."""
    return orjson.dumps(jsonable(value), option=orjson.OPT_INDENT_2).decode()


def emit(value: object) -> None:
    """Print ``value`` as JSON on stdout, and nothing else."""
    click.echo(as_json(value))
