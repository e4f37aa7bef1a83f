"""What every benchmark prints: announced sections and one aligned table of figures vs baselines."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: str


def machine(name: str) -> str:
    """The header line: Python, cores, and how fast this machine runs a fixed Python loop.

    Absolute targets assume an ordinary machine; the reference loop lets a reader compare
    figures taken on machines of different speed (``sum(range(10**6))``, best of 5).
    """
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        sum(range(10**6))
        best = min(best, time.perf_counter() - began)
    return (
        f"serviceflow {name} benchmark: python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"reference loop {best * 1e3:.1f} ms"
    )


@contextmanager
def section(title: str) -> Iterator[None]:
    """Announce a section and how long it took, so a slow phase is visible while it runs."""
    print(f"… {title}", flush=True)
    began = time.perf_counter()
    yield
    print(f"  done in {time.perf_counter() - began:.1f} s", flush=True)


def print_table(rows: list[Row]) -> None:
    """Print rows as an aligned plain-text table (no rich, so output pastes anywhere)."""
    header = Row("figure", "value", "baseline", "ratio", "target", "met")
    table = [header, *rows]
    names = [f.name for f in fields(Row)]
    widths = [max(len(getattr(r, name)) for r in table) for name in names]
    for i, row in enumerate(table):
        cells = [getattr(row, name).ljust(w) for name, w in zip(names, widths, strict=True)]
        print(" | ".join(cells).rstrip())
        if i == 0:
            print("-+-".join("-" * w for w in widths))
