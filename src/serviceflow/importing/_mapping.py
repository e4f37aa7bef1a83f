"""How a CSV event log maps onto serviceflow: the import mapping (TOML) and its checks.

A mapping names the file's columns (case id, time, state, priority, assignee, ...), how to
read them (delimiter, encoding, null markers, timestamp format, time zone), and tables that
turn the log's values into ours (``"3 - Moderate"`` → ``medium``, ``"Closed"`` → ``closed``).
Built-in mappings live in ``serviceflow/mappings/`` and are found by name
(``load_mapping("servicenow")``). See ``docs/import.md`` for every key.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, fields, frozen

from serviceflow.analytics._case_facts import OPENED_UNLOGGED, TIERS_LOGGED
from serviceflow.core._convert import structure_checked
from serviceflow.core._readonly import ReadOnlyMap, freeze_nested, read_only
from serviceflow.core._toml import load_toml, parse_toml
from serviceflow.domain._states import MERGED, STATES
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import METRICS, RESOLUTION
from serviceflow.errors import ValidationError

__all__ = [
    "BREACHED",
    "DEFAULT_KEYS",
    "ISO",
    "MET",
    "SKIP",
    "TARGET_STATES",
    "VALUE_KEYS",
    "ActorPrefixes",
    "Columns",
    "Defaults",
    "ImportMapping",
    "ImportOptions",
    "SourceFormat",
    "builtin_mappings",
    "check_against_policy",
    "load_mapping",
    "vocabulary",
]

SKIP = "skip"
"""A state value mapped to ``skip``: its rows are left out (counted, not an anomaly)."""
MET = "met"
BREACHED = "breached"
ISO = "iso"
"""The timestamp format that reads ISO 8601 (``2016-02-29T01:16``, with or without offset)."""

TARGET_STATES: tuple[str, ...] = tuple(s for s in STATES if s != MERGED)
"""Lifecycle states a row's state may map to (a merge needs a target the log cannot name)."""

VALUE_KEYS: tuple[str, ...] = (
    "state",
    "priority",
    "impact",
    "urgency",
    "channel",
    "category",
    "kind",
    "tier",
    "made_sla",
    "team",
    "resolution",
    "support_line",
)
"""Columns that may have a ``[values.<key>]`` table."""

_MAPPINGS = "mappings"


@frozen(kw_only=True)
class SourceFormat:
    """``[source]``: what the file is and how to read it."""

    name: str
    """The mapping's name; imported events are marked ``<name>:<file>:<line>``."""
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    null: tuple[str, ...] = ("",)
    """Values that mean "empty" (ServiceNow writes ``?``)."""
    timestamp: str = ISO
    """A ``strptime`` format (``%d/%m/%Y %H:%M``) or ``iso``."""
    timezone: str = "UTC"
    """The zone of times written without an offset; every instant is stored in UTC."""


@frozen(kw_only=True)
class Columns:
    """``[columns]``: which column of the file holds each fact (the first three required).
    Several keys may name one column."""

    case_id: str
    at: str
    state: str
    opened_at: str | None = None
    opened_by: str | None = None
    by: str | None = None
    requester: str | None = None
    channel: str | None = None
    subject: str | None = None
    description: str | None = None
    tier: str | None = None
    category: str | None = None
    kind: str | None = None
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    assignee: str | None = None
    team: str | None = None
    reopen_count: str | None = None
    made_sla: str | None = None
    resolution: str | None = None
    support_line: str | None = None
    """The support line (1st, 2nd, 3rd line): its values, through ``[values.support_line]``,
    name the policy's escalation tiers; a change of tier is an escalation."""
    fields: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    """Extra columns kept in the case's ``fields`` (our name → column), from its first row."""

    def named(self) -> dict[str, str]:
        """Every mapped key and its column (``fields`` excluded)."""
        named = ((key, getattr(self, key)) for key in _COLUMN_KEYS if key != "fields")
        return {key: column for key, column in named if column is not None}


@frozen(kw_only=True)
class Defaults:
    """``[defaults]``: values for facts the file does not give (or leaves empty), in our
    names; a row's value, then the case's, comes first (see ``docs/import.md``)."""

    requester: str | None = None
    channel: str | None = None
    subject: str | None = None
    description: str | None = None
    tier: str | None = None
    """``None``: the policy's tier for the requester's group (its default tier)."""
    category: str | None = None
    kind: str | None = None
    priority: str | None = None
    """Used when neither the log nor the policy's matrix gives a priority."""
    impact: str | None = None
    urgency: str | None = None
    assignee: str | None = None
    """The whole actor (``agent:desk``): the assignee prefix is not added."""
    team: str | None = None
    made_sla: str | None = None
    resolution: str | None = None
    actor: str | None = None
    """Who acted when the ``by`` column is empty or unmapped (default ``import:<name>``)."""

    def given(self) -> dict[str, str]:
        """Every column key with a default, and its value (``actor`` excluded)."""
        named = ((key, getattr(self, key)) for key in DEFAULT_KEYS)
        return {key: value for key, value in named if value is not None}


