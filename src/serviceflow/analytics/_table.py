"""A table of plain values and how its values read: each column says what kind its numbers
are (seconds, 0–1 shares, counts), so every reader formats them the same way.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from attrs import frozen

Cell = str | int | float | None
"""One plain value of a table: text, a count, seconds, a share or a number."""
Kind = Literal["text", "count", "seconds", "share", "number"]
"""How a column's values read: seconds are durations, shares are 0–1 rates."""


@frozen
class Column:
    """A table column: ``key`` names it in exports, ``label`` on screen."""

    key: str
    label: str
    kind: Kind = "text"


@frozen
class Table:
    """One KPI table: its columns and rows of plain values (``note`` says what it counts)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def records(self) -> list[dict[str, Cell]]:
        """The rows as mappings from column key to value."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: the table's name, title, note, columns and records."""
        return {
            "name": self.name,
            "title": self.title,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": self.records(),
        }


@frozen
class Figure:
    """A headline number: its value, how to read it, and what it is out of."""

    label: str
    value: float | int | None
    kind: Kind
    detail: str

    def text(self) -> str:
        """The value as a headline shows it: a score signed, to the tables' precision
        (``+9.52``), so the headline and the tables never read differently."""
        if self.kind == "number" and self.value is not None:
            return f"{self.value:+,.2f}"
        return format_cell(self.value, self.kind)


def human_duration(seconds: float) -> str:
    """Seconds as a person reads them, to two units: ``45s``, ``12m 5s``, ``3h 20m``, ``2d 4h``
    (the smaller unit rounded half up)."""
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if 0 < seconds < 0.5:
        return "<1s"
    whole = math.floor(seconds + 0.5)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return _two_units(divmod(whole, 60), "m", "s")
    minutes = math.floor(seconds / 60 + 0.5)
    if minutes < 1440:
        return _two_units(divmod(minutes, 60), "h", "m")
    return _two_units(divmod(math.floor(seconds / 3600 + 0.5), 24), "d", "h")


def _two_units(amounts: tuple[int, int], unit: str, smaller: str) -> str:
    big, rest = amounts
    return f"{big}{unit} {rest}{smaller}" if rest else f"{big}{unit}"


def format_cell(value: Cell, kind: Kind) -> str:
    """A value as it reads on screen: durations, percentages, grouped counts."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if kind == "seconds":
        return human_duration(value)
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count" and isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"
