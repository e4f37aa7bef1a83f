"""Reading a user's TOML file into a mapping, every failure a serviceflow error naming the file
and where.

Policies, import mappings, scenarios, forecasts and templates all read files a person wrote;
one set of checks here keeps their refusals alike: missing or unreadable, a NUL in the path,
not UTF-8 (a leading byte-order mark is dropped), bad TOML with its line and column.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from io import BufferedReader
from pathlib import Path
from typing import Any

from serviceflow.errors import ValidationError

Refusal = Callable[[str, list[str]], ValidationError]
"""Builds the error from a heading and its problems (``ValidationError``, ``PolicyError``, ...)."""


def why_unreadable(exc: OSError | ValueError) -> str:
    """Why a file could not be read: the system's words, or where its bytes stop being UTF-8."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)  # a ValueError: a NUL in the path


def unreadable(
    path: Path, exc: OSError | ValueError, what: str = "", *, error: Refusal = ValidationError
) -> ValidationError:
    """The refusal of a file that could not be opened or decoded: "cannot read <what> <path>"."""
    named = f"{what} {path!s:.200}" if what else f"{path!s:.200}"  # a path can be any length
    return error(f"cannot read {named}", [why_unreadable(exc)])


def decode_file(path: Path) -> str:
    """The UTF-8 text of a file (newlines as ``\\n``, a leading byte-order mark dropped);
    raises ``OSError`` or ``ValueError``."""
    return path.read_text(encoding="utf-8").removeprefix("\ufeff")


def read_text(path: Path, what: str, *, error: Refusal = ValidationError) -> str:
    """The UTF-8 text of the file at ``path``, or the ``unreadable`` refusal."""
    try:
        return decode_file(path)
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, a NUL in the path
        raise unreadable(path, exc, what, error=error) from None


def open_bytes(path: Path, what: str = "", *, error: Refusal = ValidationError) -> BufferedReader:
    """The file at ``path`` opened to read bytes (the importer streams it), or ``unreadable``."""
    try:
        return path.open("rb")
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise unreadable(path, exc, what, error=error) from None


def parse_toml(text: str, heading: str, *, error: Refusal = ValidationError) -> dict[str, Any]:
    """A TOML document as a dict, or ``error(heading, [what is wrong, at which line, column])``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(heading, [str(exc)]) from None
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise error(heading, ["arrays or tables nested too deeply to read"]) from None


def load_toml(path: Path, what: str, *, error: Refusal = ValidationError) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; refused as "cannot read <what> <path>" or
    "<what> <path> is not valid TOML"."""
    text = read_text(path, what, error=error)
    return parse_toml(text, f"{what} {path} is not valid TOML", error=error)
