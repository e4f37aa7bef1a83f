"""Tables that read well at any width, on a terminal or in a pipe: every command's listings.

A command builds a :class:`Listing` (its columns, then its rows) and prints it; this module
decides the layout, measured at the console's width (rich's ``Console.width``: the
terminal's, or off a terminal ``COLUMNS``, else 80 columns):

* No cell is cut and no word is broken across lines: no ellipsis, no folding. A cell may
  wrap only at its spaces; a column never gets narrower than its longest word, and a
  column of text never narrower than ``TEXT_FLOOR`` characters (or its widest cell, if
  smaller), so that what wraps still reads as text.
* Columns start at their widest cell. When the table is wider than the console, the text
  columns give up room first (they wrap at spaces), then the headers (a header of two
  words takes two lines before any row does).
* When even that does not fit, the listing turns into records: one block per row, one
  ``header: value`` line per cell that holds something (a key/value table without
  headers prints its own ``key: value`` lines), a value wrapping at spaces under its own
  indentation. A word longer than a whole line is the one thing that has to be folded.
* A listing with no row prints one sentence, the same way in every command:
  ``No <things>.`` (:func:`nothing`).

Cells are data, never markup: a subject like ``[/x]`` prints as it is. A cell that needs a
colour is a :class:`rich.text.Text`. :func:`plain` turns a value into its text: a mapping
as ``key: value`` pairs, a sequence as a comma list, a moment as ``YYYY-MM-DD HH:MM``,
nothing as ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from serviceflow.cli._consoles import console

__all__ = ["TEXT_FLOOR", "Col", "Listing", "nothing", "plain", "say", "say_under"]

TEXT_FLOOR = 20
"""The narrowest a wrapping column of text gets (unless its widest cell is narrower)."""

_BOX = box.HEAVY_HEAD
_EDGE = 1  # rich's box: one border between columns and at each edge, one space of padding


def _console() -> Console:
    return console


@dataclass(frozen=True)
class Col:
    """A column: its header and how its cells line up (numbers read best on the right)."""

    header: str
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class _Measure:
    least: int  # the narrowest it may get: its longest word, or its text floor
    cells: int  # its widest cell
    natural: int  # its widest cell or its header on one line


def nothing(things: str) -> str:
    """The sentence an empty listing prints: ``No <things>.``"""
    return f"No {things}."


def say(text: str | Text, *, to: Console | None = None) -> None:
    """Print a sentence wrapped at spaces to the console's width (markup allowed in a str)."""
    (to or _console()).print(text, soft_wrap=False, overflow="fold")


def say_under(prefix: Text, text: str, *, to: Console | None = None) -> None:
    """Print ``prefix`` then ``text``, the text wrapping at spaces under itself (a log line:
    its columns stay readable at any width); a prefix that leaves no room wraps as one."""
    out = to or _console()
    indent = prefix.cell_len
    room = out.width - indent
    if room < TEXT_FLOOR:
        say(prefix + Text(text), to=out)
        return
    lines = [_trimmed(line) for line in Text(text).wrap(out, room, overflow="fold")]
    first = prefix + (lines[0] if lines else Text())
    rest = [Text(" " * indent) + line for line in lines[1:]]
    out.print(Text("\n").join([first, *rest]), soft_wrap=True)


