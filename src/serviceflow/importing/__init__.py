"""Importing event logs: CSV mappings (columns, value tables, time format) and the importer
that turns rows into events marked with their source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.importing._importer import import_csv as import_csv
    from serviceflow.importing._mapping import BREACHED as BREACHED
    from serviceflow.importing._mapping import ISO as ISO
    from serviceflow.importing._mapping import MET as MET
    from serviceflow.importing._mapping import SKIP as SKIP
    from serviceflow.importing._mapping import TARGET_STATES as TARGET_STATES
    from serviceflow.importing._mapping import VALUE_KEYS as VALUE_KEYS
    from serviceflow.importing._mapping import ActorPrefixes as ActorPrefixes
    from serviceflow.importing._mapping import Columns as Columns
    from serviceflow.importing._mapping import Defaults as Defaults
    from serviceflow.importing._mapping import ImportMapping as ImportMapping
    from serviceflow.importing._mapping import ImportOptions as ImportOptions
    from serviceflow.importing._mapping import SourceFormat as SourceFormat
    from serviceflow.importing._mapping import builtin_mappings as builtin_mappings
    from serviceflow.importing._mapping import check_against_policy as check_against_policy
    from serviceflow.importing._mapping import load_mapping as load_mapping
    from serviceflow.importing._mapping import vocabulary as vocabulary
    from serviceflow.importing._report import ANOMALY as ANOMALY
    from serviceflow.importing._report import EXISTING as EXISTING
    from serviceflow.importing._report import SKIPPED_BY_MAPPING as SKIPPED_BY_MAPPING
    from serviceflow.importing._report import UNKNOWN as UNKNOWN
    from serviceflow.importing._report import Anomaly as Anomaly
    from serviceflow.importing._report import ImportReport as ImportReport
    from serviceflow.importing._report import UnknownValue as UnknownValue

_NAMES = {
    "ANOMALY": "serviceflow.importing._report",
    "ActorPrefixes": "serviceflow.importing._mapping",
    "Anomaly": "serviceflow.importing._report",
    "BREACHED": "serviceflow.importing._mapping",
    "Columns": "serviceflow.importing._mapping",
    "Defaults": "serviceflow.importing._mapping",
    "EXISTING": "serviceflow.importing._report",
    "ISO": "serviceflow.importing._mapping",
    "ImportMapping": "serviceflow.importing._mapping",
    "ImportOptions": "serviceflow.importing._mapping",
    "ImportReport": "serviceflow.importing._report",
    "MET": "serviceflow.importing._mapping",
    "SKIP": "serviceflow.importing._mapping",
    "SKIPPED_BY_MAPPING": "serviceflow.importing._report",
    "SourceFormat": "serviceflow.importing._mapping",
    "TARGET_STATES": "serviceflow.importing._mapping",
    "UNKNOWN": "serviceflow.importing._report",
    "UnknownValue": "serviceflow.importing._report",
    "VALUE_KEYS": "serviceflow.importing._mapping",
    "builtin_mappings": "serviceflow.importing._mapping",
    "check_against_policy": "serviceflow.importing._mapping",
    "import_csv": "serviceflow.importing._importer",
    "load_mapping": "serviceflow.importing._mapping",
    "vocabulary": "serviceflow.importing._mapping",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = [
    "ANOMALY",
    "BREACHED",
    "EXISTING",
    "ISO",
    "MET",
    "SKIP",
    "SKIPPED_BY_MAPPING",
    "TARGET_STATES",
    "UNKNOWN",
    "VALUE_KEYS",
    "ActorPrefixes",
    "Anomaly",
    "Columns",
    "Defaults",
    "ImportMapping",
    "ImportOptions",
    "ImportReport",
    "SourceFormat",
    "UnknownValue",
    "builtin_mappings",
    "check_against_policy",
    "import_csv",
    "load_mapping",
    "vocabulary",
]

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
