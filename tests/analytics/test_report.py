"""KPI tables from a report: the hand-computed log of test_metrics as rows of plain values,
their CSV and JSON exports, and how values read on screen."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from serviceflow import ValidationError
from serviceflow.analytics._kpi_set import NONE, KpiReport
from serviceflow.analytics._kpi_tables import headline, ordered, tier_order
from serviceflow.analytics._metrics import compute_kpis
from serviceflow.analytics._report import tables, to_csv, write_exports
from serviceflow.analytics._table import Cell, Table, format_cell, human_duration
from serviceflow.domain import _events as ev

from ..rules.escalation.test_audit import policy as escalation_policy
from .test_metrics import END, POLICY, T0, H, _Case, _escalated, _log, unlevelled


def _report(by: str | None = None) -> KpiReport:
    return compute_kpis(_log(), POLICY, start=T0, end=END, by=by)


def _table(found: list[Table], name: str) -> Table:
    return next(t for t in found if t.name == name)


def _row(table: Table, first: str) -> dict[str, Cell]:
    return next(r for r in table.records() if next(iter(r.values())) == first)


def test_every_table_is_there_once_and_the_slices_only_when_sliced() -> None:
    names = [t.name for t in tables(_report())]
    assert names == [
        "summary",
        "times",
        "sla",
        "volume",
        "backlog",
        "tiers",
        "per_case",
        "surveys",
        "quality",
        "quality_criteria",
    ]
    sliced = [t.name for t in tables(_report("priority"))]
    assert sliced[3] == "slices"
    assert len(sliced) == len(set(sliced)) == len(names) + 1


def test_summary_shows_each_rate_with_its_numerator_and_denominator() -> None:
    summary = _table(tables(_report()), "summary")
    assert [c.key for c in summary.columns] == ["kpi", "count", "out_of", "rate", "denominator"]
    assert _row(summary, "submitted")["count"] == 5
    fcr = _row(summary, "first-contact resolution")
    assert (fcr["count"], fcr["out_of"], fcr["denominator"]) == (1, 3, "resolved cases")
    assert fcr["rate"] == pytest.approx(1 / 3)
    escalated = _row(summary, "escalated")
    assert (escalated["count"], escalated["out_of"], escalated["rate"]) == (0, 5, 0.0)
    assert _row(summary, "repeat issue")["count"] == 1
    every_clock = _row(summary, "SLA compliance (all clocks)")
    assert (every_clock["count"], every_clock["out_of"]) == (2, 5), "1 of 3 and 1 of 2"
    assert _row(summary, "CSAT")["rate"] == 0.5
    assert _row(summary, "backlog (open at end)")["count"] == 1


def test_time_metrics_are_seconds_with_their_spread() -> None:
    times = _table(tables(_report()), "times")
    kinds = {c.key: c.kind for c in times.columns}
    assert kinds["p90_seconds"] == "seconds"
    assert kinds["cv"] == "number"
    rows = times.records()
    assert [(r["metric"], r["time"]) for r in rows[:2]] == [
        ("first response", "calendar"),
        ("first response", "business"),
    ]
    first = rows[0]
    assert (first["count"], first["p50_seconds"], first["max_seconds"]) == (3, 1800, 7200)
    resolution_business = rows[3]
    assert resolution_business["max_seconds"] == 8 * 3600


def test_sla_compliance_per_metric() -> None:
    sla = _table(tables(_report()), "sla")
    first, resolution = sla.rows
    assert first[:4] == ("first response", 1, 2, 0)
    assert first[4] == pytest.approx(1 / 3)
    assert resolution == ("resolution", 1, 1, 1, 0.5)


def test_slices_follow_the_policy_order_and_name_the_missing_value_last() -> None:
    report = _report("priority")
    alphabetical = _table(tables(report), "slices")
    assert [r[0] for r in alphabetical.rows] == ["high", "medium", NONE]
    slices = _table(tables(report, POLICY), "slices")
    assert slices.title == "By priority"
    keys = [c.key for c in slices.columns]
    assert keys[0] == "priority"
    assert {"sla_first_response", "sla_resolution", "resolution_p90_seconds"} <= set(keys)
    medium = _row(slices, "medium")
    assert (medium["submitted"], medium["resolved"], medium["fcr"]) == (3, 2, 0.5)
    assert _row(slices, NONE)["fcr"] is None, "the cancelled case resolved nothing"
    assert ordered(["low", NONE, "zeta", "critical", "alpha"], POLICY.priority.names) == [
        "critical",
        "low",
        "alpha",
        "zeta",
        NONE,
    ]


def test_backlog_volume_and_per_case_tables() -> None:
    found = tables(_report())
    backlog = _table(found, "backlog")
    assert backlog.rows[0] == ("< 1 day", 1, 1.0)
    assert [r[1] for r in backlog.rows[1:]] == [0, 0, 0, 0]
    volume = _table(found, "volume")
    assert volume.rows == (("2026-03-02", 4), ("2026-03-03", 1))
    per_case = _table(found, "per_case")
    assert _row(per_case, "transfers")["mean"] == pytest.approx(1 / 3)
    assert _row(per_case, "client replies")["count"] == 3


def test_tiers_in_the_policy_order_with_their_stints() -> None:
    case = _escalated()
    report = compute_kpis([case.events], POLICY, start=T0, end=T0 + 5 * H)
    policy = escalation_policy()
    assert tier_order(policy) == ("frontline", "technical", "management")
    tiers = _table(tables(report, policy), "tiers")
    assert [r[0] for r in tiers.rows] == ["frontline", "technical"]
    technical = _row(tiers, "technical")
    assert (technical["count"], technical["p50_seconds"]) == (1, 2 * 3600)
    assert _row(tiers, "frontline")["count"] == 2
    assert tiers.note.startswith("1 of 1 submitted cases were escalated")


def test_surveys_show_answers_split_and_score_and_empty_feedback_has_no_rows() -> None:
    found = tables(_report())
    surveys = _table(found, "surveys")
    assert surveys.rows == (
        ("CSAT", 2, 1, None, 1, 50.0, "% of answers 4–5 (1–5)"),
        ("NPS", 2, 1, 0, 1, 0.0, "% 9–10 − % 0–6 (−100…100)"),
        ("CES", 1, None, None, None, 2.0, "mean (1–7, higher is easier)"),
    )
    assert _table(found, "quality").rows == ()
    assert _table(found, "quality_criteria").rows == ()
    later = compute_kpis(_log(), POLICY, start=T0 + timedelta(days=1), end=END)
    assert _table(tables(later), "surveys").rows == ()


def test_quality_reviews_and_criteria() -> None:
    case = _Case("Q", "acme/q@acme.test", timedelta(0)).add(
        ev.QualityReviewed,
        H,
        by="qa:lee",
        rubric="standard",
        agent="agent:kim",
        scores={"greeting": 1, "accuracy": 4},
        total=75.0,
    )
    report = compute_kpis(
        [case.events], POLICY, end=END, max_criteria={"standard": {"greeting": 2, "accuracy": 4}}
    )
    found = tables(report)
    assert _table(found, "quality").records()[0]["mean"] == 75.0
    assert _table(found, "quality_criteria").rows == (("accuracy", 1.0), ("greeting", 0.5))


def test_headline_figures() -> None:
    figures = {f.label: f for f in headline(_report().overall)}
    assert list(figures) == ["Cases", "FCR", "SLA compliance", "CSAT", "NPS", "Backlog"]
    assert (figures["FCR"].text(), figures["FCR"].detail) == ("33.3%", "1 of 3 resolved")
    assert figures["SLA compliance"].detail == "2 of 5 clocks met"
    assert figures["NPS"].text() == "+0.00"
    assert figures["Backlog"].detail == "median age 3h"
    empty = headline(compute_kpis([], POLICY, end=END).overall)
    assert [f.text() for f in empty] == ["0", "—", "—", "—", "—", "0"]
    assert empty[-1].detail == "nothing open"


def test_without_a_service_level_sla_compliance_reads_none_with_its_reason(
    tmp_path: Path,
) -> None:
    report = compute_kpis(unlevelled(), POLICY, start=T0, end=END)
    figures = {f.label: f for f in headline(report.overall)}
    sla = figures["SLA compliance"]
    assert (sla.text(), sla.detail) == ("—", "no service level applies")
    found = tables(report)
    row = _row(_table(found, "summary"), "SLA compliance (all clocks)")
    assert (row["count"], row["out_of"], row["rate"]) == (0, 0, None)
    assert row["denominator"] == "decided SLA clocks: no service level applies"
    clocks = _table(found, "sla")
    assert clocks.rows == ()
    assert clocks.note == "No SLA clock to count: no service level applies."
    write_exports(report, tmp_path)
    with (tmp_path / "summary.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["kpi"]: r for r in csv.DictReader(f)}
    assert rows["SLA compliance (all clocks)"] == {
        "kpi": "SLA compliance (all clocks)",
        "count": "0",
        "out_of": "0",
        "rate": "",
        "denominator": "decided SLA clocks: no service level applies",
    }
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["overall"]["sla"] == []
    assert data["overall"]["sla_all"]["reason"] == "no service level applies"
    listed = json.loads((tmp_path / "tables.json").read_text(encoding="utf-8"))
    assert next(t for t in listed if t["name"] == "sla")["note"] == clocks.note


def test_a_rate_with_a_value_keeps_its_plain_denominator() -> None:
    summary = _table(tables(_report()), "summary")
    assert _row(summary, "CSAT")["denominator"] == "CSAT answers"
    empty = _table(tables(compute_kpis([], POLICY, end=END)), "summary")
    assert _row(empty, "CSAT")["denominator"] == "CSAT answers: no CSAT answer in the period"


def test_nps_reads_with_the_same_precision_in_the_headline_and_the_table() -> None:
    case = _Case("N", "acme/n@acme.test", timedelta(0))
    for score in (10, 9, 3):
        case.add(ev.SurveyRecorded, H, by="client:n@acme.test", survey="nps", score=score)
    k = compute_kpis([case.events], POLICY, start=T0, end=END).overall
    nps = {f.label: f for f in headline(k)}["NPS"]
    row = _row(_table(tables(compute_kpis([case.events], POLICY, end=END)), "surveys"), "NPS")
    assert format_cell(row["score"], "number") == "33.33"
    assert nps.text() == "+33.33"
    assert nps.detail == "3 answers"
    empty = {f.label: f for f in headline(compute_kpis([], POLICY, end=END).overall)}["NPS"]
    assert (empty.text(), empty.detail) == ("—", "no NPS answer in the period")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.4, "<1s"),
        (45, "45s"),
        (60, "1m"),
        (725, "12m 5s"),
        (3600, "1h"),
        (5430, "1h 31m"),
        (86400 * 2 + 4 * 3600, "2d 4h"),
        (86400 * 3 - 1, "3d"),
        (59.6, "1m"),
        (3599.9, "1h"),
        (86399, "1d"),
        (-90, "-1m 30s"),
    ],
)
def test_durations_read_in_two_units(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_cells_format_by_their_kind() -> None:
    assert format_cell(None, "seconds") == "—"
    assert format_cell(5430.0, "seconds") == "1h 31m"
    assert format_cell(2 / 3, "share") == "66.7%"
    assert format_cell(12345, "count") == "12,345"
    assert format_cell(0.456, "number") == "0.46"
    assert format_cell("=1+1", "text") == "=1+1"


def test_csv_keeps_values_exact_and_defuses_formulas() -> None:
    table = Table(
        "t",
        "T",
        (
            *tables(_report())[0].columns[:1],
            *tables(_report())[1].columns[3:4],
        ),
        (("=HYPERLINK(1)", 1800.5), ("-x", None), ("plain, with comma", 0.1 + 0.2)),
    )
    text = to_csv(table)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["kpi", "mean_seconds"],
        ["'=HYPERLINK(1)", "1800.5"],
        ["'-x", ""],
        ["plain, with comma", repr(0.1 + 0.2)],
    ]


def test_write_exports_writes_every_table_as_csv_and_the_report_as_json(tmp_path: Path) -> None:
    report = _report("channel")
    written = write_exports(report, tmp_path / "out", policy=POLICY)
    names = sorted(p.name for p in written)
    assert names == sorted(
        ["report.json", "tables.json", *(f"{t.name}.csv" for t in tables(report))]
    )
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(report.as_dict()))
    assert data["slices"]["phone"]["submitted"] == 1
    listed = json.loads((tmp_path / "out" / "tables.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in listed] == [t.name for t in tables(report)]
    summary = listed[0]
    assert summary["columns"][3] == {"key": "rate", "label": "rate", "kind": "share"}
    fcr = next(r for r in summary["rows"] if r["kpi"] == "first-contact resolution")
    assert (fcr["count"], fcr["out_of"]) == (1, 3)
    with (tmp_path / "out" / "slices.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["channel"] for r in rows] == ["email", "phone"]
    assert rows[1]["submitted"] == "1"


def test_write_exports_writes_only_the_formats_asked(tmp_path: Path) -> None:
    written = write_exports(_report(), tmp_path, formats=("json",))
    assert sorted(p.name for p in written) == ["report.json", "tables.json"]
    with pytest.raises(ValidationError, match="format 'xlsx' is not one of json, csv"):
        write_exports(_report(), tmp_path, formats=("csv", "xlsx"))
