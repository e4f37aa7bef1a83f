"""Where long work is: a rich progress bar on a terminal, a line on stderr every few seconds
otherwise (a pipe, a CI log), so ``import`` and ``simulate`` are never silent for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.progress import Progress

from serviceflow.cli._consoles import err

PROGRESS_EVERY = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""

Update = Callable[[float, float], None]
"""What long work calls as it goes: (done, total), in its own unit."""

Describe = Callable[[float, float], str]
"""Where the work is, in words, for (done, total): ``120,000 rows, 12.0 of 40.0 MB (30%)``."""


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (where a live bar can redraw itself)."""
    isatty = getattr(err.file, "isatty", None)
    return bool(isatty is not None and isatty())


class ProgressLines:
    """Prints ``label: where, 14 s`` to stderr at most every ``every`` seconds (by default
    ``PROGRESS_EVERY``, read when the work starts)."""

    def __init__(self, label: str, describe: Describe, *, every: float | None = None) -> None:
        self.label = label
        self.describe = describe
        self.every = PROGRESS_EVERY if every is None else every
        self.started = self.last = time.monotonic()

    def __call__(self, done: float, total: float) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        where = self.describe(done, total)
        click.echo(f"{self.label}: {where}, {now - self.started:.0f} s", err=True)


def _ignore(done: float, total: float) -> None:
    """No progress shown (``--quiet``, or no bar wanted on this terminal)."""


@contextmanager
def reporting(
    label: str,
    describe: Describe,
    bar: Progress | None,
    *,
    task: str,
    total: float,
    quiet: bool = False,
) -> Iterator[Update]:
    """An ``Update`` for long work: ``bar`` (None: nothing) on a terminal, ``ProgressLines``
    otherwise; with ``quiet``, nothing at all."""
    if quiet:
        yield _ignore
    elif not stderr_is_terminal():
        yield ProgressLines(label, describe)
    elif bar is None:
        yield _ignore
    else:
        with bar:
            shown = bar.add_task(task, total=total)
            yield lambda done, whole: bar.update(shown, completed=done, total=whole)
