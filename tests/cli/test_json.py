"""``--json`` on every command that lists or shows something, in the documented shape.

``docs/cli-json.md`` documents each command's JSON: a table of fields per command (and per
shared object). ``OBJECTS`` and ``COMMANDS`` below mirror those tables; a test reads the
page and checks that it lists the same fields with the same types, and that its examples
have the shape, so the page and the code cannot drift apart.

Every command runs once with ``--json`` on the demo desk that test_widths.py builds (the
demo day, an article, a problem, an improvement cycle; a calibration session and a day of
escalations in desks of their own) and:

* exits with status 0, and prints only JSON on stdout: an array or an object, as documented;
* every object has exactly the documented keys, every value the documented type (an
  instant is ISO 8601 text in UTC, a duration a number of seconds);
* no text looks like a Python repr (``ReadOnlyMap(``, ``datetime.``, ``<...>``).

The walk of the click tree checks that every command has ``--json`` unless ``EXEMPT`` says
why not (it acts, or prints a document), and that every command with it is documented.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

import click
import pytest
from attrs import frozen
from click.testing import CliRunner

from serviceflow import ServiceDesk
from serviceflow.cli._json import as_json, jsonable
from serviceflow.cli._main import cli

from .commands import walk
from .test_widths import Demo, argv, build_demo

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli-json.md"


class Shape(NamedTuple):
    """A command's JSON: ``array`` (of objects) or ``object``; the shared object it lists or
    shows (``None``: its own fields only); its own fields, by path (``parent.field`` in an
    object, ``parent[].field`` in an array's objects), each with its documented type."""

    top: str
    shared: str | None
    fields: dict[str, str]


OBJECTS: dict[str, dict[str, str]] = {
    "case": {
        "id": "string",
        "state": "string",
        "version": "integer",
        "requester": "string",
        "channel": "string",
        "subject": "string",
        "description": "string",
        "tier": "string",
        "submitted_at": "time",
        "updated_at": "time",
        "policy": "string",
        "category": "string or null",
        "kind": "string or null",
        "impact": "string or null",
        "urgency": "string or null",
        "priority": "string or null",
        "priority_reason": "string or null",
        "assignee": "string or null",
        "acknowledged_at": "time or null",
        "resolved_at": "time or null",
        "validated_at": "time or null",
        "confirmed_at": "time or null",
        "closed_at": "time or null",
        "resolution": "string or null",
        "reopen_count": "integer",
        "transfer_count": "integer",
        "merged_into": "string or null",
        "duplicates": "array of string",
        "sla": "string or null",
        "language": "string or null",
        "fields": "object",
        "tags": "array of string",
        "resolved_by": "string or null",
        "escalation": "object or null",
        "escalation.tier": "string",
        "escalation.since": "time",
        "escalation.status": "string",
        "escalation.number": "integer",
        "escalation.path": "array of string",
        "escalation.owner": "string or null",
        "escalation.timeline": "time or null",
        "escalation.bounces": "integer",
        "escalation.flagged": "boolean",
    },
    "problem": {
        "id": "string",
        "state": "string",
        "title": "string",
        "statement": "string",
        "category": "string or null",
        "item": "string or null",
        "terms": "array of string",
        "case_ids": "array of string",
        "defined_at": "time",
        "defined_by": "string",
        "updated_at": "time",
        "steps": "array of object",
        "steps[].step": "string",
        "steps[].what": "string",
        "steps[].evidence": "string",
        "steps[].at": "time",
        "steps[].by": "string",
        "root_cause": "string or null",
        "corrective_action": "string or null",
        "corrected_at": "time or null",
        "corrective_actions": "integer",
        "monitoring_since": "time or null",
        "quiet_period": "seconds or null",
        "recurrences": "array of object",
        "recurrences[].at": "time",
        "recurrences[].case_ids": "array of string",
        "recurrences[].evidence": "string",
        "known_error": "object or null",
        "known_error.error": "string",
        "known_error.workaround": "string",
        "known_error.at": "time",
        "known_error.by": "string",
        "closed_at": "time or null",
        "quiet_until": "time or null",
    },
    "cycle": {
        "id": "string",
        "state": "string",
        "kpi": "object",
        "kpi.name": "string",
        "kpi.statistic": "string",
        "kpi.time": "string",
        "kpi.metric": "string or null",
        "scope": "object",
        "baseline": "object",
        "baseline.start": "time",
        "baseline.end": "time",
        "baseline.value": "number or null",
        "baseline.count": "integer",
        "baseline.cases": "integer",
        "baseline_sample": "array of number",
        "target": "number",
        "hypothesis": "string",
        "patch": "string",
        "note": "string",
        "base_version": "string",
        "patched_version": "string",
        "min_count": "integer",
        "confidence": "number",
        "planned_at": "time",
        "planned_by": "string",
        "dry_run": "object or null",
        "dry_run.at": "time",
        "dry_run.patched_version": "string",
        "dry_run.baseline_value": "number or null",
        "dry_run.predicted_value": "number or null",
        "dry_run.count": "integer",
        "dry_run.caveat": "string",
        "previous_version": "string or null",
        "applied_version": "string or null",
        "done_at": "time or null",
        "check": "object or null",
        "check.at": "time",
        "check.after": "object",
        "check.after.start": "time",
        "check.after.end": "time",
        "check.after.value": "number or null",
        "check.after.count": "integer",
        "check.after.cases": "integer",
        "check.effect": "object",
        "check.effect.statistic": "string",
        "check.effect.before": "number or null",
        "check.effect.after": "number or null",
        "check.effect.difference": "number or null",
        "check.effect.low": "number or null",
        "check.effect.high": "number or null",
        "check.effect.confidence": "number",
        "check.effect.before_count": "integer",
        "check.effect.after_count": "integer",
        "check.effect.p_value": "number or null",
        "check.effect.resamples": "integer",
        "check.effect.seed": "integer",
        "check.effect.warnings": "array of string",
        "check.target_met": "boolean",
        "decision": "string or null",
        "decided_at": "time or null",
        "decided_by": "string or null",
        "sop": "string",
        "reason": "string",
        "in_force": "string or null",
        "changed_at": "time or null",
    },
}
"""The shared objects of docs/cli-json.md: field path to type."""

COMMANDS: dict[tuple[str, ...], Shape] = {
    ("cases",): Shape("array", "case", {}),
    ("case", "show"): Shape(
        "object",
        "case",
        {
            "workarounds": "array of object",
            "workarounds[].problem_id": "string",
            "workarounds[].title": "string",
            "workarounds[].error": "string",
            "workarounds[].workaround": "string",
            "workarounds[].linked": "boolean",
            "workarounds[].similarity": "number",
        },
    ),
    ("queue",): Shape("array", "case", {}),
    ("history",): Shape(
        "array",
        None,
        {
            "seq": "integer",
            "type": "string",
            "at": "time",
            "by": "string",
            "policy": "string",
            "source": "string or null",
            "data": "object",
            "hash": "string",
        },
    ),
    ("priority",): Shape(
        "object",
        None,
        {
            "case_id": "string",
            "priority": "string or null",
            "changes": "array of object",
            "changes[].at": "time",
            "changes[].by": "string",
            "changes[].priority": "string",
            "changes[].impact": "string or null",
            "changes[].urgency": "string or null",
            "changes[].rule": "string",
            "changes[].reason": "string",
            "changes[].policy": "string",
        },
    ),
    ("sla",): Shape(
        "object",
        None,
        {
            "case_id": "string",
            "level": "string or null",
            "calendar": "string or null",
            "at": "time",
            "clocks": "array of object",
            "clocks[].metric": "string",
            "clocks[].cycle": "integer",
            "clocks[].status": "string",
            "clocks[].target": "seconds",
            "clocks[].time": "string",
            "clocks[].consumed": "seconds",
            "clocks[].remaining": "seconds",
            "clocks[].due": "time or null",
            "clocks[].started_at": "time",
            "clocks[].stopped_at": "time or null",
            "clocks[].warned": "array of number",
            "clocks[].breach_recorded": "boolean",
            "clocks[].segments": "array of object",
            "clocks[].segments[].start": "time",
            "clocks[].segments[].end": "time or null",
            "clocks[].segments[].counted": "seconds",
            "clocks[].segments[].holidays": "array of date",
            "clocks[].pauses": "array of object",
            "clocks[].pauses[].start": "time",
            "clocks[].pauses[].end": "time or null",
            "clocks[].pauses[].state": "string",
            "note": "string",
            "policy": "string",
        },
    ),
    ("route",): Shape(
        "array",
        None,
        {
            "case_id": "string",
            "queue": "string",
            "strategy": "string",
            "agent": "string or null",
            "reason": "string",
        },
    ),
    ("audit",): Shape(
        "array",
        None,
        {
            "at": "time",
            "by": "string",
            "command": "string",
            "case_id": "string",
            "rule": "string",
            "reason": "string",
            "policy": "string",
        },
    ),
    ("audit", "escalations"): Shape(
        "object",
        None,
        {
            "start": "time",
            "end": "time",
            "summary": "object",
            "summary.cases": "integer",
            "summary.escalations": "integer",
            "summary.deescalations": "integer",
            "summary.late_acknowledgements": "integer",
            "summary.missed_updates": "integer",
            "summary.unowned": "integer",
            "summary.unowned_overdue": "integer",
            "summary.ping_pong": "integer",
            "summary.flagged": "integer",
            "summary.breaches": "integer",
            "late_acknowledgements": "array of object",
            "late_acknowledgements[].case_id": "string",
            "late_acknowledgements[].tier": "string",
            "late_acknowledgements[].escalated_at": "time",
            "late_acknowledgements[].due": "time",
            "late_acknowledgements[].accepted_at": "time or null",
            "late_acknowledgements[].late_by": "seconds",
            "late_acknowledgements[].outcome": "string",
            "missed_updates": "array of object",
            "missed_updates[].case_id": "string",
            "missed_updates[].tier": "string",
            "missed_updates[].cycle": "integer",
            "missed_updates[].due": "time",
            "missed_updates[].stopped_at": "time or null",
            "missed_updates[].late_by": "seconds",
            "unowned": "array of object",
            "unowned[].case_id": "string",
            "unowned[].tier": "string",
            "unowned[].since": "time",
            "unowned[].waiting": "seconds",
            "unowned[].due": "time or null",
            "unowned[].overdue": "boolean",
            "ping_pong": "array of object",
            "ping_pong[].case_id": "string",
            "ping_pong[].at": "time",
            "ping_pong[].tier": "string",
            "ping_pong[].path": "array of string",
            "ping_pong[].bounces": "integer",
            "ping_pong[].owner": "string or null",
            "ping_pong[].flagged": "boolean",
            "held_seconds": "object",
            "breaches": "array of object",
            "breaches[].tier": "string",
            "breaches[].metric": "string",
            "breaches[].count": "integer",
        },
    ),
    ("kb", "list"): Shape(
        "array",
        None,
        {
            "id": "string",
            "state": "string",
            "version": "integer",
            "category": "string",
            "owner": "string",
            "title": "string",
            "default_locale": "string",
            "updated_at": "time",
            "review_due_at": "time or null",
        },
    ),
    ("kb", "show"): Shape(
        "object",
        None,
        {
            "id": "string",
            "state": "string",
            "owner": "string",
            "category": "string",
            "default_locale": "string",
            "review_every": "seconds",
            "created_at": "time",
            "updated_at": "time",
            "draft": "object or null",
            "draft.texts": "object",
            "draft.authors": "array of string",
            "draft.version": "integer",
            "published": "object or null",
            "published.texts": "object",
            "published.authors": "array of string",
            "published.version": "integer",
            "reviewed_at": "time or null",
            "uses": "array of object",
            "uses[].case_id": "string",
            "uses[].version": "integer",
            "uses[].at": "time",
            "uses[].reopens": "integer",
            "helpful": "integer",
            "not_helpful": "integer",
            "retired_reason": "string or null",
            "review_overdue": "boolean",
            "version": "integer",
            "title": "string",
            "review_due_at": "time or null",
        },
    ),
    ("kb", "search"): Shape(
        "array",
        None,
        {
            "article_id": "string",
            "version": "integer",
            "locale": "string",
            "title": "string",
            "score": "number",
        },
    ),
    ("kb", "effectiveness"): Shape(
        "array",
        None,
        {
            "article": "string",
            "state": "string",
            "cases": "integer",
            "resolution_rate": "number or null",
            "reopen_rate": "number or null",
            "helpful": "integer",
            "not_helpful": "integer",
            "flags": "array of string",
            "title": "string",
            "version": "integer",
            "resolved": "integer",
            "reopened": "integer",
            "helpful_rate": "number or null",
            "last_used": "time or null",
        },
    ),
    ("kb", "suggestions"): Shape(
        "array",
        None,
        {
            "kind": "string",
            "category": "string or null",
            "cases": "array of string",
            "terms": "array of string",
            "resolution": "string",
        },
    ),
    ("problem", "list"): Shape("array", "problem", {}),
    ("problem", "show"): Shape("object", "problem", {}),
    ("problem", "candidates"): Shape(
        "object",
        None,
        {
            "candidates": "array of object",
            "candidates[].case_ids": "array of string",
            "candidates[].category": "string or null",
            "candidates[].item": "string or null",
            "candidates[].terms": "array of string",
            "candidates[].first_at": "time",
            "candidates[].last_at": "time",
            "candidates[].cohesion": "number",
            "unlinked": "array of object",
            "unlinked[].problem_id": "string",
            "unlinked[].title": "string",
            "unlinked[].state": "string",
            "unlinked[].case_ids": "array of string",
            "unlinked[].advice": "string",
        },
    ),
    ("improve", "list"): Shape("array", "cycle", {}),
    ("improve", "show"): Shape("object", "cycle", {}),
    ("quality", "calibration"): Shape(
        "object",
        None,
        {
            "session": "string",
            "tolerance": "number",
            "summary": "object",
            "summary.cases": "integer",
            "summary.reviews": "integer",
            "summary.reviewers": "array of string",
            "summary.pairs": "integer",
            "summary.agreeing": "integer",
            "summary.agreement": "number or null",
            "summary.mean_range": "number or null",
            "summary.max_range": "number or null",
            "summary.mean_stdev": "number or null",
            "cases": "array of object",
            "cases[].case_id": "string",
            "cases[].rubric": "string",
            "cases[].agent": "string",
            "cases[].reviews": "array of object",
            "cases[].reviews[].reviewer": "string",
            "cases[].reviews[].total": "number",
            "cases[].reviews[].scores": "object",
            "cases[].reviews[].at": "time",
            "cases[].reviews[].deviation": "number or null",
            "cases[].spread": "object",
            "cases[].spread.count": "integer",
            "cases[].spread.min": "number",
            "cases[].spread.max": "number",
            "cases[].spread.range": "number",
            "cases[].spread.stdev": "number",
            "cases[].criteria": "array of object",
            "cases[].criteria[].criterion": "string",
            "cases[].criteria[].kind": "string or null",
            "cases[].criteria[].max": "integer or null",
            "cases[].criteria[].spread": "object",
            "cases[].criteria[].spread.count": "integer",
            "cases[].criteria[].spread.min": "number",
            "cases[].criteria[].spread.max": "number",
            "cases[].criteria[].spread.range": "number",
            "cases[].criteria[].spread.stdev": "number",
            "cases[].criteria[].range_share": "number or null",
            "cases[].criteria[].stdev_share": "number or null",
            "cases[].pairs": "integer",
            "cases[].agreeing": "integer",
            "cases[].agreement": "number or null",
            "reviewers": "array of object",
            "reviewers[].reviewer": "string",
            "reviewers[].cases": "integer",
            "reviewers[].compared": "integer",
            "reviewers[].mean_total": "number or null",
            "reviewers[].mean_deviation": "number or null",
            "reviewers[].mean_absolute_deviation": "number or null",
            "reviewers[].drifting": "boolean",
            "criteria": "array of object",
            "criteria[].rubric": "string",
            "criteria[].criterion": "string",
            "criteria[].kind": "string or null",
            "criteria[].cases": "integer",
            "criteria[].mean_range_share": "number or null",
            "criteria[].max_range_share": "number or null",
        },
    ),
    ("staff",): Shape(
        "object",
        None,
        {
            "interval_minutes": "integer",
            "start": "time or null",
            "intervals": "integer",
            "peak": "integer",
            "peak_start": "string",
            "agent_hours": "number",
            "totals": "array of integer",
            "queues": "array of object",
            "queues[].name": "string",
            "queues[].channel": "string",
            "queues[].arrivals": "number",
            "queues[].peak": "integer",
            "queues[].peak_start": "string",
            "queues[].agent_hours": "number",
            "queues[].productive_hours": "number",
            "queues[].workload_hours": "number",
            "queues[].occupancy": "number",
            "queues[].rostered": "array of integer",
            "queues[].agents": "array of integer",
            "queues[].target": "object",
        },
    ),
    ("import",): Shape(
        "object",
        None,
        {
            "file": "string",
            "mapping": "string",
            "rows_read": "integer",
            "rows_imported": "integer",
            "rows_unchanged": "integer",
            "skipped": "object",
            "cases_created": "integer",
            "cases_existing": "integer",
            "events": "integer",
            "events_by_type": "object",
            "unknown_values": "array of object",
            "unknown_values[].column": "string",
            "unknown_values[].value": "string",
            "unknown_values[].count": "integer",
            "unknown_values[].lines": "array of integer",
            "anomalies": "array of object",
            "anomalies[].problem": "string",
            "anomalies[].count": "integer",
            "anomalies[].lines": "array of integer",
            "anomalies[].row_skipped": "boolean",
            "seconds": "number",
            "dry_run": "boolean",
            "rows_skipped": "integer",
        },
    ),
    ("report",): Shape(
        "object",
        None,
        {
            "start": "time",
            "end": "time",
            "by": "string or null",
            "repeat_window": "seconds",
            "overall": "object",
            "slices": "object",
            "volume": "array",
            "unsliced": "object",
        },
    ),
    ("review",): Shape(
        "object",
        None,
        {
            "cadence": "string",
            "start": "time",
            "end": "time",
            "checks": "array of object",
            "checks[].item": "string",
            "checks[].asks": "string",
            "checks[].status": "string",
            "checks[].findings": "array of string",
            "checks[].figures": "object",
        },
    ),
}
"""Each command's shape in docs/cli-json.md: its top level, its shared object, its own
fields (field path to type)."""


EXEMPT = {
    ("demo",): "acts: plays a scripted day into --db (read it with the other commands' --json)",
    ("diagram",): "prints a document (Markdown or Mermaid), already machine-readable",
    ("policy", "check"): "checks a file: the exit status is the answer, problems on stderr",
    ("simulate",): "acts: runs a simulated desk into its own store, writes a dashboard",
    ("tick",): "acts: fires the SLA events that are due and counts them",
    ("verify",): "checks the hash chains: the exit status is the answer",
    ("worker",): "a long-running process that logs to stderr",
}
"""Commands without ``--json``, and why (docs/cli-json.md lists them too)."""

SCALARS = ("string", "time", "date", "integer", "number", "seconds", "boolean")
TYPE = re.compile(
    rf"^(?:object|array(?: of (?:object|{'|'.join(SCALARS)}))?|{'|'.join(SCALARS)})(?: or null)?$"
)
REPR = re.compile(
    r"ReadOnlyMap\(|mappingproxy\(|frozenset\(|datetime\.|timedelta\(|object at 0x|^<.*>$"
)
"""What a Python repr looks like in a value: never in the JSON."""


def fields_of(words: tuple[str, ...]) -> dict[str, str]:
    """Every documented field of a command's objects: its shared object's, then its own."""
    shape = COMMANDS[words]
    return {**(OBJECTS[shape.shared] if shape.shared else {}), **shape.fields}


def _has_json(command: click.Command) -> bool:
    return any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params)


