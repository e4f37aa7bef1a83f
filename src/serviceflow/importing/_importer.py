"""Import a CSV event log: each row becomes the events that lead its case to the row's state.

Imported rows are facts, not commands. They skip ``decide`` (no authority, guardrails or
lifecycle guards), but every event must still be one the lifecycle's destination table
allows in the case's state, so the importer *plans a path*: a row whose case is
``assigned`` and whose state maps to ``closed`` becomes ``Resolved``, ``Validated``,
``Closed``. Attribute changes become their own events (category → ``Classified``,
priority → ``Prioritized``, assignee → ``Assigned``, a rise of the reopen count →
``Reopened``, a made-SLA flag turning false → ``SlaBreached``), recorded at the first
point of the path where the lifecycle allows them. Every event is marked with its source
(``servicenow:log.csv.gz:42``), and carries the row's actor and time.

What cannot be planned is reported, never guessed: a row whose state cannot be reached
(a reopen of a case never resolved, a row older than its case's last one) is skipped as
an anomaly; a value that the mapping's tables (or the policy) do not know skips its row
as an unknown value; a change the lifecycle has no place for (a new category after
resolution) is reported as not recorded while the rest of the row is imported.

The file is streamed (``.gz`` read transparently); memory holds one batch of rows and the
state of the cases this import touched. Each batch is one ``store.append``, one write per
stream. A case that was already in the store when the import met it is left untouched, so
running an import again adds nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import asdict, frozen

from serviceflow.analytics._case_facts import CaseFacts, add_event, opening_facts
from serviceflow.analytics._kept_facts import encode_facts, facts_key
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.core._toml import open_bytes
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case, requester_group
from serviceflow.domain._commands import CASE_ID
from serviceflow.domain._serialization import GENESIS, encode_event, iso
from serviceflow.domain._states import (
    ASSIGNED,
    CLASSIFIED,
    CLOSED,
    INTAKE,
    PRIORITIZED,
    RESOLVED,
    STATES,
    VALIDATED,
)
from serviceflow.errors import ValidationError
from serviceflow.eventlog._chain import case_row, chain_records
from serviceflow.eventlog._store import INDEXED_COLUMNS, FactsRecord, StreamWrite
from serviceflow.importing._mapping import (
    BREACHED,
    ISO,
    MET,
    SKIP,
    ImportMapping,
    check_against_policy,
    load_mapping,
    vocabulary,
)
from serviceflow.rules._evolve import evolve
from serviceflow.rules._lifecycle import DESTINATIONS

__all__ = [
    "ANOMALY",
    "EXISTING",
    "SKIPPED_BY_MAPPING",
    "UNKNOWN",
    "Anomaly",
    "ImportReport",
    "UnknownValue",
    "import_csv",
]

Progress = Callable[[int, int], None]
"""Called after each batch with the bytes of the file read so far and its size."""

EXISTING = "case already in the store"
SKIPPED_BY_MAPPING = "state skipped by the mapping"
UNKNOWN = "unknown value"
ANOMALY = "anomaly"

_EXAMPLES = 5
"""Line numbers kept per unknown value and per anomaly."""
_MAX_UNKNOWN = 200
"""Distinct unknown values kept per column; further ones are counted together."""
_OTHER = "(other values)"

_PRE_WORK = frozenset({INTAKE, CLASSIFIED, PRIORITIZED, ASSIGNED})
"""Targets that mean "not yet worked": triage goes as far as the row's attributes allow."""
_TRIAGE_GAP = {
    INTAKE: "no category",
    CLASSIFIED: "no priority",
    PRIORITIZED: "nobody assigned",
}
_AFTER_RESOLUTION = frozenset({RESOLVED, VALIDATED, CLOSED})
_PATH_TRIGGERS = (
    "acknowledge",
    "request_info",
    "client_reply",
    "resolve",
    "validate",
    "close",
    "cancel",
)
"""Triggers the importer may synthesise on the way to a row's state, in order of preference;
``reopen`` joins them when no reopen counter is mapped."""


# --- the report ----------------------------------------------------------------------------


@frozen
class UnknownValue:
    """A value of a column that the mapping's table (or the policy) does not know."""

    column: str
    value: str
    count: int
    lines: tuple[int, ...]
    """The first few lines it was found on."""


