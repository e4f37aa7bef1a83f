"""``serviceflow import FILE``: a CSV event log into the store, with a progress bar (or,
off a terminal, a progress line every few seconds) and the import's report as tables or JSON.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from serviceflow.cli._consoles import console, err
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._main import db_option
from serviceflow.cli._progress import reporting
from serviceflow.cli._support import refused_as_usage, root_policy, store_url
from serviceflow.cli._tables import Col, Listing
from serviceflow.desk._desk import ServiceDesk
from serviceflow.importing._importer import import_csv
from serviceflow.importing._mapping import load_mapping
from serviceflow.importing._report import ImportReport


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--mapping",
    "mapping_source",
    required=True,
    metavar="NAME|PATH",
    help="A built-in mapping (servicenow) or a mapping TOML file.",
)
@db_option()
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Rows per transaction.",
)
@click.option("--dry-run", is_flag=True, help="Read and plan every row; write nothing.")
@json_option("the report")
@click.pass_context
def import_log(
    ctx: click.Context,
    *,
    file: str,
    mapping_source: str,
    batch: int,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import the CSV event log FILE (.csv, or .csv.gz) into the --db store.

    Each row becomes the events that take its case to the row's state; unknown values
    and what the lifecycle cannot express are reported with line numbers. Cases already
    in the store are left untouched, so importing again adds nothing. docs/import.md
    explains the mapping file.
    """
    with refused_as_usage("--mapping"):
        mapping = load_mapping(mapping_source)
    target = ctx.find_root().params["db"]
    url = store_url(target)
    if dry_run and "://" not in target and not Path(target).exists():
        url = "memory://"  # nothing to compare with, and no file to create
    policy = root_policy(ctx)
    with refused_as_usage("--db"):
        opened = ServiceDesk.open(url, policy=policy)
    rows = 0  # the importer reports after each batch (and once at the end): rows read

    def read(done: float, total: float) -> str:
        share = f" ({done / total:.0%})" if total else ""
        return f"{rows:,} rows, {_size(done)} of {_size(total)} read{share}"

    bar = None if as_json else Progress(*_COLUMNS, console=err)
    size = Path(file).stat().st_size
    with (
        opened as desk,
        reporting("import", read, bar, task=f"importing {Path(file).name}", total=size) as moved,
    ):

        def progress(done: int, total: int) -> None:
            nonlocal rows
            rows += batch  # at the end, this counts the last, partial batch as a full one
            moved(done, total)

        report = import_csv(desk, file, mapping, batch=batch, dry_run=dry_run, progress=progress)
    if as_json:
        emit(report.to_dict())
        return
    _print_import(report, url)


_COLUMNS = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())


def _size(count: float) -> str:
    """A byte count for people: ``310 B``, ``4.2 kB``, ``12.3 MB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count:.0f} B"


def _print_import(report: ImportReport, url: str) -> None:
    """The report: counts, events by type, unknown values and anomalies, as tables."""
    title = f"Import of {report.file} with mapping {report.mapping} into {url}"
    if report.dry_run:
        title += " (dry run: nothing written)"
    counts = Listing("", Col("count", "right"), title=title)
    for label, count in (
        ("rows read", report.rows_read),
        ("rows imported", report.rows_imported),
        ("  of which changed nothing", report.rows_unchanged),
        *((f"rows skipped: {reason}", n) for reason, n in report.skipped.items()),
        ("cases created", report.cases_created),
        ("cases already in the store (untouched)", report.cases_existing),
        ("events", report.events),
    ):
        counts.add_row(label, f"{count:,}")
    counts.add_row("seconds", f"{report.seconds:.1f}")
    counts.print()
    kinds = Listing("event", Col("count", "right"), title="Events", things="events")
    for kind, count in report.events_by_type.items():
        kinds.add_row(kind, f"{count:,}")
    kinds.print()
    if report.unknown_values:
        unknown = Listing(
            "column", "value", Col("rows", "right"), "first lines", title="Unknown values"
        )
        for found in report.unknown_values:
            lines = ", ".join(map(str, found.lines))
            unknown.add_row(found.column, found.value, f"{found.count:,}", lines)
        unknown.print()
        console.print(
            "Rows with unknown values were not imported: add the values to the mapping's "
            "\\[values.<column>] tables (try --dry-run) and import into a fresh store."
        )
    if report.anomalies:
        odd = Listing("anomaly", Col("rows", "right"), "row", "first lines", title="Anomalies")
        for anomaly in report.anomalies:
            kept = "skipped" if anomaly.row_skipped else "imported without it"
            lines = ", ".join(map(str, anomaly.lines))
            odd.add_row(anomaly.problem, f"{anomaly.count:,}", kept, lines)
        odd.print()
