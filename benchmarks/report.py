"""What every benchmark prints: announced sections and one aligned table of figures vs baselines."""

from __future__ import annotations

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
