"""A worked example: import the real ServiceNow incident log, then measure the desk it makes.

The log is the "Incident management process enriched event log" (Amaral, Fantinato, Reijers,
Peres, 2018; UCI Machine Learning Repository, CC BY 4.0). It is not in this repository:
download it from the UCI page (``SOURCE`` below), unzip it, and pass the CSV (plain or gzip)::

    python examples/servicenow_log.py path/to/incident_event_log.csv

Without an argument it reads ``shared/data/servicenow-incident-event-log.csv.gz`` in the folder
that holds the project. It writes ``servicenow.db`` and ``servicenow.html`` where you run it,
and prints what the import did and the headline KPIs by priority. Walked through in
docs/import.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from serviceflow import ServiceDesk
from serviceflow.analytics import kpis, write_dashboard
from serviceflow.importing import import_csv

LOG = Path(__file__).resolve().parents[2] / "shared/data/servicenow-incident-event-log.csv.gz"
SOURCE = "https://archive.ics.uci.edu/dataset/498/incident+management+process+enriched+event+log"
END = datetime(2018, 1, 1, tzinfo=UTC)
"""After the last update in the log (February 2017): every event counts."""


def _share(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:6.1%}" if denominator else "     —"


def main(log: Path = LOG) -> None:
    """Import ``log`` into a fresh SQLite desk, print the import and the KPIs, write HTML."""
    if not log.is_file():
        print(
            f"servicenow_log.py: no ServiceNow log at {log}: download the UCI 'Incident "
            f"management process enriched event log' (Amaral et al. 2018, CC BY 4.0) from "
            f"{SOURCE}, unzip it and pass its CSV: python examples/servicenow_log.py LOG.csv",
            file=sys.stderr,
        )
        raise SystemExit(2)
    Path("servicenow.db").unlink(missing_ok=True)
    with ServiceDesk.open("sqlite:///servicenow.db?synchronous=normal") as desk:
        imported = import_csv(desk, log, "servicenow")
        print(
            f"imported {imported.rows_imported:,} of {imported.rows_read:,} rows: "
            f"{imported.cases_created:,} cases, {imported.events:,} events, "
            f"{imported.rows_skipped} rows skipped, {len(imported.anomalies)} kinds of anomaly "
            f"({imported.seconds:.1f} s)"
        )
        report = kpis(desk, end=END, by="priority")
        print(f"\n{'priority':<10} {'cases':>6} {'met SLA':>8} {'reopened':>9} {'FCR':>7}")
        for name, kpi in {"all": report.overall, **report.slices}.items():
            resolution = kpi.compliance("resolution")
            met = _share(resolution.met, resolution.met + resolution.breached) if resolution else ""
            print(
                f"{name:<10} {kpi.submitted:>6,} {met:>8} "
                f"{_share(kpi.reopened.numerator, kpi.reopened.denominator):>9} "
                f"{_share(kpi.fcr.numerator, kpi.fcr.denominator):>7}"
            )
        p50 = report.overall.resolution.calendar.p50 or 0
        p90 = report.overall.resolution.calendar.p90 or 0
        print(f"\nresolution time: median {p50 / 3600:.1f} h, p90 {p90 / 3600:.1f} h")
        path = write_dashboard(
            "servicenow.html",
            report,
            generated_at=desk.clock.now(),
            priorities=report,
            policy=desk.policy,
            title="ServiceNow incident log",
        )
        print(f"dashboard: {path}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "log",
        nargs="?",
        type=Path,
        default=LOG,
        help=f"the ServiceNow incident log, CSV or CSV.gz (from {SOURCE}; default: %(default)s)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main(_arguments().log)
