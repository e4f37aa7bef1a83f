"""Benchmark ``serviceflow import`` of the ServiceNow incident log against reading the same
file alone (gunzip and CSV parse, every row), measured in the same run.

The log is the one in the workspace's ``../shared/data`` (a user's clone does not have it:
download the "Incident management process enriched event log", UCI, and pass its path).
Target: the import costs at most 8 times the parse.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import tempfile
import time
from pathlib import Path

from report import Row, machine, print_table, section

from serviceflow.desk._desk import ServiceDesk
from serviceflow.importing._importer import import_csv
from serviceflow.importing._mapping import load_mapping

LOG = Path(__file__).resolve().parents[1] / "../shared/data/servicenow-incident-event-log.csv.gz"
TARGET = 8.0


def parse(path: Path) -> tuple[int, float]:
    """Rows and seconds of reading the file: gunzip and CSV, nothing else."""
    began = time.perf_counter()
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as raw:
        rows = sum(1 for _ in csv.reader(raw))
    return rows, time.perf_counter() - began


def imported(path: Path, folder: Path, n: int) -> tuple[int, float]:
    """Events and seconds of importing the file into a fresh SQLite store."""
    desk = ServiceDesk.open(f"sqlite:///{folder / f'import-{n}.db'}", entry_points=False)
    began = time.perf_counter()
    report = import_csv(desk, path, load_mapping("servicenow"))
    spent = time.perf_counter() - began
    desk.close()
    return report.events, spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("log", nargs="?", type=Path, default=LOG, help="the ServiceNow log")
    parser.add_argument("--rounds", type=int, default=2, help="best of this many (default 2)")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        raise SystemExit(f"no log at {args.log}: pass the path of the ServiceNow log")
    print(machine("import"))
    with tempfile.TemporaryDirectory(prefix="sf-import-") as tmp:
        best_parse = best_import = float("inf")
        events = rows = 0
        for n in range(args.rounds):
            with section(f"round {n + 1}: parse, then import"):
                rows, seconds = parse(args.log)
                best_parse = min(best_parse, seconds)
                events, seconds = imported(args.log, Path(tmp), n)
                best_import = min(best_import, seconds)
    ratio = best_import / best_parse
    print()
    print_table(
        [
            Row(
                f"import of the ServiceNow log ({rows:,} rows, {events:,} events)",
                f"{best_import:.1f} s",
                f"gunzip + CSV parse {best_parse:.2f} s",
                f"{ratio:.1f}x the parse",
                f"≤ {TARGET:.0f}x",
                "yes" if ratio <= TARGET else "NO",
            )
        ]
    )


if __name__ == "__main__":
    main()