@frozen
class Anomaly:
    """Something the lifecycle cannot express, with the first few lines where it happened."""

    problem: str
    count: int
    lines: tuple[int, ...]
    row_skipped: bool
    """True: the rows were not imported. False: they were, without this one fact."""


@frozen(kw_only=True)
class ImportReport:
    """What an import read, wrote, skipped and could not place."""

    file: str
    mapping: str
    rows_read: int
    rows_imported: int
    rows_unchanged: int
    """Imported rows that changed nothing (an update the lifecycle does not track)."""
    skipped: Mapping[str, int]
    """Rows not imported, by reason (``EXISTING``, ``SKIPPED_BY_MAPPING``, ``UNKNOWN``,
    ``ANOMALY``)."""
    cases_created: int
    cases_existing: int
    """Cases that were in the store before the import met them: left untouched."""
    events: int
    events_by_type: Mapping[str, int]
    unknown_values: tuple[UnknownValue, ...]
    anomalies: tuple[Anomaly, ...]
    seconds: float
    dry_run: bool = False
    """Nothing was written: the report shows what an import would do."""

    @property
    def rows_skipped(self) -> int:
        """Rows not imported, whatever the reason."""
        return sum(self.skipped.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        data = asdict(self, recurse=True)
        data["skipped"] = dict(self.skipped)
        data["events_by_type"] = dict(self.events_by_type)
        data["rows_skipped"] = self.rows_skipped
        return data


# --- the entry point -----------------------------------------------------------------------


def import_csv(
    desk: ServiceDesk,
    path: str | Path,
    mapping: ImportMapping | str | Path,
    *,
    batch: int = 2000,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the CSV event log at ``path`` (plain or gzip) into ``desk``'s store.

    ``mapping`` is an ``ImportMapping``, a built-in mapping's name or a TOML file. Rows are
    read in batches of ``batch``; each batch is appended in one transaction. ``dry_run``
    plans everything and writes nothing. A mapping that does not fit the file or the
    desk's policy is refused before anything is written (``ValidationError``).
    """
    started = time.perf_counter()
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValidationError(
            "cannot import", [f"batch: expected a whole number ≥ 1, got {batch!r}"]
        )
    if not isinstance(mapping, ImportMapping):
        mapping = load_mapping(mapping)
    check_against_policy(mapping, desk.policy)
    file = Path(path)
    with _Source(file, mapping.source.encoding) as source:
        reader = csv.reader(source.text, delimiter=mapping.source.delimiter)
        header = source.guard(lambda: next(reader, None), 0)
        if header is None:
            raise ValidationError(f"cannot import {file}", ["the file is empty (no header row)"])
        run = _Import(desk, mapping, file.name, header, dry_run=dry_run)
        chunk: list[tuple[int, list[str]]] = []
        rows = iter(reader)
        while (row := source.guard(lambda: next(rows, None), reader.line_num)) is not None:
            if not row:
                continue  # a blank line
            chunk.append((reader.line_num, row))
            if len(chunk) == batch:
                run.batch(chunk)
                chunk = []
                if progress is not None:
                    progress(source.done(), source.size)
        if chunk:
            run.batch(chunk)
        if progress is not None:
            progress(source.size, source.size)
    return run.report(time.perf_counter() - started)


# --- reading the file ----------------------------------------------------------------------


class _Source:
    """The file, decoded: gzip or plain (by its first bytes), with how far it has been read."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.raw = open_bytes(path)
        self.size = os.fstat(self.raw.fileno()).st_size
        binary: Any = self.raw
        if self.raw.peek(2)[:2] == b"\x1f\x8b":
            binary = gzip.GzipFile(fileobj=self.raw, mode="rb")
        self.text = io.TextIOWrapper(binary, encoding=encoding, newline="")

    def done(self) -> int:
        """Bytes of the file read so far (compressed bytes for a gzip file)."""
        return self.raw.tell() if not self.raw.closed else self.size

    def guard(self, read: Callable[[], list[str] | None], line: int) -> list[str] | None:
        """Read a row; a damaged file becomes a ``ValidationError`` naming where."""
        try:
            return read()
        except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
            raise ValidationError(
                f"cannot read {self.path} after line {line}",
                [f"{type(exc).__name__}: {exc}", "batches before this line were imported"],
            ) from None

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *_: object) -> None:
        self.text.close()
        self.raw.close()


@frozen
class _Column:
    """A mapped column: its key, its name in the file, its position, its value table."""

    key: str
    name: str
    index: int
    table: dict[str, str] | None


def _layout(
    mapping: ImportMapping, header: Sequence[str], file: str, known: Mapping[str, Sequence[str]]
) -> dict[str, _Column]:
    """Every mapped key's column in the file; a missing column refuses the whole file."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.strip(), i)
    wanted = {**mapping.columns.named()}
    wanted.update({f"fields.{k}": v for k, v in mapping.columns.fields.items()})
    problems = [
        f"$.columns.{key}: no column {column!r} in the file"
        for key, column in wanted.items()
        if column not in positions
    ]
    if problems:
        listing = ", ".join(repr(h) for h in header[:40])
        problems.append(f"the header has: {listing}{', ...' if len(header) > 40 else ''}")
        raise ValidationError(f"{file} does not fit import mapping {mapping.name!r}", problems)
    columns = {}
    for key, name in wanted.items():
        given = mapping.values.get(key)
        table = dict(given) if given is not None else None
        if table is None and key in known:
            table = {value: value for value in known[key]}
        columns[key] = _Column(key, name, positions[name], table)
    return columns


# --- the import ----------------------------------------------------------------------------


class _Track:
    """What the import knows of one case it touched (the only per-case memory it keeps)."""

    __slots__ = (
        "breached",
        "case",
        "facts",
        "head",
        "indexed",
        "last_at",
        "pending",
        "reopens",
        "version",
    )

    def __init__(self) -> None:
        self.case: Case | None = None
        self.version = 0
        """The version stored (or, in a dry run, planned) at the end of the last batch."""
        self.head = GENESIS
        self.indexed: tuple[str | None, ...] | None = None
        self.pending: list[ev.Event] = []
        self.last_at: datetime | None = None
        self.reopens: int | None = None
        self.breached = False
        self.facts: CaseFacts | None = None
        """The case's KPI facts so far, kept with each batch so reports need not work
        them out again from the events (see ``kept_facts``)."""


class _Skip(Exception):  # noqa: N818 - internal signal: the row cannot be planned
    """The row cannot be planned; ``problem`` says why (an anomaly, the row skipped)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Import:
    """One run over one file: plans each row, keeps the counts, appends each batch."""

    def __init__(
        self,
        desk: ServiceDesk,
        mapping: ImportMapping,
        file: str,
        header: Sequence[str],
        *,
        dry_run: bool,
    ) -> None:
        self.store = desk.store
        self.policy = desk.policy
        self.version = desk.policy.version
        self.facts_key = facts_key(desk.policy)
        self.mapping = mapping
        self.file = file
        self.dry_run = dry_run
        self.width = len(header)
        self.columns = _layout(mapping, header, file, vocabulary(desk.policy))
        self.tabled = [
            (key, c.name, c.index, c.table)
            for key, c in self.columns.items()
            if c.table is not None and key != "state"
        ]
        self.plain = [
            (key, self.columns[key].index)
            for key in _PER_ROW
            if key in self.columns and self.columns[key].table is None
        ]
        self.fields = [
            (key.removeprefix("fields."), c.index)
            for key, c in self.columns.items()
            if key.startswith("fields.")
        ]
        self.nulls = frozenset(mapping.source.null)
        self.zone = mapping.zone
        self.reopen_counted = mapping.columns.reopen_count is not None
        self.paths = _paths(reopen=not self.reopen_counted)
        self.prefix = f"{mapping.name}:{file}:"
        self.tracks: dict[str, _Track] = {}
        self.existing: set[str] = set()
        self.dirty: dict[str, _Track] = {}
        self.times: dict[str, datetime] = {}
        self.read_time = _time_reader(mapping.source.timestamp)
        self.rows_read = self.rows_imported = self.rows_unchanged = 0
        self.cases_created = 0
        self.skipped: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.unknown: dict[tuple[str, str], list[int]] = {}
        self.unknown_counts: Counter[tuple[str, str]] = Counter()
        self.unknown_per_column: Counter[str] = Counter()
        self.anomalies: dict[tuple[str, bool], list[int]] = {}
        self.anomaly_counts: Counter[tuple[str, bool]] = Counter()

    # --- batches

    def batch(self, chunk: Sequence[tuple[int, list[str]]]) -> None:
        """Plan the rows of one batch and append their events in one transaction."""
        at = self.columns["case_id"].index
        fresh = sorted(
            {
                row[at]
                for _, row in chunk
                if len(row) > at and row[at] not in self.tracks and row[at] not in self.existing
            }
        )
        if fresh:
            self.existing.update(self.store.load_many(fresh))
        for line, row in chunk:
            self.rows_read += 1
            self.row(line, row)
        self.flush()

    def flush(self) -> None:
        """Append the batch's events: one write per case, all in one transaction."""
        if not self.dirty:
            return
        keep = self.store.keeps_objects
        writes = []
        heads = []
        facts = []
        stamps: dict[datetime, str] = {}
        for case_id, track in self.dirty.items():
            case = track.case
            assert case is not None
            items = []
            for event in track.pending:
                if track.facts is None:
                    track.facts = opening_facts(event)
                else:
                    add_event(track.facts, event)
                stamp = stamps.get(event.at)
                if stamp is None:
                    stamp = stamps[event.at] = iso(event.at)
                items.append((event.TYPE, stamp, encode_event(event)))
            records = chain_records(case_id, track.version, track.head, items)
            head = records[-1].hash
            indexed = (case.state, case.priority, case.category, case.assignee)
            changed = (
                INDEXED_COLUMNS
                if track.indexed is None or keep
                else frozenset(
                    name
                    for name, old, new in zip(_INDEXED, track.indexed, indexed, strict=True)
                    if old != new
                )
            )
            row = case_row(case, head, keep=keep)
            writes.append(StreamWrite(case_id, track.version, records, row, changed))
            heads.append((track, head, indexed))
            if track.facts is not None and track.facts.level is None:  # no SLA clocks to keep
                data = encode_facts(track.facts, None)
                facts.append(FactsRecord(case_id, case.version, self.facts_key, data))
        if not self.dry_run:
            self.store.append(writes)
            self.store.save_facts(facts)
        for track, head, indexed in heads:
            assert track.case is not None
            track.version = track.case.version
            track.head = head
            track.indexed = indexed
            track.pending = []
        self.dirty = {}

    # --- rows

    def row(self, line: int, row: list[str]) -> None:
        """Check one row, plan its events, and keep them for the batch's append."""
        if len(row) != self.width:
            self.skip_anomaly("the row's number of fields differs from the header's", line)
            return
        nulls = self.nulls
        case_id = row[self.columns["case_id"].index]
        if case_id in self.existing:
            self.skipped[EXISTING] += 1
            return
        if case_id in nulls:
            self.skip_anomaly("no case id", line)
            return
        if not CASE_ID.fullmatch(case_id) or case_id.startswith(ev.DESK_STREAMS):
            self.skip_anomaly(
                "case id is not a valid id (1-64 letters, digits, '.', '_', ':' or '-')", line
            )
            return
        state_column = self.columns["state"]
        raw_state = row[state_column.index]
        if raw_state in nulls:
            self.skip_anomaly(f"no state (column {state_column.name!r})", line)
            return
        assert state_column.table is not None
        target = state_column.table.get(raw_state)
        unknown = target is None
        if unknown:
            self.note_unknown(state_column.name, raw_state, line)
        elif target == SKIP:
            self.skipped[SKIPPED_BY_MAPPING] += 1
            return
        values: dict[str, str | None] = {
            key: None if row[i] in nulls else row[i] for key, i in self.plain
        }
        for key, name, index, table in self.tabled:
            raw = row[index]
            if raw in nulls:
                values[key] = None
                continue
            ours = table.get(raw)
            if ours is None:
                self.note_unknown(name, raw, line)
                unknown = True
            values[key] = ours
        if unknown:
            self.skipped[UNKNOWN] += 1
            return
        assert target is not None
        try:
            at = self.time("at", row)
            if at is None:
                raise _Skip(f"no time (column {self.columns['at'].name!r})")
            track = self.tracks.get(case_id)
            if track is None:
                track = self.tracks[case_id] = _Track()
            if track.last_at is not None and at < track.last_at:
                raise _Skip("the row is older than its case's last imported row")
            _Row(self, track, line=line, row=row, at=at, target=target, values=values).plan()
        except _Skip as skip:
            self.skip_anomaly(skip.problem, line)

    def text(self, key: str, row: list[str]) -> str | None:
        """The row's value in the column mapped to ``key`` (``None``: unmapped or empty)."""
        column = self.columns.get(key)
        if column is None:
            return None
        raw = row[column.index]
        return None if raw in self.nulls else raw

    def time(self, key: str, row: list[str]) -> datetime | None:
        """The instant in ``key``'s column, in UTC; an unreadable one skips the row."""
        raw = self.text(key, row)
        if raw is None:
            return None
        known = self.times.get(raw)
        if known is not None:
            return known
        try:
            moment = self.read_time(raw)
        except ValueError:
            fmt = self.mapping.source.timestamp
            expected = "an ISO 8601 time" if fmt == ISO else f"a time like {fmt!r}"
            raise _Skip(f"column {self.columns[key].name!r}: not {expected}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        moment = moment.astimezone(UTC)
        if len(self.times) > 100_000:
            self.times.clear()
        self.times[raw] = moment
        return moment

    # --- counting

    def note_unknown(self, column: str, value: str, line: int) -> None:
        key = (column, value)
        if key not in self.unknown:
            if self.unknown_per_column[column] >= _MAX_UNKNOWN:
                key = (column, _OTHER)
            else:
                self.unknown_per_column[column] += 1
        lines = self.unknown.setdefault(key, [])
        if len(lines) < _EXAMPLES:
            lines.append(line)
        self.unknown_counts[key] += 1

    def note_anomaly(self, problem: str, line: int, *, skipped: bool) -> None:
        key = (problem, skipped)
        lines = self.anomalies.setdefault(key, [])
        if len(lines) < _EXAMPLES:
            lines.append(line)
        self.anomaly_counts[key] += 1

    def skip_anomaly(self, problem: str, line: int) -> None:
        self.note_anomaly(problem, line, skipped=True)
        self.skipped[ANOMALY] += 1

    def report(self, seconds: float) -> ImportReport:
        """The report of the whole run."""
        return ImportReport(
            file=self.file,
            mapping=self.mapping.name,
            rows_read=self.rows_read,
            rows_imported=self.rows_imported,
            rows_unchanged=self.rows_unchanged,
            skipped=ReadOnlyMap(dict(sorted(self.skipped.items()))),
            cases_created=self.cases_created,
            cases_existing=len(self.existing),
            events=sum(self.events.values()),
            events_by_type=ReadOnlyMap(dict(self.events.most_common())),
            unknown_values=tuple(
                UnknownValue(column, value, self.unknown_counts[(column, value)], tuple(lines))
                for (column, value), lines in sorted(
                    self.unknown.items(), key=lambda item: -self.unknown_counts[item[0]]
                )
            ),
            anomalies=tuple(
                Anomaly(problem, self.anomaly_counts[(problem, skipped)], tuple(lines), skipped)
                for (problem, skipped), lines in sorted(
                    self.anomalies.items(), key=lambda item: -self.anomaly_counts[item[0]]
                )
            ),
            seconds=round(seconds, 3),
            dry_run=self.dry_run,
        )


_INDEXED = ("state", "priority", "category", "assignee")
_PER_ROW = ("by", "category", "kind", "assignee", "team", "reopen_count", "resolution")
"""Keys read from every row (those with a value table are read through it)."""


_FIELDS = {"d": "day", "m": "month", "Y": "year", "H": "hour", "M": "minute", "S": "second"}


def _time_reader(fmt: str) -> Callable[[str], datetime]:
    """A reader of naive times written in ``fmt``: ISO 8601, or a ``strptime`` format.

    A format made of day, month, four-digit year, hour, minute and second fields (the
    common case) is read by a regular expression, about three times faster than
    ``strptime``, with the same result for times written in the format (whitespace in the
    format matches any run of whitespace, as in ``strptime``); other formats go to
    ``strptime``.
    """
    if fmt == ISO:
        return datetime.fromisoformat
    parts = re.split(r"(%.)", fmt)
    names = [p[1] for p in parts if p.startswith("%")]
    if all(n in _FIELDS for n in names) and len(set(names)) == len(names):
        pattern = "".join(
            (rf"(?P<{_FIELDS[p[1]]}>\d{{4}})" if p == "%Y" else rf"(?P<{_FIELDS[p[1]]}>\d{{1,2}})")
            if p.startswith("%")
            else r"\s+".join(re.escape(text) for text in re.split(r"\s+", p))
            for p in parts
        )
        match = re.compile(pattern).fullmatch
        if {"day", "month", "year"} <= {_FIELDS[n] for n in names}:

            def read(raw: str) -> datetime:
                found = match(raw)
                if found is None:
                    raise ValueError(raw)
                got = found.groupdict("0")
                return datetime(  # noqa: DTZ001 - the mapping's zone is applied next
                    int(got["year"]),
                    int(got["month"]),
                    int(got["day"]),
                    int(got.get("hour", "0")),
                    int(got.get("minute", "0")),
                    int(got.get("second", "0")),
                )

            return read

    def parse(raw: str) -> datetime:
        return datetime.strptime(raw, fmt)  # noqa: DTZ007 - the mapping's zone is applied next

    return parse


# --- planning one row ----------------------------------------------------------------------


class _Row:
    """The plan of one row: the events that take its case to the row's state and values."""

    __slots__ = (
        "case",
        "case_id",
        "category",
        "events",
        "line",
        "meta",
        "not_recorded",
        "owner",
        "priority",
        "row",
        "run",
        "target",
        "track",
        "values",
    )

    def __init__(
        self,
        run: _Import,
        track: _Track,
        *,
        line: int,
        row: list[str],
        at: datetime,
        target: str,
        values: Mapping[str, str | None],
    ) -> None:
        self.run = run
        self.track = track
        self.line = line
        self.row = row
        self.case_id = row[run.columns["case_id"].index]
        self.target = target
        self.values = values
        self.case = track.case
        self.events: list[ev.Event] = []
        self.not_recorded: list[str] = []
        by = values.get("by")
        self.meta: dict[str, Any] = {
            "at": at,
            "by": run.mapping.actors.by + by if by is not None else run.mapping.actor,
            "policy": run.version,
            "source": f"{run.prefix}{line}",
        }
        self.category: str | None = None
        self.priority: str | None = None
        self.owner: str | None = None

    def emit(self, event: ev.Event) -> Case:
        self.events.append(event)
        self.case = evolve(self.case, event)
        return self.case

    def plan(self) -> None:
        """Plan the row; commit it to the case's track, or raise ``_Skip``."""
        run, track = self.run, self.track
        created = self.case is None
        rise, count = self.reopens()
        if created:
            self.emit(self.submitted())
        self.wants()
        self.attributes()
        for _ in range(rise):
            self.reopen()
        self.path()
        breached = self.sla()
        self.leftovers()
        # planned: commit the row to its case's track
        track.case = self.case
        track.last_at = self.meta["at"]
        track.breached = breached
        if count is not None:
            track.reopens = count
        if self.events:
            track.pending.extend(self.events)
            run.dirty[self.case_id] = track
            counts = run.events
            for event in self.events:
                counts[event.TYPE] += 1
        else:
            run.rows_unchanged += 1
        run.rows_imported += 1
        if created:
            run.cases_created += 1
        for problem in self.not_recorded:
            run.note_anomaly(problem, self.line, skipped=False)

    # --- intake

    def submitted(self) -> ev.Submitted:
        run, row, values = self.run, self.row, self.values
        mapping = run.mapping
        requester = run.text("requester", row) or mapping.defaults.requester
        if requester is None:
            raise _Skip("no requester, and the mapping gives no default")
        channel = values.get("channel") or mapping.defaults.channel
        if channel is None:
            raise _Skip("no channel, and the mapping gives no default")
        tier = (
            values.get("tier")
            or mapping.defaults.tier
            or run.policy.tier_for(requester_group(requester))
        )
        at = self.meta["at"]
        try:
            opened = run.time("opened_at", row)
        except _Skip:
            self.not_recorded.append(
                f"column {run.columns['opened_at'].name!r} unreadable: submitted at the row's time"
            )
            opened = None
        if opened is not None and opened > at:
            self.not_recorded.append(
                f"column {run.columns['opened_at'].name!r} is after the row's time: "
                "submitted at the row's time"
            )
        elif opened is not None:
            at = opened
        opened_by = run.text("opened_by", row)
        return ev.Submitted(
            case_id=self.case_id,
            requester=requester,
            channel=channel,
            subject=run.text("subject", row) or self.case_id,
            description=run.text("description", row) or "",
            tier=tier,
            fields={name: row[i] for name, i in run.fields if row[i] not in run.nulls},
            at=at,
            by=mapping.actors.by + opened_by if opened_by is not None else self.meta["by"],
            policy=run.version,
            source=self.meta["source"],
        )

    # --- attributes

    def wants(self) -> None:
        """The row's category, priority and owner where they differ from the case's."""
        case, values = self.case, self.values
        assert case is not None
        category = values.get("category")
        if category is not None and category != case.category:
            self.category = category
        priority = values.get("priority")
        if priority is not None:
            impact, urgency = values.get("impact"), values.get("urgency")
            if (
                priority != case.priority
                or (impact is not None and impact != case.impact)
                or (urgency is not None and urgency != case.urgency)
            ):
                self.priority = priority
        owner = self.owner_named()
        if owner is not None and owner != case.assignee:
            self.owner = owner

    def owner_named(self) -> str | None:
        """Who owns the case by this row: the person named, else (when the mapping says so)
        the team."""
        named = self.values.get("assignee")
        actors = self.run.mapping.actors
        if named is not None:
            return actors.assignee + named
        team = self.values.get("team")
        if team is not None and self.run.mapping.options.team_owns_unassigned:
            return actors.team + team
        return None

    def attributes(self) -> None:
        """Record the wanted changes that the case's state allows now (in triage order)."""
        case = self.case
        assert case is not None
        if self.category is not None and ("classify", case.state) in DESTINATIONS:
            kind = self.values.get("kind") or case.kind or self.run.mapping.defaults.kind
            assert kind is not None  # the mapping check requires a kind with a category
            case = self.emit(
                ev.Classified(
                    category=self.category, kind=kind, reason=self.reason("category"), **self.meta
                )
            )
            self.category = None
        if self.priority is not None and ("prioritize", case.state) in DESTINATIONS:
            case = self.emit(
                ev.Prioritized(
                    priority=self.priority,
                    impact=self.values.get("impact"),
                    urgency=self.values.get("urgency"),
                    rule="import",
                    reason=self.reason("priority"),
                    **self.meta,
                )
            )
            self.priority = None
        if self.owner is not None and ("assign", case.state) in DESTINATIONS:
            named = self.values.get("assignee") is not None
            reason = self.reason("assignee" if named else "team")
            if not named and "assignee" in self.run.columns:
                reason += f", nobody named in {self.run.columns['assignee'].name}"
            self.emit(
                ev.Assigned(
                    assignee=self.owner,
                    previous=case.assignee,
                    queue=self.values.get("team"),
                    reason=reason,
                    **self.meta,
                )
            )
            self.owner = None

    def reason(self, key: str) -> str:
        """``servicenow priority '3 - Moderate'``: the mapping, the column and its raw value."""
        column = self.run.columns[key]
        return f"{self.run.mapping.name} {column.name} {self.row[column.index]!r}"

    def leftovers(self) -> None:
        """Changes the lifecycle had no place for in the case's state: reported, not recorded."""
        case = self.case
        assert case is not None
        for what, wanted in (
            ("category", self.category),
            ("priority", self.priority),
            ("assignee", self.owner),
        ):
            if wanted is not None:
                self.not_recorded.append(f"{what} change not recorded: the case was {case.state}")

    # --- reopens and the state

    def reopens(self) -> tuple[int, int | None]:
        """How many reopens the row's counter adds, and the counter to keep."""
        run, before = self.run, self.track.reopens
        raw = self.values.get("reopen_count")
        if raw is None:
            return 0, None
        count = int(raw) if raw.isdigit() else -1
        if count < 0:
            raise _Skip(f"column {run.columns['reopen_count'].name!r}: not a whole number")
        if before is None:
            if count > 0:
                self.not_recorded.append(
                    "earlier reopens not recorded: the case's first row has a reopen count above 0"
                )
            return 0, count
        if count < before:
            self.not_recorded.append("the reopen count went down: ignored")
            return 0, None
        if count > before + 1:
            self.not_recorded.append("reopens not recorded: the count rose by more than one")
            return 0, count
        return count - before, count

    def reopen(self) -> None:
        assert self.case is not None
        if self.case.state not in _AFTER_RESOLUTION:
            self.not_recorded.append(f"reopen not recorded: the case was {self.case.state}")
            return
        self.emit(ev.Reopened(reason=self.reason("reopen_count"), **self.meta))
        self.attributes()

    def path(self) -> None:
        """The events that take the case from its state to the row's; a state out of reach
        is reported and the rest of the row recorded."""
        case = self.case
        assert case is not None
        target, state = self.target, case.state
        if target in _PRE_WORK:
            if state not in _PRE_WORK:
                self.not_recorded.append(f"state {target} not recorded: the case was {state}")
            return
        steps = self.run.paths.get((state, target))
        if steps is None:
            why = _TRIAGE_GAP.get(state, f"no way from {state}")
            if self.run.reopen_counted and state in _AFTER_RESOLUTION:
                why = f"back from {state} while the reopen count did not rise"
            self.not_recorded.append(f"state {target} not recorded: {why}")
            return
        for trigger in steps:
            self.emit(self.step(trigger))
            self.attributes()

    def step(self, trigger: str) -> ev.Event:
        meta = self.meta
        if trigger == "acknowledge":
            return ev.Acknowledged(message="", **meta)
        if trigger == "request_info":
            return ev.InfoRequested(message="", **meta)
        if trigger == "client_reply":
            return ev.ClientReplied(message="", **meta)
        if trigger == "resolve":
            return ev.Resolved(resolution=self.values.get("resolution") or "", **meta)
        if trigger == "validate":
            return ev.Validated(**meta)
        if trigger == "close":
            return ev.Closed(reason=self.reason("state"), **meta)
        if trigger == "cancel":
            return ev.Cancelled(reason=self.reason("state"), **meta)
        assert trigger == "reopen"
        return ev.Reopened(reason=self.reason("state"), **meta)

    def sla(self) -> bool:
        """Record a breach when the made-SLA flag turns to breached; return the flag."""
        flag = self.values.get("made_sla")
        breached = self.track.breached
        if flag == BREACHED and not breached:
            metric = self.run.mapping.options.sla_metric
            self.emit(ev.SlaBreached(metric=metric, cycle=1, **self.meta))
            return True
        if flag == MET and breached:
            self.not_recorded.append("made SLA back to met not recorded: the breach stands")
        return breached


def _paths(*, reopen: bool) -> dict[tuple[str, str], tuple[str, ...]]:
    """The shortest run of synthesised triggers between each pair of states."""
    triggers = (*_PATH_TRIGGERS, "reopen") if reopen else _PATH_TRIGGERS
    moves: dict[str, list[tuple[str, str]]] = {}
    for trigger in triggers:
        for (name, source), dest in DESTINATIONS.items():
            if name == trigger and dest != source:
                moves.setdefault(source, []).append((trigger, dest))
    paths: dict[tuple[str, str], tuple[str, ...]] = {}
    for start in STATES:
        paths[(start, start)] = ()
        frontier = [start]
        while frontier:
            following = []
            for state in frontier:
                for trigger, dest in moves.get(state, ()):
                    if (start, dest) not in paths:
                        paths[(start, dest)] = (*paths[(start, state)], trigger)
                        following.append(dest)
            frontier = following
    return paths


def describe_paths(*, reopen: bool = False) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Each ``(from, to, triggers)`` the importer may synthesise (for the docs and tests)."""
    for (start, end), steps in sorted(_paths(reopen=reopen).items()):
        if steps:
            yield start, end, steps
