"""Importing event logs: CSV mappings (columns, value tables, time format) and the importer
that turns rows into events marked with their source.
"""

from __future__ import annotations

from serviceflow.importing._importer import import_csv
from serviceflow.importing._mapping import (
    BREACHED,
    ISO,
    MET,
    SKIP,
    TARGET_STATES,
    VALUE_KEYS,
    ActorPrefixes,
    Columns,
    Defaults,
    ImportMapping,
    ImportOptions,
    SourceFormat,
    builtin_mappings,
    check_against_policy,
    load_mapping,
    vocabulary,
)
from serviceflow.importing._report import (
    ANOMALY,
    EXISTING,
    SKIPPED_BY_MAPPING,
    UNKNOWN,
    Anomaly,
    ImportReport,
    UnknownValue,
)

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
