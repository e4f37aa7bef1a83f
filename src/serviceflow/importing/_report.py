"""What an import read, wrote, skipped and could not place: the report, and the reasons a
row is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import asdict, frozen

EXISTING = "case already in the store"
SKIPPED_BY_MAPPING = "state skipped by the mapping"
UNKNOWN = "unknown value"
ANOMALY = "anomaly"


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
