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

This module runs the import; reading the file (``_source``), planning a row (``_plan``), the
paths between states (``_paths``) and the report (``_report``) have modules of their own.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from serviceflow.analytics._case_facts import add_event, opening_facts
from serviceflow.analytics._kept_facts import encode_facts, facts_key
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain import _events as ev
from serviceflow.domain._commands import CASE_ID
from serviceflow.domain._serialization import encode_event, iso
from serviceflow.errors import ValidationError
from serviceflow.eventlog._chain import case_row, chain_records
from serviceflow.eventlog._store import INDEXED_COLUMNS, FactsRecord, StreamWrite
from serviceflow.importing._mapping import (
    ISO,
    SKIP,
    ImportMapping,
    check_against_policy,
    load_mapping,
    vocabulary,
)
from serviceflow.importing._paths import state_paths
from serviceflow.importing._plan import Row
from serviceflow.importing._report import (
    ANOMALY,
    EXISTING,
    SKIPPED_BY_MAPPING,
    UNKNOWN,
    Anomaly,
    ImportReport,
    UnknownValue,
)
from serviceflow.importing._source import Source, layout, time_reader
from serviceflow.importing._track import Skip, Track

# ``serviceflow.importer`` (0.1's path) is this module: the report's names stay reachable here.
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

_EXAMPLES = 5
"""Line numbers kept per unknown value and per anomaly."""
_MAX_UNKNOWN = 200
"""Distinct unknown values kept per column; further ones are counted together."""
_OTHER = "(other values)"


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
    with Source(file, mapping.source.encoding) as source:
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


# --- the import ----------------------------------------------------------------------------


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
        self.columns = layout(mapping, header, file, vocabulary(desk.policy))
        self.tabled = [
            (key, c.name, c.index, c.table)
            for key, c in self.columns.items()
            if c.table is not None and key not in ("state", "support_line")
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
        self.paths = state_paths(reopen=not self.reopen_counted)
        self.prefix = f"{mapping.name}:{file}:"
        self.tracks: dict[str, Track] = {}
        self.existing: set[str] = set()
        self.dirty: dict[str, Track] = {}
        self.times: dict[str, datetime] = {}
        self.read_time = time_reader(mapping.source.timestamp)
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
                raise Skip(f"no time (column {self.columns['at'].name!r})")
            track = self.tracks.get(case_id)
            if track is None:
                track = self.tracks[case_id] = Track()
            if track.last_at is not None and at < track.last_at:
                raise Skip("the row is older than its case's last imported row")
            Row(self, track, line=line, row=row, at=at, target=target, values=values).plan()
        except Skip as skip:
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
            raise Skip(f"column {self.columns[key].name!r}: not {expected}") from None
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