# --- checking a document against its documented shape ------------------------------------


def problems_in(data: Any, words: tuple[str, ...]) -> list[str]:
    """Where ``data`` (a command's parsed JSON) departs from its documented shape."""
    shape, fields = COMMANDS[words], fields_of(words)
    found: list[str] = []
    if shape.top == "array":
        if not isinstance(data, list):
            return [f"a {type(data).__name__}, not an array"]
        for number, item in enumerate(data):
            _object(item, "", fields, found, f"[{number}]")
    else:
        _object(data, "", fields, found, "$")
    _reprs(data, found, "$")
    return found


def _object(value: Any, prefix: str, fields: dict[str, str], found: list[str], where: str) -> None:
    if not isinstance(value, dict):
        found.append(f"{where}: {value!r} is not an object")
        return
    expected = {p.removeprefix(prefix) for p in fields if p.startswith(prefix)}
    expected = {key for key in expected if "." not in key}
    if set(value) != expected:
        extra, missing = sorted(set(value) - expected), sorted(expected - set(value))
        found.append(f"{where}: undocumented keys {extra}, missing keys {missing}")
    for key in sorted(set(value) & expected):
        path = prefix + key
        _value(value[key], fields[path], path, fields, found, f"{where}.{key}")


def _value(
    value: Any, kind: str, path: str, fields: dict[str, str], found: list[str], where: str
) -> None:
    base = kind.removesuffix(" or null")
    if value is None:
        if base == kind:
            found.append(f"{where}: null, but the type is {kind}")
        return
    if base.startswith("array"):
        if not isinstance(value, list):
            found.append(f"{where}: {value!r} is not an array")
            return
        item = base.removeprefix("array").removeprefix(" of ")
        for number, element in enumerate(value):
            here = f"{where}[{number}]"
            if item == "object":
                _object(element, f"{path}[].", fields, found, here)
            elif item and not _is(element, item):
                found.append(f"{here}: {element!r} is not a {item}")
        return
    if base == "object":
        if not isinstance(value, dict):
            found.append(f"{where}: {value!r} is not an object")
        elif any(p.startswith(f"{path}.") for p in fields):
            _object(value, f"{path}.", fields, found, where)
        return
    if not _is(value, base):
        found.append(f"{where}: {value!r} is not a {base}")