def plain(value: object) -> str:
    """A value as people read it: a mapping as ``key: value, ...``, a sequence as a comma
    list, a moment as ``YYYY-MM-DD HH:MM``, an enum by its value, nothing as ``none``."""
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (Sequence, frozenset, set)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ", ".join(plain(v) for v in items) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _words(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _lines(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


class Listing:
    """A table of plain cells, printed whole at the console's width (see the module)."""

    def __init__(
        self,
        *columns: str | Col,
        title: str | None = None,
        things: str | None = None,
        show_header: bool = True,
    ) -> None:
        self.columns = [c if isinstance(c, Col) else Col(c) for c in columns]
        self.title = title
        self.things = things
        self.show_header = show_header
        self.rows: list[list[Text]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add_row(self, *cells: object) -> None:
        """A row of cells: text as it is (never markup), or a styled ``Text``."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([c if isinstance(c, Text) else Text(str(c)) for c in cells])

    def print(self, to: Console | None = None) -> None:
        """Print at ``to``'s width (default: the commands' console): a table that fits,
        else records; with no row, ``No <things>.`` (or nothing, if it names no things)."""
        out = to or _console()
        if not self.rows:
            if self.things:
                say(nothing(self.things), to=out)
            return
        if self.title:
            say(Text(self.title, style="bold"), to=out)
        widths = self.widths(out.width)
        if widths is None:
            out.print(self._records(out), soft_wrap=True)  # its lines fit: as they are
        else:
            out.print(self._table(widths), soft_wrap=False)

    def widths(self, width: int) -> list[int] | None:
        """The width of each column so the table fits ``width`` columns of text with no
        word broken; None when it cannot (then it prints as records)."""
        measures = [self._measure(i) for i in range(len(self.columns))]
        room = width - (3 * len(measures) + _EDGE)  # padding on both sides, borders
        widths = [m.least for m in measures]
        room -= sum(widths)
        if room < 0:
            return None
        room = _grow(widths, [m.cells for m in measures], room)  # text first, then headers
        _grow(widths, [m.natural for m in measures], room)
        return widths

    def _measure(self, index: int) -> _Measure:
        header = self.columns[index].header if self.show_header else ""
        texts = [row[index].plain for row in self.rows]
        cells = max((_lines(t) for t in texts), default=0)
        word = max((_words(t) for t in texts), default=0)
        least = max(word, min(cells, TEXT_FLOOR), _words(header), 1)
        return _Measure(least, max(cells, least), max(cells, _lines(header), least))

    def _table(self, widths: list[int]) -> Table:
        shown = Table(box=_BOX, show_header=self.show_header, header_style="bold")
        for column, width in zip(self.columns, widths, strict=True):
            shown.add_column(
                Text(column.header), justify=column.justify, width=width, overflow="fold"
            )
        for row in self.rows:
            shown.add_row(*row)
        return shown

    def _records(self, out: Console) -> Text:
        """One block per row: ``header: value`` lines, values wrapping under themselves."""
        if self.show_header or len(self.columns) != 2:
            keys = [f"{c.header}:" for c in self.columns]
            blocks = [list(zip(keys, row, strict=True)) for row in self.rows]
        else:  # a key/value table: its own lines
            blocks = [[(f"{row[0].plain}:", row[1]) for row in self.rows]]
        width = out.width
        longest = max(cell_len(key) for block in blocks for key, _ in block)
        indent = min(longest, width // 3) + 1
        lines: list[Text] = []
        for number, block in enumerate(blocks):
            if number:
                lines.append(Text())
            for key, value in block:
                if not value.plain:  # an empty cell says nothing in a record
                    continue
                wrapped = list(value.wrap(out, max(width - indent, 1), overflow="fold"))
                if cell_len(key) >= indent:  # a key too long to share its line
                    lines.append(Text(key, style="bold"))
                    first = Text(" " * indent)
                else:
                    first = Text(key.ljust(indent), style="bold")
                head = wrapped[0] if wrapped else Text()
                lines.append(first + head)
                lines.extend(Text(" " * indent) + more for more in wrapped[1:])
        return Text("\n").join(_trimmed(line) for line in lines)


def _trimmed(line: Text) -> Text:
    """The line without the spaces that wrapping leaves at its end."""
    line.rstrip()
    return line


def _grow(widths: list[int], targets: Sequence[int], room: int) -> int:
    """Widen the columns toward their targets, in proportion to what each lacks, within
    ``room``; the room left."""
    wanting = [max(t - w, 0) for w, t in zip(widths, targets, strict=True)]
    total = sum(wanting)
    if total <= room:
        for i, lack in enumerate(wanting):
            widths[i] += lack
        return room - total
    given = [room * lack // total for lack in wanting]
    left = room - sum(given)
    for i in sorted(range(len(wanting)), key=lambda i: wanting[i] - given[i], reverse=True):
        if left and given[i] < wanting[i]:
            given[i] += 1
            left -= 1
    for i, more in enumerate(given):
        widths[i] += more
    return 0
