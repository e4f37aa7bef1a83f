"""``serviceflow quality calibration SESSION``: how consistently reviewers score cases.

Registered by ``_main.py`` (``cli.add_command(quality)``).
"""

from __future__ import annotations

import click
from rich.markup import escape

from serviceflow.analytics._calibration import CalibrationReport, calibrate
from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._main import db_option
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing


@click.group()
def quality() -> None:
    """Quality assurance: how consistently reviewers score cases."""


@quality.command("calibration")
@click.argument("session")
@db_option()
@json_option("the report")
@click.pass_context
def quality_calibration(ctx: click.Context, session: str, as_json: bool) -> None:
    """Compare the reviewers of calibration SESSION: their totals on each case, the
    spread, agreement within the policy's tolerance, and who drifts from the others."""
    with open_desk(ctx) as desk:
        report = calibrate(desk, session)
    if as_json:
        emit(report.as_dict())
        return
    _print_calibration(report)


def _print_calibration(report: CalibrationReport) -> None:
    """The session's cases, reviewers and criteria as tables, then its agreement."""
    console.print(
        f"Calibration session {escape(report.session)}: {len(report.cases)} cases, "
        f"{report.reviews} reviews; two totals agree within {report.tolerance:g} points"
    )
    if not report.cases:
        console.print("No review was recorded in this session.")
        return
    cases = Listing(
        "case",
        "agent",
        "reviewers (total)",
        Col("min", "right"),
        Col("max", "right"),
        Col("range", "right"),
        Col("stdev", "right"),
        Col("agreement", "right"),
        title="Cases",
    )
    for found in report.cases:
        cases.add_row(
            found.case_id,
            found.agent,
            ", ".join(f"{r.reviewer} {r.total:g}" for r in found.reviews),
            f"{found.spread.min:g}",
            f"{found.spread.max:g}",
            f"{found.spread.range:.1f}",
            f"{found.spread.stdev:.1f}",
            _share(found.agreement),
        )
    reviewers = Listing(
        "reviewer",
        Col("cases", "right"),
        Col("compared", "right"),
        Col("mean total", "right"),
        Col("mean deviation", "right"),
        Col("mean |deviation|", "right"),
        "drifting",
        title="Reviewers (deviation: own total − mean of the others)",
    )
    for reviewer in report.reviewers:
        reviewers.add_row(
            reviewer.reviewer,
            reviewer.cases,
            reviewer.compared,
            f"{reviewer.mean_total:.1f}",
            _signed_points(reviewer.mean_deviation),
            _points(reviewer.mean_absolute_deviation),
            "yes" if reviewer.drifting else "no",
        )
    criteria = Listing(
        "rubric",
        "criterion",
        "kind",
        Col("cases", "right"),
        Col("mean range", "right"),
        Col("max range", "right"),
        title="Criteria (range of points as a share of the max)",
        things="criteria",
    )
    for criterion in report.criteria:
        criteria.add_row(
            criterion.rubric,
            criterion.criterion,
            criterion.kind or "",
            criterion.cases,
            _share(criterion.mean_range_share),
            _share(criterion.max_range_share),
        )
    for section in (cases, reviewers, criteria):
        section.print()
    summary = Listing("summary", Col("value", "right"), title="Session")
    for label, value in (
        ("reviewer pairs", str(report.pairs)),
        ("pairs that agree", str(report.agreeing)),
        ("agreement", _share(report.agreement)),
        ("mean range of totals", _points(report.mean_range)),
        ("largest range of totals", _points(report.max_range)),
        ("mean standard deviation", _points(report.mean_stdev)),
    ):
        summary.add_row(label, value)
    summary.print()


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _signed_points(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}"