@frozen(kw_only=True)
class ActorPrefixes:
    """``[actors]``: prefixes that turn the log's names into actors (``agent:``)."""

    by: str = ""
    assignee: str = ""
    team: str = ""


@frozen(kw_only=True)
class ImportOptions:
    """``[options]``: how facts the lifecycle has no column for are recorded."""

    team_owns_unassigned: bool = False
    """When the assignee is empty, the team owns the case (assignee ``<team prefix><team>``)."""
    sla_metric: str = RESOLUTION
    """The SLA metric a ``made_sla`` breach is recorded against."""


@frozen(kw_only=True)
class ImportMapping:
    """A whole mapping file."""

    source: SourceFormat
    columns: Columns
    values: Mapping[str, Mapping[str, str]] = field(factory=ReadOnlyMap, converter=freeze_nested)
    defaults: Defaults = Defaults()
    actors: ActorPrefixes = ActorPrefixes()
    options: ImportOptions = ImportOptions()

    @property
    def name(self) -> str:
        """The mapping's name (``[source] name``)."""
        return self.source.name

    @property
    def actor(self) -> str:
        """Who acted when the log does not say."""
        return self.defaults.actor or f"import:{self.name}"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone of naive times in the file."""
        return ZoneInfo(self.source.timezone)


_COLUMN_KEYS: tuple[str, ...] = tuple(a.name for a in fields(Columns))
DEFAULT_KEYS: tuple[str, ...] = tuple(a.name for a in fields(Defaults) if a.name != "actor")
"""Column keys ``[defaults]`` may give: all but the required ones, times, actors (``by``,
``opened_by``: see ``actor``), the reopen counter and ``fields``."""


def builtin_mappings() -> tuple[str, ...]:
    """The names of the mappings shipped with serviceflow."""
    folder = resources.files("serviceflow.importing").joinpath(_MAPPINGS)
    return tuple(
        sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def load_mapping(source: str | Path | Mapping[str, Any]) -> ImportMapping:
    """A mapping from a built-in name (``"servicenow"``), a TOML file, or a mapping.

    Every problem is reported at once, each with its path, in one ``ValidationError``.
    """
    if isinstance(source, Mapping):
        return _from_mapping(source, where="import mapping")
    if not isinstance(source, str | Path):
        raise ValidationError(
            "cannot load an import mapping",
            [f"expected a name, a file path or a mapping, got {type(source).__name__}"],
        )
    data, where = _read(source)
    return _from_mapping(data, where=f"import mapping {where}")


def _read(source: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(source)
    if isinstance(source, str) and re.fullmatch(r"[A-Za-z0-9_-]+", source) and not path.exists():
        resource = resources.files("serviceflow.importing").joinpath(_MAPPINGS, f"{source}.toml")
        if not resource.is_file():
            raise ValidationError(
                f"no import mapping named {source!r}",
                [f"built in: {', '.join(builtin_mappings())}; or pass the path of a TOML file"],
            )
        where = repr(source)
        text = resource.read_text("utf-8")
        return parse_toml(text, f"import mapping {where} is not valid TOML"), where
    return load_toml(path, "import mapping"), str(path)


def _from_mapping(data: Mapping[str, Any], where: str) -> ImportMapping:
    mapping = structure_checked(data, ImportMapping, what=f"{where} is invalid")
    problems = list(_problems(mapping))
    if problems:
        raise ValidationError(f"{where} is invalid", problems)
    return mapping


def _problems(mapping: ImportMapping) -> Iterator[str]:
    """What types cannot say: known states and zones, tables for mapped columns only."""
    src = mapping.source
    if not src.name.strip():
        yield "$.source.name: required: a short name marks every imported event"
    elif not re.fullmatch(r"[A-Za-z0-9_.-]+", src.name):
        yield f"$.source.name: use letters, digits, '.', '_' or '-', got {src.name!r}"
    if len(src.delimiter) != 1:
        yield f"$.source.delimiter: expected one character, got {src.delimiter!r}"
    try:
        codecs.lookup(src.encoding)
    except LookupError:
        yield f"$.source.encoding: unknown encoding {src.encoding!r}"
    if src.timestamp != ISO and "%" not in src.timestamp:
        yield (
            f"$.source.timestamp: expected 'iso' or a strptime format like "
            f"'%d/%m/%Y %H:%M', got {src.timestamp!r}"
        )
    try:
        ZoneInfo(src.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield f"$.source.timezone: unknown time zone {src.timezone!r} (e.g. 'UTC', 'Europe/Lisbon')"
    yield from _column_problems(mapping)
    yield from _value_problems(mapping)
    yield from _default_problems(mapping)
    if mapping.options.sla_metric not in METRICS:
        yield (
            f"$.options.sla_metric: expected one of {', '.join(METRICS)}, "
            f"got {mapping.options.sla_metric!r}"
        )
    if mapping.options.team_owns_unassigned and mapping.columns.team is None:
        yield "$.options.team_owns_unassigned: needs $.columns.team"


def _column_problems(mapping: ImportMapping) -> Iterator[str]:
    columns, defaults = mapping.columns, mapping.defaults
    for key, column in columns.named().items():
        if not column.strip():
            yield f"$.columns.{key}: must name a column"
    for name, column in columns.fields.items():
        if not column.strip():
            yield f"{_key_path('$.columns.fields', name)}: must name a column"
    if OPENED_UNLOGGED in columns.fields:
        yield (
            f"$.columns.fields.{OPENED_UNLOGGED}: reserved (it marks the cases whose log "
            "gives no opening time)"
        )
    if columns.support_line is not None and TIERS_LOGGED in columns.fields:
        yield (
            f"$.columns.fields.{TIERS_LOGGED}: reserved when $.columns.support_line is mapped "
            "(it marks the cases whose log gives their escalations)"
        )
    if columns.category is not None and columns.kind is None and defaults.kind is None:
        yield (
            "$.defaults.kind: required when $.columns.category is mapped and $.columns.kind is not"
        )


def _default_problems(mapping: ImportMapping) -> Iterator[str]:
    """Blank defaults, a ``made_sla`` other than met or breached, two owners of nobody's rows."""
    defaults = mapping.defaults
    given = defaults.given()
    if defaults.actor is not None:
        given["actor"] = defaults.actor
    for key, value in given.items():
        if not value.strip():
            yield f"$.defaults.{key}: must not be blank"
    if defaults.made_sla is not None and defaults.made_sla not in (MET, BREACHED):
        yield f"$.defaults.made_sla: expected met or breached, got {defaults.made_sla!r}"
    if defaults.assignee is not None and mapping.options.team_owns_unassigned:
        yield (
            "$.defaults.assignee: cannot be used with $.options.team_owns_unassigned "
            "(both name the owner of a case whose row names nobody)"
        )


