"""The CSV importer: rows become the events that lead each case to its row's state.

Small logs are written in ``tmp_path``; the last test imports the real ServiceNow log from
``../shared`` (skipped when that folder is absent) and checks facts computed from the raw
CSV.
"""

from __future__ import annotations

import csv
import gzip
import io
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from serviceflow.analytics._case_summary import decoded
from serviceflow.analytics._kept_facts import facts_key
from serviceflow.analytics._kpi_set import NONE, Rate
from serviceflow.analytics._kpi_tables import slice_table, time_table
from serviceflow.analytics._metrics import compute_kpis, kpis
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain import _events as ev
from serviceflow.domain.policy._policy import default_policy, load_policy
from serviceflow.errors import ValidationError
from serviceflow.eventlog._store import FactsRecord, StreamWrite
from serviceflow.importing._importer import import_csv
from serviceflow.importing._mapping import ImportMapping, load_mapping
from serviceflow.importing._paths import describe_paths
from serviceflow.importing._report import (
    ANOMALY,
    EXISTING,
    SKIPPED_BY_MAPPING,
    UNKNOWN,
    ImportReport,
)

HEADER = (
    "id",
    "time",
    "status",
    "who",
    "via",
    "cat",
    "prio",
    "agent",
    "team",
    "by",
    "reopens",
    "sla",
    "opened",
    "code",
    "product",
)
DEFAULTS = {
    "who": "Ann",
    "via": "Mail",
    "cat": "billing",
    "prio": "P3",
    "agent": "kim",
    "team": "L1",
    "by": "kim",
    "reopens": "0",
    "sla": "yes",
    "opened": "",
    "code": "",
    "product": "app",
}


def mapping(**changes: Any) -> ImportMapping:
    """The test log's mapping; ``changes`` replace whole sections (or drop them: None)."""
    data: dict[str, Any] = {
        "source": {"name": "desk", "timestamp": "%Y-%m-%d %H:%M", "null": ["", "-"]},
        "columns": {
            "case_id": "id",
            "at": "time",
            "state": "status",
            "requester": "who",
            "channel": "via",
            "category": "cat",
            "priority": "prio",
            "assignee": "agent",
            "team": "team",
            "by": "by",
            "reopen_count": "reopens",
            "made_sla": "sla",
            "opened_at": "opened",
            "resolution": "code",
            "fields": {"product": "product"},
        },
        "defaults": {"kind": "incident"},
        "actors": {"by": "agent:", "assignee": "agent:", "team": "team:"},
        "values": {
            "state": {
                "New": "intake",
                "Active": "in_progress",
                "Waiting": "waiting_on_client",
                "Resolved": "resolved",
                "Closed": "closed",
                "Void": "cancelled",
                "Junk": "skip",
            },
            "priority": {"P1": "critical", "P2": "high", "P3": "medium", "P4": "low"},
            "channel": {"Mail": "email", "Phone": "phone"},
            "made_sla": {"yes": "met", "no": "breached"},
        },
    }
    for name, section in changes.items():
        if section is None:
            data.pop(name)
        else:
            data[name] = section
    return load_mapping(data)


def line(case: str, at: str, status: str, **cells: str) -> dict[str, str]:
    return {"id": case, "time": at, "status": status, **DEFAULTS, **cells}


def write_log(
    folder: Path,
    rows: Sequence[dict[str, str]],
    *,
    name: str = "log.csv",
    header: Sequence[str] = HEADER,
) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(buffer.getvalue().encode()))
    else:
        path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def types(desk: ServiceDesk, case_id: str) -> list[str]:
    return [r.event.TYPE.removeprefix("case.") for r in desk.history(case_id)]


def anomalies(report: ImportReport) -> dict[str, tuple[int, tuple[int, ...], bool]]:
    return {a.problem: (a.count, a.lines, a.row_skipped) for a in report.anomalies}


LIFE = [
    line("C1", "2026-03-02 09:00", "New", agent="-", opened="2026-03-02 08:55"),
    line("C1", "2026-03-02 09:10", "Active"),
    line("C1", "2026-03-02 10:00", "Waiting"),
    line("C1", "2026-03-03 09:00", "Active"),
    line("C1", "2026-03-03 11:00", "Resolved", code="fixed the invoice"),
    line("C1", "2026-03-05 12:00", "Closed", by="-", code="fixed the invoice"),
]


def test_a_case_follows_its_rows_through_the_lifecycle(desk: ServiceDesk, tmp_path: Path) -> None:
    report = import_csv(desk, write_log(tmp_path, LIFE), mapping())
    assert types(desk, "C1") == [
        "submitted",
        "classified",
        "prioritized",
        "assigned",
        "acknowledged",
        "info_requested",
        "client_replied",
        "resolved",
        "validated",
        "closed",
    ]
    case = desk.case("C1")
    assert case.state == "closed"
    assert case.requester == "Ann"
    assert case.channel == "email"
    assert case.category == "billing"
    assert case.kind == "incident"
    assert case.priority == "medium"
    assert case.assignee == "agent:kim"
    assert case.resolution == "fixed the invoice"
    assert case.fields == {"product": "app"}
    assert case.tier == "standard"
    assert case.submitted_at == datetime(2026, 3, 2, 8, 55, tzinfo=UTC), "opened_at is intake"
    assert case.acknowledged_at == datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
    history = [r.event for r in desk.history("C1")]
    assert [e.source for e in history][:4] == ["desk:log.csv:2"] * 3 + ["desk:log.csv:3"]
    assert history[-1].source == "desk:log.csv:7"
    assert history[-1].by == "import:desk", "an empty actor falls back to the mapping's"
    assert all(e.policy == desk.policy.version for e in history)
    prioritized = next(e for e in history if isinstance(e, ev.Prioritized))
    assert (prioritized.rule, prioritized.reason) == ("import", "desk prio 'P3'")
    assert desk.verify("C1").ok
    assert report.rows_read == report.rows_imported == 6
    assert report.cases_created == 1
    assert report.events == 10
    assert report.events_by_type["case.assigned"] == 1
    assert report.skipped == {}
    assert report.anomalies == ()
    assert report.unknown_values == ()


