"""The foundation every layer stands on: calendars, durations, ids, text and identity checks,
retries and the converter. Imports nothing of serviceflow but ``errors`` and ``clock``.
"""

from __future__ import annotations

from serviceflow.core._arguments import (
    checked,
    checked_methods,
    day,
    flag,
    text_problems,
    whole_number,
)
from serviceflow.core._calendar import (
    DAYS,
    BusinessCalendar,
    Hours,
    always_open,
    as_date,
    business_calendar,
)
from serviceflow.core._convert import T, canonical_json, converter, iso, structure_checked
from serviceflow.core._duration import LONGEST, format_duration, parse_duration
from serviceflow.core._identity import canonical_actor, identity_problems, invisible, same_actor
from serviceflow.core._ids import new_case_id
from serviceflow.core._readonly import K, ReadOnlyMap, V, freeze_nested, read_only
from serviceflow.core._retry import TICK, WRITE, Backoff, Retry
from serviceflow.core._storable import text_problem
from serviceflow.core._toml import (
    Refusal,
    decode_file,
    load_toml,
    open_bytes,
    parse_toml,
    read_text,
    unreadable,
    why_unreadable,
)

__all__ = [
    "DAYS",
    "LONGEST",
    "TICK",
    "WRITE",
    "Backoff",
    "BusinessCalendar",
    "Hours",
    "K",
    "ReadOnlyMap",
    "Refusal",
    "Retry",
    "T",
    "V",
    "always_open",
    "as_date",
    "business_calendar",
    "canonical_actor",
    "canonical_json",
    "checked",
    "checked_methods",
    "converter",
    "day",
    "decode_file",
    "flag",
    "format_duration",
    "freeze_nested",
    "identity_problems",
    "invisible",
    "iso",
    "load_toml",
    "new_case_id",
    "open_bytes",
    "parse_duration",
    "parse_toml",
    "read_only",
    "read_text",
    "same_actor",
    "structure_checked",
    "text_problem",
    "text_problems",
    "unreadable",
    "whole_number",
    "why_unreadable",
]