def _is(value: Any, kind: str) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "time":
        return isinstance(value, str) and _utc(value)
    if kind == "date":
        return isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value) is not None
    if kind == "integer":
        return number and isinstance(value, int)
    if kind in {"number", "seconds"}:
        return number
    assert kind == "boolean", kind
    return isinstance(value, bool)


def _utc(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", text):
        return False
    return datetime.fromisoformat(text).utcoffset() == timedelta(0)


def _reprs(value: Any, found: list[str], where: str) -> None:
    if isinstance(value, str) and REPR.search(value):
        found.append(f"{where}: {value!r} looks like a Python repr")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reprs(key, found, where)
            _reprs(item, found, f"{where}.{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _reprs(item, found, f"{where}[{number}]")


# --- the commands, on the demo desk --------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build_demo(tmp_path_factory.mktemp("json"))


def _invoke(line: list[str]) -> click.testing.Result:
    return CliRunner().invoke(cli, line)


@pytest.mark.parametrize("words", list(COMMANDS), ids=[" ".join(w) for w in COMMANDS])
def test_every_listing_and_show_prints_its_documented_json(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)  # a command that writes works on a copy of its own here
    line = [*argv(words, demo, tmp_path), "--json"]
    if words == ("import",):
        line.append("--dry-run")
    result = _invoke(line)
    assert result.exit_code == 0, f"{' '.join(line)}:\n{result.output}"
    data = json.loads(result.stdout)  # one document, nothing around it
    assert data, f"the demo gives `{' '.join(words)}` something to print"
    problems = problems_in(data, words)
    assert not problems, "\n".join(problems)


def test_an_empty_listing_is_an_empty_array(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    ServiceDesk.open(f"sqlite:///{empty}", entry_points=False).close()
    for words in (
        ["cases"],
        ["queue"],
        ["audit"],
        ["route"],
        ["kb", "list"],
        ["kb", "search", "printer"],
        ["kb", "effectiveness"],
        ["kb", "suggestions"],
        ["problem", "list"],
        ["improve", "list"],
    ):
        result = _invoke(["--db", str(empty), *words, "--json"])
        assert result.exit_code == 0, result.output
        assert result.stdout == "[]\n", f"{' '.join(words)}: {result.stdout!r}"
    found = _invoke(["--db", str(empty), "problem", "candidates", "--json"])
    assert json.loads(found.stdout) == {"candidates": [], "unlinked": []}


def test_an_error_prints_no_json(demo: Demo) -> None:
    result = _invoke(["--db", str(demo.db), "case", "show", "NO-SUCH-CASE", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Error:" in result.stderr


def test_audit_takes_json_before_or_after_its_day(demo: Demo) -> None:
    day = demo.refusal_day.isoformat()
    after = _invoke(["--db", str(demo.db), "audit", day, "--json"])
    before = _invoke(["--db", str(demo.db), "audit", "--json", day])
    assert after.exit_code == before.exit_code == 0, after.output + before.output
    assert after.stdout == before.stdout
    assert json.loads(after.stdout), "the refusals of that day"


# --- every command that lists or shows has --json, documented -----------------------------


def test_every_command_has_json_or_a_reason_not_to() -> None:
    commands = dict(walk())
    with_json = {words for words, command in commands.items() if _has_json(command)}
    assert set(commands) - with_json == set(EXEMPT), "a new command: --json, or a reason"
    assert with_json == set(COMMANDS), "every command with --json is documented"


def test_every_documented_type_is_one_the_page_defines() -> None:
    types = [t for shape in OBJECTS.values() for t in shape.values()]
    types += [t for shape in COMMANDS.values() for t in shape.fields.values()]
    assert all(TYPE.match(t) for t in types), sorted({t for t in types if not TYPE.match(t)})
    for shape in COMMANDS.values():
        assert shape.top in {"array", "object"}
        assert shape.shared is None or shape.shared in OBJECTS


def _sections() -> dict[str, str]:
    """The page's ``###`` sections: heading to text."""
    parts = re.split(r"^### (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {
        heading: re.split(r"^## ", text, flags=re.MULTILINE)[0]
        for heading, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def _table(text: str) -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \|", text, flags=re.MULTILINE)
    return dict(rows)


def test_the_page_documents_the_same_fields() -> None:
    sections = _sections()
    objects = {
        m.group(1): text
        for heading, text in sections.items()
        if (m := re.fullmatch(r"The `(\w+)` object", heading))
    }
    commands = {
        tuple(m.group(1).split()): text
        for heading, text in sections.items()
        if (m := re.fullmatch(r"`serviceflow ([\w ]+)`", heading))
    }
    assert set(objects) == set(OBJECTS)
    for name, text in objects.items():
        assert _table(text) == OBJECTS[name], name
    assert set(commands) == set(COMMANDS)
    for words, text in commands.items():
        shape = COMMANDS[words]
        assert text.strip().startswith(f"**{shape.top.capitalize()}**"), words
        if shape.shared:
            assert f"(#the-{shape.shared}-object)" in text, words
        assert _table(text) == shape.fields, words


def test_the_page_examples_have_the_documented_shape() -> None:
    for heading, text in _sections().items():
        m = re.fullmatch(r"`serviceflow ([\w ]+)`", heading)
        if m is None:
            continue
        words = tuple(m.group(1).split())
        examples = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
        assert len(examples) == 1, f"{words}: one example"
        problems = problems_in(json.loads(examples[0]), words)
        assert not problems, f"{words}:\n" + "\n".join(problems)


def test_the_page_lists_the_exemptions() -> None:
    text = PAGE.read_text(encoding="utf-8").split("## Commands without `--json`")[1]
    listed = re.findall(r"^\| `serviceflow ([\w ]+)` \|", text, flags=re.MULTILINE)
    assert {tuple(words.split()) for words in listed} == set(EXEMPT)


# --- the helper -----------------------------------------------------------------------------


class _Colour(Enum):
    RED = "r"


@frozen
class _Row:
    at: datetime
    took: timedelta
    tags: frozenset[str]
    colour: _Colour


def test_the_helper_writes_times_in_utc_durations_in_seconds_and_no_repr() -> None:
    paris = timezone(timedelta(hours=1))
    row = _Row(
        datetime(2026, 3, 2, 10, tzinfo=paris), timedelta(minutes=90), frozenset("ba"), _Colour.RED
    )
    assert jsonable(row) == {
        "at": "2026-03-02T09:00:00+00:00",
        "took": 5400.0,
        "tags": ["a", "b"],
        "colour": "RED",
    }
    assert jsonable({"day": date(2026, 3, 2), "rate": float("nan")}) == {
        "day": "2026-03-02",
        "rate": None,
    }
    assert as_json({"name": "Zoë"}) == '{\n  "name": "Zoë"\n}'
    assert jsonable(datetime(2026, 3, 2, 9, tzinfo=UTC)) == "2026-03-02T09:00:00+00:00"
    with pytest.raises(TypeError, match="no JSON form"):
        jsonable(object())