def test_a_row_far_ahead_of_its_case_gets_the_events_that_lead_there(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [line("C2", "2026-03-02 09:00", "Closed", agent="-", team="L2", by="lee")]
    import_csv(desk, write_log(tmp_path, rows), mapping(options={"team_owns_unassigned": True}))
    history = [r.event for r in desk.history("C2")]
    assert [e.TYPE.removeprefix("case.") for e in history] == [
        "submitted",
        "classified",
        "prioritized",
        "assigned",
        "resolved",
        "validated",
        "closed",
    ], "no acknowledgement is invented: the lifecycle resolves from assigned"
    assert {(e.by, e.source) for e in history} == {("agent:lee", "desk:log.csv:2")}
    assigned = history[3]
    assert isinstance(assigned, ev.Assigned)
    assert (assigned.assignee, assigned.queue) == ("team:L2", "L2")
    assert assigned.reason == "desk team 'L2', nobody named in agent"
    assert desk.verify("C2").ok


def test_attribute_changes_become_their_own_events(desk: ServiceDesk, tmp_path: Path) -> None:
    rows = [
        line("C3", "2026-03-02 09:00", "Active"),
        line("C3", "2026-03-02 10:00", "Active", cat="access", prio="P1"),
        line("C3", "2026-03-02 11:00", "Active", cat="access", prio="P1", agent="ola", team="L2"),
        line("C3", "2026-03-02 12:00", "Active", cat="access", prio="P1", agent="ola", team="L2"),
        line("C3", "2026-03-02 13:00", "Resolved", cat="access", prio="P1", agent="ola", sla="no"),
        line("C3", "2026-03-02 14:00", "Resolved", cat="howto", prio="P1", agent="ola", sla="yes"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    history = [r.event for r in desk.history("C3")]
    changes = [e for e in history if e.source == "desk:log.csv:3"]
    assert [type(e) for e in changes] == [ev.Classified, ev.Prioritized]
    assert changes[1].priority == "critical"  # type: ignore[attr-defined]
    moved = next(e for e in history if e.source == "desk:log.csv:4")
    assert isinstance(moved, ev.Assigned)
    assert (moved.assignee, moved.previous, moved.queue) == ("agent:ola", "agent:kim", "L2")
    assert report.rows_unchanged == 2, "line 5 repeats line 4; line 7 changes nothing recorded"
    breach = [e for e in history if isinstance(e, ev.SlaBreached)]
    assert [(e.metric, e.cycle, e.source) for e in breach] == [("resolution", 1, "desk:log.csv:6")]
    assert desk.case("C3").transfer_count == 1
    assert anomalies(report) == {
        "category change not recorded: the case was resolved": (1, (7,), False),
        "made SLA back to met not recorded: the breach stands": (1, (7,), False),
    }
    assert desk.case("C3").category == "access"


def test_a_rising_reopen_count_reopens_and_an_impossible_one_is_reported(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("C4", "2026-03-02 09:00", "Active"),
        line("C4", "2026-03-02 10:00", "Resolved"),
        line("C4", "2026-03-02 11:00", "Waiting", reopens="1"),
        line("C4", "2026-03-02 12:00", "Closed", reopens="1"),
        line("C4", "2026-03-02 13:00", "Active", reopens="2"),
        line("C5", "2026-03-02 09:00", "Active"),
        line("C5", "2026-03-02 10:00", "Active", reopens="1"),
        line("C5", "2026-03-02 11:00", "Resolved", reopens="1"),
        line("C5", "2026-03-02 12:00", "Active", reopens="1"),
        line("C5", "2026-03-02 13:00", "Active", reopens="0"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    assert types(desk, "C4")[5:] == [
        "resolved",
        "reopened",
        "info_requested",
        "resolved",
        "validated",
        "closed",
        "reopened",
    ]
    assert desk.case("C4").reopen_count == 2
    assert desk.case("C4").state == "in_progress"
    assert desk.case("C5").reopen_count == 0
    assert desk.case("C5").state == "resolved"
    assert anomalies(report) == {
        "reopen not recorded: the case was in_progress": (1, (8,), False),
        "state in_progress not recorded: back from resolved while the reopen count did not rise": (
            2,
            (10, 11),
            False,
        ),
        "the reopen count went down: ignored": (1, (11,), False),
    }
    assert desk.verify("C4").ok
    assert desk.verify("C5").ok


def test_without_a_reopen_counter_going_back_to_work_is_a_reopen(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    columns = {k: v for k, v in mapping().columns.named().items() if k != "reopen_count"}
    rows = [
        line("C6", "2026-03-02 09:00", "Resolved"),
        line("C6", "2026-03-02 10:00", "Active"),
        line("C6", "2026-03-02 11:00", "Void"),
    ]
    import_csv(desk, write_log(tmp_path, rows), mapping(columns=columns))
    assert types(desk, "C6")[-2:] == ["reopened", "cancelled"]
    cancelled = desk.history("C6")[-1].event
    assert cancelled.reason == "desk status 'Void'"  # type: ignore[attr-defined]
    assert ("closed", "waiting_on_client", ("reopen", "request_info")) in set(
        describe_paths(reopen=True)
    )
    assert not any("reopen" in steps for _, _, steps in describe_paths())


def test_unknown_values_are_reported_and_their_rows_not_imported(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("C7", "2026-03-02 09:00", "New"),
        line("C7", "2026-03-02 10:00", "Escalated"),
        line("C7", "2026-03-02 11:00", "Active", prio="P9", via="Fax"),
        line("C7", "2026-03-02 12:00", "Active", prio="P9"),
        line("C7", "2026-03-02 13:00", "Junk"),
        line("C7", "2026-03-02 14:00", "Resolved"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    assert [(u.column, u.value, u.count, u.lines) for u in report.unknown_values] == [
        ("prio", "P9", 2, (4, 5)),
        ("status", "Escalated", 1, (3,)),
        ("via", "Fax", 1, (4,)),
    ]
    assert report.skipped == {UNKNOWN: 3, SKIPPED_BY_MAPPING: 1}
    assert report.rows_imported == 2
    assert report.rows_skipped == 4
    assert {r.event.source for r in desk.history("C7")} == {"desk:log.csv:2", "desk:log.csv:7"}
    assert desk.case("C7").priority == "medium"


def test_policy_vocabularies_check_columns_without_a_table(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    values = {k: v for k, v in mapping().values.items() if k not in ("priority", "channel")}
    rows = [
        line("C8", "2026-03-02 09:00", "Active", prio="high", via="phone"),
        line("C9", "2026-03-02 09:00", "Active", prio="urgent", via="phone"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping(values=values))
    assert desk.case("C8").priority == "high"
    assert [(u.column, u.value) for u in report.unknown_values] == [("prio", "urgent")]


def test_rows_older_than_their_case_and_broken_rows_are_skipped_as_anomalies(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("D1", "2026-03-02 09:00", "Active"),
        line("D1", "2026-03-02 08:00", "Resolved"),
        line("D1", "2 March", "Resolved"),
        line("D1", "2026-03-02 10:00", "Active", reopens="many"),
        line("bad id!", "2026-03-02 10:00", "Active"),
        line("-", "2026-03-02 10:00", "Active"),
        line("D2", "2026-03-02 10:00", "Active", who="-"),
        line("D3", "2026-03-02 10:00", "-"),
        line("D4", "-", "Active"),
        line("D5", "2026-03-02 10:00", "Active", opened="2026-03-02 11:00"),
    ]
    path = write_log(tmp_path, rows)
    with path.open("a", encoding="utf-8") as log:
        log.write("D1,2026-03-02 12:00,Active\n\n")
    report = import_csv(desk, path, mapping())
    assert anomalies(report) == {
        "the row is older than its case's last imported row": (1, (3,), True),
        "column 'time': not a time like '%Y-%m-%d %H:%M'": (1, (4,), True),
        "column 'reopens': not a whole number": (1, (5,), True),
        "case id is not a valid id (1-64 letters, digits, '.', '_', ':' or '-')": (1, (6,), True),
        "no case id": (1, (7,), True),
        "no requester: the case is imported without one": (1, (8,), False),
        "no state (column 'status')": (1, (9,), True),
        "no time (column 'time')": (1, (10,), True),
        "column 'opened' is after the row's time: submitted at the row's time": (
            1,
            (11,),
            False,
        ),
        "the row's number of fields differs from the header's": (1, (12,), True),
    }
    assert report.rows_read == 11, "the blank line is not a row"
    assert report.skipped == {ANOMALY: 8}
    assert desk.case("D2").requester == ""
    assert desk.case("D5").submitted_at == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_a_case_stuck_in_triage_keeps_its_other_facts(desk: ServiceDesk, tmp_path: Path) -> None:
    rows = [
        line("E1", "2026-03-02 09:00", "New", cat="-", agent="-"),
        line("E1", "2026-03-02 10:00", "Active", cat="-", sla="no"),
        line("E1", "2026-03-02 11:00", "Closed", cat="-", sla="no"),
        line("E2", "2026-03-02 09:00", "Resolved", agent="-", team="-"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    assert desk.case("E1").state == "intake"
    assert types(desk, "E1") == ["submitted", "sla_breached"]
    assert desk.case("E2").state == "prioritized"
    assert anomalies(report) == {
        "priority change not recorded: the case was intake": (3, (2, 3, 4), False),
        "assignee change not recorded: the case was intake": (2, (3, 4), False),
        "state in_progress not recorded: no category": (1, (3,), False),
        "state closed not recorded: no category": (1, (4,), False),
        "state resolved not recorded: nobody assigned": (1, (5,), False),
    }
    assert report.skipped == {}


def test_rows_of_a_case_need_not_be_contiguous(store_url: str, tmp_path: Path) -> None:
    together = [*LIFE, *(line("C2", r["time"], r["status"]) for r in LIFE)]
    mixed = [row for pair in zip(LIFE, together[len(LIFE) :], strict=True) for row in pair]
    stored = []
    for name, rows in (("a", together), ("b", mixed)):
        url = store_url.replace("desk.db", f"{name}.db")
        with ServiceDesk.open(url, entry_points=False) as desk:
            report = import_csv(desk, write_log(tmp_path, rows, name="log.csv"), mapping())
            assert report.cases_created == 2
            stored.append(
                {c: [(r.event.TYPE, r.event.at) for r in desk.history(c)] for c in ("C1", "C2")}
            )
    assert stored[0] == stored[1]


def test_batches_append_one_write_per_case_and_give_the_same_result(
    store_url: str, tmp_path: Path
) -> None:
    rows = [
        line(f"B{n % 7}", f"2026-03-02 {9 + n // 7:02d}:00", status)
        for n, status in enumerate(["New"] * 7 + ["Active"] * 7 + ["Resolved"] * 7 + ["Closed"] * 7)
    ]
    path = write_log(tmp_path, rows)
    results = []
    for size in (1, 5, 1000):
        url = store_url.replace("desk.db", f"batch{size}.db")
        with ServiceDesk.open(url, entry_points=False) as desk:
            calls: list[Sequence[StreamWrite]] = []
            append = desk.store.append

            def counted(
                writes: Sequence[StreamWrite], append: Any = append, calls: Any = calls
            ) -> None:
                calls.append(writes)
                append(writes)

            desk.store.append = counted  # type: ignore[method-assign]
            report = import_csv(desk, path, mapping(), batch=size)
            assert len(calls) == -(-len(rows) // size)
            for writes in calls:
                streams = [w.stream for w in writes]
                assert len(streams) == len(set(streams)), "one write per stream per batch"
            results.append(
                (
                    report.events,
                    {f"B{n}": [r.hash for r in desk.history(f"B{n}")] for n in range(7)},
                )
            )
            assert all(desk.verify(f"B{n}").ok for n in range(7))
    assert results[0] == results[1] == results[2]


def test_the_import_keeps_each_case_kpi_facts(store_url: str, tmp_path: Path) -> None:
    rows = [
        *LIFE,
        *(line("C2", r["time"], r["status"]) for r in LIFE[:3]),
        line("C3", "2026-03-02 10:00", "New"),
    ]
    with ServiceDesk.open(store_url, entry_points=False) as desk:
        import_csv(desk, write_log(tmp_path, rows), mapping(), batch=4)
        key = facts_key(desk.policy)
        kept = list(desk.store.histories_or_facts(key))
        assert [k.case_id for k in kept if isinstance(k, FactsRecord)] == ["C1", "C2", "C3"]
        end = datetime(2026, 4, 1, tzinfo=UTC)
        assert kpis(desk, end=end, by="priority") == compute_kpis(
            decoded(desk.store.histories()), desk.policy, end=end, by="priority"
        )


def test_a_dry_run_keeps_no_facts(desk: ServiceDesk, tmp_path: Path) -> None:
    import_csv(desk, write_log(tmp_path, LIFE), mapping(), dry_run=True)
    assert list(desk.store.histories_or_facts(facts_key(desk.policy))) == []


def test_a_gzip_log_reads_like_the_plain_one(desk: ServiceDesk, tmp_path: Path) -> None:
    plain = import_csv(desk, write_log(tmp_path, LIFE), mapping(), dry_run=True)
    packed = import_csv(desk, write_log(tmp_path, LIFE, name="log.csv.gz"), mapping())
    assert (packed.rows_imported, packed.events) == (plain.rows_imported, plain.events)
    assert desk.history("C1")[0].event.source == "desk:log.csv.gz:2"


def test_importing_again_leaves_every_case_untouched(desk: ServiceDesk, tmp_path: Path) -> None:
    desk.submit(requester="Bob", channel="email", subject="Live case", case_id="C2", by="agent:kim")
    rows = [*LIFE, line("C2", "2026-03-02 09:00", "Active")]
    path = write_log(tmp_path, rows)
    first = import_csv(desk, path, mapping())
    assert (first.cases_created, first.cases_existing) == (1, 1)
    assert first.skipped == {EXISTING: 1}
    assert types(desk, "C2") == ["submitted"], "a case from elsewhere is not touched"
    before = [r.hash for r in desk.history("C1")]
    again = import_csv(desk, path, mapping())
    assert (again.cases_created, again.cases_existing, again.events) == (0, 2, 0)
    assert again.skipped == {EXISTING: 7}
    assert [r.hash for r in desk.history("C1")] == before


def test_a_dry_run_plans_everything_and_writes_nothing(desk: ServiceDesk, tmp_path: Path) -> None:
    report = import_csv(desk, write_log(tmp_path, LIFE), mapping(), dry_run=True)
    assert report.dry_run
    assert report.events == 10
    assert desk.count() == 0


def test_times_are_read_in_the_mappings_zone_and_stored_in_utc(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    source = {"name": "desk", "timestamp": "%d/%m/%Y %H:%M", "timezone": "Europe/Lisbon"}
    rows = [line("Z1", "1/7/2026 09:00", "Active"), line("Z2", "1/1/2026 09:00", "Active")]
    import_csv(desk, write_log(tmp_path, rows), mapping(source=source))
    assert desk.case("Z1").updated_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "summer: +1"
    assert desk.case("Z2").updated_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    iso = {"name": "desk", "null": ["-"]}
    rows = [line("Z3", "2026-03-02T09:00:00+02:00", "Active", opened="2026-03-02T06:30:00")]
    import_csv(desk, write_log(tmp_path, rows), mapping(source=iso))
    assert desk.case("Z3").updated_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert desk.case("Z3").submitted_at == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def test_progress_is_told_the_bytes_read(desk: ServiceDesk, tmp_path: Path) -> None:
    rows = [line(f"P{n}", "2026-03-02 09:00", "Active") for n in range(50)]
    path = write_log(tmp_path, rows)
    seen: list[tuple[int, int]] = []
    import_csv(
        desk, path, mapping(), batch=10, progress=lambda done, size: seen.append((done, size))
    )
    assert len(seen) == 6, "after each batch, and once at the end"
    assert [size for _, size in seen] == [path.stat().st_size] * 6
    assert seen[-1][0] == path.stat().st_size
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_file_that_does_not_fit_is_refused_before_anything_is_written(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    header = tuple(h for h in HEADER if h not in ("status", "product"))
    path = write_log(tmp_path, LIFE, header=header)
    with pytest.raises(ValidationError) as caught:
        import_csv(desk, path, mapping())
    assert "log.csv does not fit import mapping 'desk'" in str(caught.value)
    assert caught.value.problems[:2] == (
        "$.columns.state: no column 'status' in the file",
        "$.columns.fields.product: no column 'product' in the file",
    )
    values = dict(mapping().values)
    values["priority"] = {"P3": "moderate"}
    with pytest.raises(ValidationError, match=r"\$\.values\.priority\.P3: 'moderate' is not"):
        import_csv(desk, write_log(tmp_path, LIFE), mapping(values=values))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="the file is empty"):
        import_csv(desk, empty, mapping())
    with pytest.raises(ValidationError, match="cannot read"):
        import_csv(desk, tmp_path / "absent.csv", mapping())
    with pytest.raises(ValidationError, match="batch: expected a whole number"):
        import_csv(desk, write_log(tmp_path, LIFE), mapping(), batch=0)
    assert desk.count() == 0


def test_a_damaged_file_names_the_line_where_reading_stopped(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    path = write_log(tmp_path, LIFE)
    path.write_bytes(path.read_bytes() + b"C9,2026-03-02 09:00,\xff\xfe\n")
    with pytest.raises(ValidationError) as caught:
        import_csv(desk, path, mapping(), batch=2)
    assert "cannot read" in str(caught.value)
    assert "UnicodeDecodeError" in caught.value.problems[0]


# --- defaults, priorities derived by the policy, one column for several keys ---------------

SEVERITY = (*HEADER, "imp", "urg", "sev")
LEVELS = {"H": "high", "M": "medium", "L": "low"}


def test_defaults_stand_in_until_the_log_names_a_value(desk: ServiceDesk, tmp_path: Path) -> None:
    columns = {k: v for k, v in mapping().columns.named().items() if k != "priority"}
    values = {k: v for k, v in mapping().values.items() if k != "priority"}
    defaults = {
        "kind": "incident",
        "category": "howto",
        "priority": "low",
        "assignee": "agent:desk",
        "team": "L0",
        "resolution": "solved",
    }
    rows = [
        line("F1", "2026-03-02 09:00", "Active", cat="-", agent="-", team="-"),
        line("F1", "2026-03-02 10:00", "Active", cat="billing", agent="kim"),
        line("F1", "2026-03-02 11:00", "Resolved", cat="-", agent="-"),
    ]
    chosen = mapping(columns=columns, values=values, defaults=defaults)
    report = import_csv(desk, write_log(tmp_path, rows), chosen)
    history = [r.event for r in desk.history("F1")]
    assert [e.TYPE.removeprefix("case.") for e in history] == [
        "submitted",
        "classified",
        "prioritized",
        "assigned",
        "acknowledged",
        "classified",
        "assigned",
        "resolved",
    ]
    first = history[1:4]
    assert [(e.category, e.reason) for e in first[:1]] == [  # type: ignore[attr-defined]
        ("howto", "desk [defaults] category")
    ]
    prioritized = first[1]
    assert isinstance(prioritized, ev.Prioritized)
    assert (prioritized.priority, prioritized.rule) == ("low", "import")
    assert prioritized.reason == "desk [defaults] priority"
    assigned = first[2]
    assert isinstance(assigned, ev.Assigned)
    assert (assigned.assignee, assigned.queue) == ("agent:desk", "L0")
    assert assigned.reason == "desk [defaults] assignee"
    case = desk.case("F1")
    assert (case.category, case.assignee, case.priority) == ("billing", "agent:kim", "low"), (
        "an empty cell keeps what the log said before: a default never replaces it"
    )
    assert case.resolution == "solved"
    assert report.anomalies == ()


def matrix_mapping(**columns: str) -> ImportMapping:
    """The test log's mapping without a priority column, with ``columns`` added."""
    named = {k: v for k, v in mapping().columns.named().items() if k != "priority"}
    values = {k: v for k, v in mapping().values.items() if k != "priority"}
    values.update(dict.fromkeys(columns, LEVELS))
    return mapping(columns={**named, **columns}, values=values)


def test_without_a_priority_column_the_policys_matrix_derives_it(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("G1", "2026-03-02 09:00", "Active", imp="H", urg="M"),
        line("G1", "2026-03-02 10:00", "Active", imp="L", urg="M"),
        line("G1", "2026-03-02 11:00", "Resolved", imp="-", urg="M"),
        line("G2", "2026-03-02 09:00", "Active", imp="M", urg="-"),
    ]
    path = write_log(tmp_path, rows, header=SEVERITY)
    report = import_csv(desk, path, matrix_mapping(impact="imp", urgency="urg"))
    derived = [r.event for r in desk.history("G1") if isinstance(r.event, ev.Prioritized)]
    assert [(e.priority, e.impact, e.urgency, e.rule, e.source) for e in derived] == [
        ("high", "high", "medium", "matrix", "desk:log.csv:2"),
        ("low", "low", "medium", "matrix", "desk:log.csv:3"),
    ], "an empty impact keeps the case's: nothing to derive again"
    assert derived[0].reason == (
        "no priority in the log; from desk imp 'H' and desk urg 'M': "
        "impact high × urgency medium gives high by the matrix"
    )
    assert desk.case("G1").state == "resolved"
    assert desk.case("G2").state == "classified", "no urgency: the matrix cannot decide"
    assert desk.case("G2").priority is None
    assert anomalies(report) == {
        "state in_progress not recorded: no priority": (1, (5,), False),
        "assignee change not recorded: the case was classified": (1, (5,), False),
    }


def test_a_derived_priority_uses_defaults_and_the_tiers_raise(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [line("G3", "2026-03-02 09:00", "Active", imp="M")]
    path = write_log(tmp_path, rows, header=SEVERITY)
    base = matrix_mapping(impact="imp")
    premium = mapping(
        columns=dict(base.columns.named()),
        values={k: dict(v) for k, v in base.values.items()},
        defaults={"kind": "incident", "urgency": "low", "tier": "premium"},
    )
    import_csv(desk, path, premium)
    prioritized = next(r.event for r in desk.history("G3") if isinstance(r.event, ev.Prioritized))
    assert isinstance(prioritized, ev.Prioritized)
    assert (prioritized.priority, prioritized.rule) == ("medium", "matrix+tier")
    assert prioritized.reason == (
        "no priority in the log; from desk imp 'M' and desk [defaults] urgency: "
        "impact medium × urgency low gives low by the matrix; tier 'premium' raises it to medium"
    )
    assert desk.case("G3").state == "in_progress"


def test_the_logs_priority_is_never_replaced_by_a_derived_one(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("G4", "2026-03-02 09:00", "Active", prio="P4", imp="H", urg="H"),
        line("G4", "2026-03-02 10:00", "Active", prio="-", imp="M", urg="H"),
        line("G5", "2026-03-02 09:00", "Active", prio="-", imp="H", urg="H"),
    ]
    values = {**mapping().values, "impact": LEVELS, "urgency": LEVELS}
    columns = {**mapping().columns.named(), "impact": "imp", "urgency": "urg"}
    path = write_log(tmp_path, rows, header=SEVERITY)
    import_csv(desk, path, mapping(columns=columns, values=values))
    kept = [r.event for r in desk.history("G4") if isinstance(r.event, ev.Prioritized)]
    assert [(e.priority, e.rule) for e in kept] == [("low", "import")]
    assert desk.case("G4").priority == "low"
    derived = [r.event for r in desk.history("G5") if isinstance(r.event, ev.Prioritized)]
    assert [(e.priority, e.rule) for e in derived] == [("critical", "matrix")]


def test_one_column_may_fill_several_keys(desk: ServiceDesk, tmp_path: Path) -> None:
    rows = [line("H1", "2026-03-02 09:00", "Active", sev="H", by="ann", who="ann")]
    path = write_log(tmp_path, rows, header=SEVERITY)
    one = matrix_mapping(impact="sev", urgency="sev")
    columns = {**one.columns.named(), "requester": "by", "opened_by": "by"}
    import_csv(
        desk,
        path,
        mapping(columns=columns, values={k: dict(v) for k, v in one.values.items()}),
    )
    case = desk.case("H1")
    assert (case.impact, case.urgency, case.priority) == ("high", "high", "critical")
    assert case.requester == "ann"
    assert desk.history("H1")[0].event.by == "agent:ann"


def test_a_team_change_with_the_same_owner_is_an_assignment_to_the_new_queue(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("T1", "2026-03-02 09:00", "Active", team="L1"),
        line("T1", "2026-03-02 10:00", "Active", team="L2"),
        line("T1", "2026-03-02 11:00", "Active", team="-"),
        line("T1", "2026-03-02 12:00", "Resolved", team="L2"),
        line("T1", "2026-03-02 13:00", "Resolved", team="L3"),
        line("T2", "2026-03-02 09:00", "New", agent="-", team="L1"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    history = [r.event for r in desk.history("T1")]
    moves = [e for e in history if isinstance(e, ev.Assigned)]
    assert [(e.assignee, e.previous, e.queue, e.source) for e in moves] == [
        ("agent:kim", None, "L1", "desk:log.csv:2"),
        ("agent:kim", "agent:kim", "L2", "desk:log.csv:3"),
    ]
    assert moves[1].reason == "desk team 'L2'"
    assert report.rows_unchanged == 2, "an empty team keeps the case's; L3 comes too late"
    assert anomalies(report) == {
        "team change not recorded: the case was resolved": (1, (6,), False),
    }, "nobody owns T2: its team comes with its first owner"
    end = datetime(2026, 4, 1, tzinfo=UTC)
    by_team = kpis(desk, end=end, by="team")
    assert {name: k.submitted for name, k in by_team.slices.items()} == {"L2": 1, NONE: 1}
    assert by_team.slices["L2"].transferred.numerator == 0, "the owner never changed"
    assert by_team.slices["L2"].fcr.numerator == 1
    assert by_team == compute_kpis(decoded(desk.store.histories()), desk.policy, end=end, by="team")


def queued_mapping(**changes: Any) -> ImportMapping:
    """The test log's mapping with a ``Queued`` state: the case waits in its queue."""
    values = {k: dict(v) for k, v in mapping().values.items()}
    values["state"]["Queued"] = "assigned"
    return mapping(values=values, **changes)


def test_a_case_returned_to_its_queue_waits_there_for_its_next_owner(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("Q1", "2026-03-02 09:00", "Active"),
        line("Q1", "2026-03-02 10:00", "Queued", agent="-", team="L2"),
        line("Q1", "2026-03-02 11:00", "Active", agent="ola", team="L2"),
        line("Q1", "2026-03-02 12:00", "Resolved", agent="ola", team="L2"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), queued_mapping())
    assert report.anomalies == ()
    history = [r.event for r in desk.history("Q1")]
    assert [e.TYPE.removeprefix("case.") for e in history] == [
        "submitted",
        "classified",
        "prioritized",
        "assigned",
        "acknowledged",
        "unassigned",
        "assigned",
        "acknowledged",
        "resolved",
    ]
    back = history[5]
    assert isinstance(back, ev.Unassigned)
    assert (back.previous, back.queue, back.reason) == ("agent:kim", "L2", "desk status 'Queued'")
    picked = history[6]
    assert isinstance(picked, ev.Assigned)
    assert (picked.assignee, picked.previous, picked.queue) == ("agent:ola", None, "L2")
    assert desk.case("Q1").transfer_count == 1, "kim let it go; ola took it from the queue"
    end = datetime(2026, 4, 1, tzinfo=UTC)
    by_team = kpis(desk, end=end, by="team")
    assert {name: k.submitted for name, k in by_team.slices.items()} == {"L2": 1}
    assert by_team.slices["L2"].transfers.mean == 1
    assert by_team.slices["L2"].fcr.numerator == 0, "passed around: not first contact"
    assert by_team == compute_kpis(decoded(desk.store.histories()), desk.policy, end=end, by="team")


def test_a_team_owner_takes_a_returned_case_until_a_person_is_named(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("Q1", "2026-03-02 09:00", "Active"),
        line("Q1", "2026-03-02 10:00", "Queued", agent="-", team="L2"),
        line("Q1", "2026-03-02 11:00", "Active", agent="ola", team="L2"),
    ]
    chosen = queued_mapping(options={"team_owns_unassigned": True})
    report = import_csv(desk, write_log(tmp_path, rows), chosen)
    assert report.anomalies == ()
    moves = [
        (type(r.event).__name__, getattr(r.event, "assignee", None), r.event.previous)
        for r in desk.history("Q1")
        if isinstance(r.event, ev.Assigned | ev.Unassigned)
    ]
    assert moves == [
        ("Assigned", "agent:kim", None),
        ("Unassigned", None, "agent:kim"),
        ("Assigned", "team:L2", None),
        ("Assigned", "agent:ola", "team:L2"),
    ]
    assert desk.case("Q1").state == "in_progress"


def test_a_return_to_the_queue_after_resolution_reopens_or_is_reported(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("Q2", "2026-03-02 09:00", "Active"),
        line("Q2", "2026-03-02 10:00", "Queued", agent="-"),
        line("Q2", "2026-03-02 11:00", "Resolved"),
        line("Q2", "2026-03-02 12:00", "Queued"),
    ]
    counted = import_csv(desk, write_log(tmp_path, rows), queued_mapping())
    assert types(desk, "Q2") == [
        "submitted",
        "classified",
        "prioritized",
        "assigned",
        "acknowledged",
        "unassigned",
        "assigned",
        "resolved",
    ]
    assert desk.case("Q2").assignee == "agent:kim", "the next row names kim again"
    assert anomalies(counted) == {
        "state assigned not recorded: back from resolved while the reopen count did not rise": (
            1,
            (5,),
            False,
        ),
    }
    columns = {k: v for k, v in _columns(mapping()).items() if k != "reopen_count"}
    renamed = [{**row, "id": "Q3"} for row in rows]
    told = import_csv(
        desk, write_log(tmp_path, renamed, name="q3.csv"), queued_mapping(columns=columns)
    )
    assert told.anomalies == ()
    assert types(desk, "Q3")[-4:] == ["resolved", "reopened", "unassigned", "assigned"], (
        "without a counter, the states tell the reopen; the row's owner takes it"
    )


def test_later_rows_change_the_cases_fields_and_slices_follow_them(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("P1", "2026-03-02 09:00", "Active", product="app", opened="2026-03-02 08:00"),
        line("P1", "2026-03-03 09:00", "Active", product="web"),
        line("P1", "2026-03-04 09:00", "Resolved", product="-", code="fixed"),
        line("P1", "2026-03-06 09:00", "Closed", product="api", code="fixed"),
        line("P2", "2026-03-02 09:00", "Void", product="app", opened="2026-03-02 08:00"),
        line("P2", "2026-03-03 09:00", "Void", product="web"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    assert anomalies(report) == {
        "field change not recorded: the case was cancelled": (1, (7,), False)
    }
    changes = [r.event for r in desk.history("P1") if isinstance(r.event, ev.FieldsChanged)]
    assert [(dict(e.fields), e.reason) for e in changes] == [
        ({"product": "web"}, "desk product 'web'"),
        ({"product": "api"}, "desk product 'api'"),
    ]
    assert desk.case("P1").fields == {"product": "api"}, "the closing row's value is final"
    assert desk.case("P2").fields == {"product": "app"}

    def products(end: datetime) -> dict[str, int]:
        found = kpis(desk, start=datetime(2026, 3, 1, tzinfo=UTC), end=end, by="field:product")
        return {name: k.cases for name, k in found.slices.items()}

    assert products(datetime(2026, 3, 2, 12, tzinfo=UTC)) == {"app": 2}
    assert products(datetime(2026, 3, 5, tzinfo=UTC)) == {"web": 1, "app": 1}
    assert products(datetime(2026, 3, 7, tzinfo=UTC)) == {"api": 1, "app": 1}
    with pytest.raises(ValidationError, match="field:<name of a field>"):
        kpis(desk, by="field:")


# --- the real ServiceNow log ----------------------------------------------------------------

SERVICENOW = (
    Path(__file__).resolve().parents[2] / "../shared/data/servicenow-incident-event-log.csv.gz"
)


@pytest.mark.skipif(
    not SERVICENOW.exists(),
    reason="the ServiceNow log is not here (../shared/data is only in the project's workspace)",
)
def test_the_servicenow_log_imports_with_the_facts_of_the_raw_csv(tmp_path: Path) -> None:
    # the facts, computed from the raw CSV alone
    last: dict[str, dict[str, str]] = {}
    most_reopens: Counter[str] = Counter()
    rows = 0
    with gzip.open(SERVICENOW, "rt", encoding="utf-8", newline="") as raw:
        for record in csv.DictReader(raw):
            rows += 1
            number = record["number"]
            last[number] = record
            most_reopens[number] = max(most_reopens[number], int(record["reopen_count"]))
    shipped = load_mapping("servicenow")
    priorities = shipped.values["priority"]
    mix = Counter(priorities[r["priority"]] for r in last.values())
    breached = {n for n, r in last.items() if r["made_sla"] == "false"}

    db = tmp_path / "servicenow.db"
    with ServiceDesk.open(f"sqlite:///{db}", entry_points=False) as desk:
        started = time.perf_counter()
        report = import_csv(desk, SERVICENOW, "servicenow")
        seconds = time.perf_counter() - started
        print(
            f"\nServiceNow import: {report.rows_read} rows, {report.cases_created} cases, "
            f"{report.events} events, {report.rows_skipped} rows skipped, "
            f"{sum(a.count for a in report.anomalies)} anomalies, {seconds:.1f} s"
        )
        assert report.rows_read == rows == 119_998
        assert report.cases_created == len(last) == desk.count() == 20_769
        assert report.unknown_values == ()
        assert report.skipped[SKIPPED_BY_MAPPING] == 2, "the two '-100' rows"
        assert report.rows_skipped < rows * 0.001
        assert report.events == sum(report.events_by_type.values())

        with sqlite3.connect(db) as conn:
            stored = dict(
                conn.execute(
                    "SELECT type, COUNT(*) FROM events WHERE type LIKE ? GROUP BY type", ("case.%",)
                )
            )
            states = dict(conn.execute("SELECT id, state FROM cases"))
            priority = dict(conn.execute("SELECT id, priority FROM cases"))
            breaches, reopened = (
                {
                    stream
                    for (stream,) in conn.execute(
                        "SELECT stream FROM events WHERE type = ?", (kind,)
                    )
                }
                for kind in ("case.sla_breached", "case.reopened")
            )
        assert stored == dict(report.events_by_type)
        # every reopen counted by ServiceNow is one Reopened event
        assert stored["case.reopened"] == sum(most_reopens.values()) == 276
        # the incidents whose last row missed the SLA are exactly those with a breach
        assert breaches == breached
        assert len(breached) / len(last) == pytest.approx(0.3935, abs=1e-4)
        # the priority mix of the last rows; only cases that never left intake (no category
        # on any row, so the lifecycle never let them be prioritised) lack a priority
        never_classified = {n for n, s in states.items() if s == "intake"}
        assert Counter(p for p in priority.values() if p is not None) == mix - Counter(
            priorities[last[n]["priority"]] for n in never_classified
        )
        assert sum(1 for p in priority.values() if p is None) == len(never_classified) == 7
        # every incident ends in its last row's state, but those stuck in triage for want
        # of a category or an owner: reported as anomalies
        targets = shipped.values["state"]
        differ = {n for n, r in last.items() if targets[r["incident_state"]] != states[n]}
        assert {states[n] for n in differ} <= {"intake", "prioritized", "assigned"}
        assert len(differ) < len(last) * 0.002
        problems = {a.problem for a in report.anomalies}
        assert "state closed not recorded: nobody assigned" in problems
        assert "state closed not recorded: no category" in problems
        # the chains and projections of a sample of cases, of every reopened one and of
        # every one that differs from its last row
        sample = sorted(states)[::50] + sorted(reopened | differ)
        assert all(desk.verify(case_id).ok for case_id in sample)
        assert seconds < 60, f"the import took {seconds:.0f} s"

        # the KPIs over the imported log agree with the same facts of the raw CSV; the
        # import kept every case's facts, and they give what the events give
        key = facts_key(desk.policy)
        assert all(isinstance(k, FactsRecord) for k in desk.store.histories_or_facts(key))
        end = datetime(2018, 1, 1, tzinfo=UTC)
        kpi = kpis(desk, end=end, by="priority")
        assert kpi == compute_kpis(
            decoded(desk.store.histories()), desk.policy, end=end, by="priority"
        )
        assert kpi.overall.submitted == len(last)
        resolution = kpi.overall.compliance("resolution")
        assert resolution is not None
        assert resolution.breached == len(breached)
        assert kpi.overall.reopened.numerator == sum(1 for n in most_reopens.values() if n)
        by_priority = {name: k.submitted for name, k in kpi.slices.items()}
        assert by_priority.pop(NONE) == len(never_classified)
        assert Counter(by_priority) == mix - Counter(
            priorities[last[n]["priority"]] for n in never_classified
        )


def test_the_default_policy_knows_every_value_the_servicenow_mapping_names() -> None:
    mapping_ = load_mapping("servicenow")
    policy = default_policy()
    assert set(mapping_.values["priority"].values()) == set(policy.priority.names)
    assert set(mapping_.values["channel"].values()) <= set(policy.channels)


TIERED = {
    "escalation": {
        "process_owner": "agent:olga",
        "tiers": [
            {"name": "frontline", "level": 1},
            {"name": "technical", "level": 2},
            {"name": "management", "level": 3},
        ],
    }
}
LINES = {"1st": "frontline", "2nd": "technical", "3rd": "management", "Vendor": "vendor"}


def lined_mapping() -> ImportMapping:
    """The test log's mapping with a support-line column whose values name tiers."""
    base = mapping()
    columns = {**_columns(base), "support_line": "line"}
    values = {key: dict(table) for key, table in base.values.items()}
    return mapping(columns=columns, values={**values, "support_line": LINES})


def _columns(base: ImportMapping) -> dict[str, Any]:
    return {**base.columns.named(), "fields": dict(base.columns.fields)}


def test_a_support_line_column_tells_the_escalation_story(store_url: str, tmp_path: Path) -> None:
    rows = [
        line("C1", "2026-03-02 09:00", "New", line="1st"),
        line("C1", "2026-03-02 10:00", "Active", line="2nd"),
        line("C1", "2026-03-02 12:00", "Active", line="3rd"),
        line("C1", "2026-03-02 13:00", "Active", line="2nd"),
        line("C1", "2026-03-02 14:00", "Resolved", line="2nd", code="fixed"),
        line("C2", "2026-03-02 09:00", "Active", line="1st"),
        line("C2", "2026-03-02 11:00", "Resolved", line="-", code="fixed"),
        line("C3", "2026-03-02 09:00", "Active", line="4th"),
        line("C3", "2026-03-02 10:00", "Active", line="Vendor"),
    ]
    log = write_log(tmp_path, rows, header=(*HEADER, "line"))
    with ServiceDesk.open(store_url, policy=load_policy(TIERED), entry_points=False) as desk:
        report = import_csv(desk, log, lined_mapping())
        assert report.rows_imported == 9
        assert report.events_by_type["case.escalated"] == 2
        assert report.events_by_type["case.deescalated"] == 1
        assert anomalies(report) == {
            "support line '4th' not recorded: not in $.values.support_line": (1, (9,), False),
            "support line 'Vendor' not recorded: the policy has no escalation tier 'vendor'": (
                1,
                (10,),
                False,
            ),
        }
        moves = [
            r.event
            for r in desk.history("C1")
            if isinstance(r.event, ev.Escalated | ev.Deescalated)
        ]
        assert [(type(e).__name__, e.from_tier, e.to_tier) for e in moves] == [
            ("Escalated", "frontline", "technical"),
            ("Escalated", "technical", "management"),
            ("Deescalated", "management", "technical"),
        ]
        first = moves[0]
        assert isinstance(first, ev.Escalated)
        assert (first.kind, first.trigger, first.reason) == (
            "hierarchical",
            "import",
            "desk line '2nd'",
        )
        assert first.source == "desk:log.csv:3"
        case = desk.case("C1")
        assert case.escalation is not None
        assert (case.escalation.tier, case.escalation.path) == (
            "technical",
            ("frontline", "technical", "management", "technical"),
        )
        k = kpis(desk, end=datetime(2026, 3, 3, tzinfo=UTC)).overall
        assert k.escalated == Rate(1, 3, "imported cases record no escalations")
        held = {tier: (s.count, s.p50) for tier, s in k.tier_time.items()}
        hour = 3600.0
        assert held == {
            "frontline": (1, hour),  # C1 started in the first tier at 09:00, left at 10:00
            "management": (1, hour),
            "technical": (2, 1.5 * hour),  # 10:00-12:00, then 13:00 to its resolution
        }


def test_without_a_support_line_imported_cases_stay_out_of_the_escalation_rate(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    import_csv(desk, write_log(tmp_path, LIFE), mapping())
    k = kpis(desk, end=datetime(2026, 4, 1, tzinfo=UTC)).overall
    assert k.escalated == Rate(0, 0, "imported cases record no escalations")
    assert desk.case("C1").fields == {"product": "app"}


def test_a_support_line_change_waits_for_a_state_that_allows_it(
    store_url: str, tmp_path: Path
) -> None:
    rows = [
        line("C1", "2026-03-02 09:00", "New", line="2nd", cat="-", prio="-", agent="-"),
        line("C1", "2026-03-02 10:00", "Active", line="2nd"),
    ]
    log = write_log(tmp_path, rows, header=(*HEADER, "line"))
    with ServiceDesk.open(store_url, policy=load_policy(TIERED), entry_points=False) as desk:
        report = import_csv(desk, log, lined_mapping())
        assert anomalies(report) == {
            "support line change not recorded: the case was intake": (1, (2,), False)
        }
        assert types(desk, "C1") == [
            "submitted",
            "classified",
            "prioritized",
            "assigned",
            "escalated",
            "acknowledged",
        ]


def test_a_log_without_requesters_or_channels_says_what_it_cannot_tell(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    base = mapping()
    columns = {k: v for k, v in _columns(base).items() if k not in ("requester", "channel")}
    values = {k: v for k, v in base.values.items() if k != "channel"}
    rows = [  # the same product, twice within a week: a repeat, if one requester were assumed
        line("R1", "2026-03-02 09:00", "Resolved", code="fixed"),
        line("R2", "2026-03-03 09:00", "Resolved", code="fixed"),
        line("R3", "2026-03-04 09:00", "Active"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping(columns=columns, values=values))
    assert report.rows_imported == 3
    assert report.anomalies == (), "a log without the columns is not an anomaly per row"
    case = desk.case("R1")
    assert (case.requester, case.channel) == ("", "")
    end = datetime(2026, 3, 10, tzinfo=UTC)
    k = kpis(desk, end=end).overall
    assert k.repeat == Rate(0, 0, "the log names no requester")
    assert k.repeat.as_dict()["value"] is None
    for by, why in (
        ("channel", "the log names no channel"),
        ("group", "the log names no requester"),
    ):
        report_by = kpis(desk, end=end, by=by)
        assert report_by.slices == {}, f"no {by} slice is guessed"
        assert report_by.unsliced == {why: 3}
        note = slice_table(report_by).note
        assert note.endswith(f" 3 cases are in no row: {why}.")
        assert report_by.as_dict()["unsliced"] == {why: 3}
    assert set(kpis(desk, end=end, by="category").slices) == {"billing"}, "other slices stand"


def test_a_row_without_a_requester_in_a_log_that_has_them_is_imported_and_reported(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("R1", "2026-03-02 09:00", "Resolved", code="fixed"),
        line("R2", "2026-03-03 09:00", "Resolved", code="fixed"),
        line("R3", "2026-03-04 09:00", "Resolved", code="fixed", who="-"),
    ]
    report = import_csv(desk, write_log(tmp_path, rows), mapping())
    assert anomalies(report) == {"no requester: the case is imported without one": (1, (4,), False)}
    k = kpis(desk, end=datetime(2026, 3, 10, tzinfo=UTC)).overall
    assert k.repeat == Rate(1, 2, "the log names no requester"), (
        "R2 repeats R1 (same requester and category); R3 can repeat nothing"
    )


def test_a_case_answered_in_its_first_row_has_a_first_response_only_with_an_opening_time(
    desk: ServiceDesk, tmp_path: Path
) -> None:
    rows = [
        line("O1", "2026-03-02 09:00", "Active"),  # opened when? the log does not say
        line("O2", "2026-03-02 09:00", "Active", opened="2026-03-02 09:00"),  # on the call
        line("O3", "2026-03-02 09:00", "Active", opened="2026-03-02 08:30"),
        line("O4", "2026-03-02 09:00", "New", agent="-"),
        line("O4", "2026-03-02 10:00", "Active"),  # answered an hour after its first row
    ]
    import_csv(desk, write_log(tmp_path, rows), mapping())
    assert desk.case("O1").fields["intake"] == "first row (the log has no opening time)"
    assert "intake" not in desk.case("O2").fields
    k = kpis(desk, end=datetime(2026, 3, 3, tzinfo=UTC)).overall
    assert k.first_response.unmeasured == 1, "O1 only"
    assert k.first_response.calendar.count == 3
    assert k.first_response.calendar.maximum == 3600.0, "O4: from its first row to its answer"
    note = time_table(k).note
    assert note.endswith(
        " 1 imported case was already at work in the log's first row, which has no opening "
        "time: its first response time is not measured."
    )