def _value_problems(mapping: ImportMapping) -> Iterator[str]:
    mapped = mapping.columns.named()
    for key in mapping.values:
        if key not in VALUE_KEYS:
            yield f"$.values.{key}: unknown column key (tables are for {', '.join(VALUE_KEYS)})"
        elif key not in mapped:
            yield f"$.values.{key}: $.columns.{key} is not mapped"
    states = mapping.values.get("state")
    if states is None:
        yield (
            "$.values.state: required: map every state of the log to a lifecycle state "
            f"({', '.join(TARGET_STATES)}) or 'skip'"
        )
    else:
        allowed = (*TARGET_STATES, SKIP)
        for raw, ours in states.items():
            if ours not in allowed:
                yield (
                    f"{_key_path('$.values.state', raw)}: expected one of "
                    f"{', '.join(allowed)}, got {ours!r}"
                )
    for raw, ours in mapping.values.get("made_sla", {}).items():
        if ours not in (MET, BREACHED):
            yield f"{_key_path('$.values.made_sla', raw)}: expected met or breached, got {ours!r}"


def vocabulary(policy: Policy) -> dict[str, tuple[str, ...]]:
    """The values the desk's policy knows for each column key that must use its names."""
    return {
        "priority": policy.priority.names,
        "impact": policy.priority.impacts,
        "urgency": policy.priority.urgencies,
        "channel": policy.channels,
        "kind": policy.kinds,
        "tier": tuple(t.name for t in policy.tiers),
        "made_sla": (MET, BREACHED),
    }


def check_against_policy(mapping: ImportMapping, policy: Policy) -> None:
    """Refuse a mapping whose values the desk's policy does not know (priorities, channels,
    impacts, urgencies, kinds, tiers), listing each with its path."""
    known = vocabulary(policy)
    problems: list[str] = []
    for key, names in known.items():
        for raw, ours in mapping.values.get(key, {}).items():
            if ours not in names:
                problems.append(
                    f"{_key_path(f'$.values.{key}', raw)}: {ours!r} is not {_a(key)} of the "
                    f"policy (expected one of {', '.join(names)})"
                )
    for key, value in mapping.defaults.given().items():
        if key in known and value not in known[key]:
            problems.append(
                f"$.defaults.{key}: {value!r} is not {_a(key)} of the policy "
                f"(expected one of {', '.join(known[key])})"
            )
    if problems:
        raise ValidationError(
            f"import mapping {mapping.name!r} does not fit the policy {policy.name!r} "
            f"(version {policy.version})",
            problems,
        )


def _a(noun: str) -> str:
    """``a priority``, ``an impact``."""
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _key_path(base: str, key: str) -> str:
    """``$.values.state.New``, or ``$.values.state['Awaiting User Info']`` for other keys."""
    return f"{base}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{base}[{key!r}]"
