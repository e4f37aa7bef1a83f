"""Paths a command will write, checked when its options are parsed: before any work starts.

Every option that writes a file or a folder takes ``OutputPath``; every ``--db`` takes
``StoreTarget``. A path that cannot be written is click's usage error (``Error: Invalid
value for '--html': ...``, exit status 2), never a traceback after minutes of work.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from serviceflow.backends._sqlite_url import parse_url
from serviceflow.errors import ServiceflowError


def unwritable(
    path: Path, *, folder: bool = False, replace: bool = True, kind: str = "a file"
) -> str | None:
    """Why ``path`` cannot be written as ``kind`` of file (or, with ``folder``, a folder),
    or None; ``replace``: an existing file must be writable too."""
    if "\x00" in str(path):
        return "a path cannot contain a NUL character"
    if path.is_dir() and not folder:
        return f"{path} is a folder; name {kind}"
    if path.exists() and folder and not path.is_dir():
        return f"{path} is a file; name a folder"
    parent = path.parent
    if not parent.exists():
        return f"folder {parent} does not exist (for {path})"
    if not parent.is_dir():
        return f"{parent} is not a folder (for {path})"
    if path.exists():
        if replace and not os.access(path, os.W_OK):
            return f"{path} is not writable"
    elif not os.access(parent, os.W_OK | os.X_OK):
        return f"folder {parent} is not writable (for {path})"
    return None


class OutputPath(click.ParamType[str]):
    """A file (or, with ``folder``, a folder) the command writes; ``''`` passes as "none"."""

    name = "path"

    def __init__(self, *, folder: bool = False) -> None:
        self.folder = folder

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if text:
            problem = unwritable(Path(text), folder=self.folder)
            if problem is not None:
                self.fail(problem, param, ctx)
        return text


class StoreTarget(click.ParamType[str]):
    """A ``--db`` value: a SQLite path or ``sqlite:///`` URL must be a file in an existing
    folder; any other store URL is left to the store that opens it."""

    name = "url"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value)
        if "://" in text and not text.startswith("sqlite:"):
            return text
        if "\x00" in text:
            self.fail("a path cannot contain a NUL character", param, ctx)
        raw = text
        if text.startswith("sqlite:"):
            try:
                raw, _sync = parse_url(text)
            except ServiceflowError as exc:
                self.fail(str(exc), param, ctx)
        if raw != ":memory:":
            problem = unwritable(Path(raw), replace=False, kind="a SQLite file")
            if problem is not None:
                self.fail(problem, param, ctx)
        return text
