"""A simulated desk as data: a TOML scenario of demand, people, behaviour and policy.

A scenario says who asks (arrivals per hour with weekly and daily profiles, the mix of
channels, categories, kinds, impact, urgency and tiers), who answers (groups of agents with
skills, shifts and capacities), how long the work takes (handle-time distributions), how
clients behave (reply delays, confirmations, reopens, surveys), which desk policy is in
force, and scripted events for training (a burst of critical cases, an agent away).
``serviceflow.simulation`` runs it; the shipped scenarios are in ``serviceflow/scenarios``.
See ``docs/simulation.md`` for every key.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import evolve, field, frozen

from serviceflow.core._convert import structure_checked
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.core._toml import Refusal, load_toml, parse_toml
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import PolicyError, ValidationError
from serviceflow.simulation._scenario_parts import (
    DAYS,
    EVENT_KEYS,
    EVENT_KINDS,
    AgentGroup,
    Arrivals,
    Chances,
    ClientBehaviour,
    Duration,
    HandleTimes,
    Mix,
    ScriptedEvent,
    arrival_problems,
    duration_problems,
    instant_of,
    set_fields,
    staffed,
    weight_problems,
)

# The parts too: this module is 0.1's ``serviceflow.scenario``, which exported them (until 0.3).
__all__ = [
    "DAYS",
    "AgentGroup",
    "Arrivals",
    "Chances",
    "ClientBehaviour",
    "Duration",
    "HandleTimes",
    "Mix",
    "Scenario",
    "ScriptedEvent",
    "builtin_scenarios",
    "load_scenario",
]

_SCENARIOS = "scenarios"


@frozen(kw_only=True)
class Scenario:
    """A whole scenario (see the module docstring); ``policy`` is the desk's policy as a
    mapping (the default's sections for what it leaves out)."""

    name: str
    seed: int = 1
    start: datetime
    duration: timedelta = timedelta(days=7)
    zone: str = "UTC"
    description: str = ""
    tick_every: timedelta = timedelta(minutes=5)
    arrivals: Arrivals
    mix: Mix = field(factory=Mix)
    handle: HandleTimes = field(factory=HandleTimes)
    client: ClientBehaviour = field(factory=ClientBehaviour)
    chances: Chances = field(factory=Chances)
    agents: tuple[AgentGroup, ...] = ()
    shifts: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        factory=ReadOnlyMap, converter=read_only
    )
    events: tuple[ScriptedEvent, ...] = ()
    policy: Mapping[str, Any] = field(factory=ReadOnlyMap, converter=read_only)

    @property
    def end(self) -> datetime:
        """The end of the simulated period."""
        return self.start + self.duration

    @property
    def tz(self) -> ZoneInfo:
        """The scenario's time zone (arrival profiles and ``"fri 16:55"`` times use it)."""
        return ZoneInfo(self.zone)

    def agent_ids(self) -> tuple[str, ...]:
        """Every simulated agent's id, in group order."""
        return tuple(a for group in self.agents for a in group.agent_ids())

    def instant(self, event: ScriptedEvent) -> datetime:
        """When a scripted event happens."""
        return instant_of(event.at, self.start, self.tz)

    def desk_policy(self) -> Policy:
        """The policy the simulated desk runs: the scenario's, with its agents and shifts,
        and intake automation on (the submission is trusted, prioritized by the matrix
        and routed by the desk's queues)."""
        return load_policy(self.policy_mapping())

    def policy_mapping(self) -> dict[str, Any]:
        """``desk_policy`` as a mapping, before it is checked."""
        data: dict[str, Any] = _plain(self.policy)
        calendars = dict(data.get("calendars") or {})
        for name, week in self.shifts.items():
            calendars[name] = {"zone": self.zone, "week": {d: list(v) for d, v in week.items()}}
        data["calendars"] = calendars
        agents = list(data.get("agents") or [])
        for group in self.agents:
            for agent_id in group.agent_ids():
                agent: dict[str, Any] = {
                    "id": agent_id,
                    "teams": list(group.teams),
                    "skills": dict(group.skills),
                    "languages": list(group.languages),
                    "tiers": list(group.tiers),
                    "capacity": dict(group.capacity),
                }
                if group.shift is not None:
                    agent["calendar"] = group.shift
                agents.append(agent)
        data["agents"] = agents
        automation = dict(data.get("automation") or {})
        automation.update(classify=True, trust_intake=True, prioritize=True, route=True)
        data["automation"] = automation
        return data

    def with_overrides(
        self,
        *,
        staffing: float | None = None,
        strategy: str | None = None,
        policy: Mapping[str, Any] | None = None,
        seed: int | None = None,
        name: str | None = None,
    ) -> Scenario:
        """A what-if variant: every group's agents times ``staffing``, every queue routed by
        ``strategy``, ``policy`` sections laid over the scenario's (an ``sla`` list replaces
        the service levels), another ``seed``.

        A group of ``count`` agents gets ``count × staffing`` rounded half up (2.5 → 3), at
        least one. A group given by ``ids`` keeps its first that many ids; it cannot grow
        (ids are not invented): a factor that would grow it is refused. An ``absent`` event
        for an agent left out is then refused by the scenario's checks.
        """
        changed = self
        if staffing is not None:
            changed = evolve(changed, agents=staffed(self.agents, staffing))
        data = _plain(changed.policy)
        if policy is not None:
            data.update(_plain(policy))
        if strategy is not None:
            queues = list(data.get("queues") or []) or [{"name": "everything"}]
            data["queues"] = [{**q, "strategy": strategy} for q in queues]
        label = name or _variant_name(self.name, staffing, strategy, policy)
        changed = evolve(changed, policy=data, name=label)
        if seed is not None:
            changed = evolve(changed, seed=seed)
        return check_scenario(changed)


def _variant_name(
    base: str, staffing: float | None, strategy: str | None, policy: Mapping[str, Any] | None
) -> str:
    parts = [base]
    if staffing is not None:
        parts.append(f"staffing×{staffing:g}")
    if strategy is not None:
        parts.append(f"routing {strategy}")
    if policy:
        parts.append("policy " + "+".join(sorted(policy)))
    return ", ".join(parts)


def _plain(value: Any) -> Any:
    """Read-only mappings and tuples back to dicts and lists (for the policy loader)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def builtin_scenarios() -> tuple[str, ...]:
    """The names of the scenarios shipped with serviceflow."""
    folder = resources.files("serviceflow.simulation").joinpath(_SCENARIOS)
    return tuple(
        sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """A scenario from a built-in name (``"week"``), a TOML file, or a mapping.

    ``policy_file`` is read relative to the scenario file, and its ``[policy]`` table is
    laid over it section by section. Every problem is reported at once, each with its path,
    in one ``ValidationError``.
    """
    if isinstance(source, Mapping):
        return _from_mapping(source, "scenario", None)
    if not isinstance(source, str | Path):
        raise ValidationError(
            "cannot load a scenario",
            [f"expected a name, a file path or a mapping, got {type(source).__name__}"],
        )
    data, where, folder = _read(source)
    return _from_mapping(data, f"scenario {where}", folder)


def _read(source: str | Path) -> tuple[dict[str, Any], str, Path | None]:
    path = Path(source)
    if isinstance(source, str) and re.fullmatch(r"[A-Za-z0-9_-]+", source) and not path.exists():
        resource = resources.files("serviceflow.simulation").joinpath(_SCENARIOS, f"{source}.toml")
        if not resource.is_file():
            raise ValidationError(
                f"no scenario named {source!r}",
                [f"built in: {', '.join(builtin_scenarios())}; or pass the path of a TOML file"],
            )
        where = repr(source)
        text = resource.read_text("utf-8")
        return parse_toml(text, f"scenario {where} is not valid TOML"), where, None
    return load_toml(path, "scenario"), str(path), path.parent


def _from_mapping(data: Mapping[str, Any], where: str, folder: Path | None) -> Scenario:
    data = dict(data)
    policy_file = data.pop("policy_file", None)
    if policy_file is not None:
        if not isinstance(policy_file, str):
            raise ValidationError(f"{where} is invalid", ["$.policy_file: expected a file path"])
        path = Path(policy_file)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        base = load_toml(path, "policy file", error=_under_policy_file(where))
        inline = data.get("policy") or {}
        data["policy"] = {**base, **inline} if isinstance(inline, Mapping) else inline
    scenario = structure_checked(data, Scenario, what=f"{where} is invalid")
    events = data.get("events")
    given = [tuple(e) for e in events] if isinstance(events, list) else []
    problems = list(_problems(scenario, given))
    if problems:
        raise ValidationError(f"{where} is invalid", problems)
    return scenario


def _under_policy_file(where: str) -> Refusal:
    """A file refusal reported as a problem of the scenario, at ``$.policy_file``."""

    def refuse(heading: str, problems: list[str]) -> ValidationError:
        return ValidationError(
            f"{where} is invalid", [f"$.policy_file: {heading}: {p}" for p in problems]
        )

    return refuse


def check_scenario(scenario: Scenario) -> Scenario:
    """Run the checks types cannot express on a scenario built in code; return it if sound."""
    problems = list(_problems(scenario))
    if problems:
        raise ValidationError(f"scenario {scenario.name!r} is invalid", problems)
    return scenario


def _problems(s: Scenario, event_keys: Sequence[Collection[str]] = ()) -> Iterator[str]:
    """What types cannot say: a Monday start, known names, weights and chances in range.

    ``event_keys`` are the keys each scripted event was given in (from a file or mapping);
    for a scenario built in code, the fields that differ from their defaults count."""
    if not s.name.strip():
        yield "$.name: required: a short label for reports"
    try:
        zone = ZoneInfo(s.zone)
    except (ZoneInfoNotFoundError, ValueError):
        yield f"$.zone: unknown time zone {s.zone!r}"
        return
    if s.start.astimezone(zone).weekday() != 0:
        yield f"$.start: must be a Monday (in {s.zone}), got {s.start.astimezone(zone):%A}"
    if s.duration <= timedelta(0):
        yield "$.duration: must be above 0"
    if s.tick_every < timedelta(seconds=1):
        yield "$.tick_every: must be at least 1s"
    yield from arrival_problems(s.arrivals)
    for name in ("reply_after", "confirm_after", "reopen_after", "survey_after"):
        yield from duration_problems(f"$.client.{name}", getattr(s.client, name))
    yield from duration_problems("$.handle.default", s.handle.default)
    for category, dist in s.handle.category.items():
        yield from duration_problems(f"$.handle.category.{category}", dist)
    for name in ("needs_info", "escalate", "reopen", "confirm", "survey"):
        value = getattr(s.chances, name)
        if not 0.0 <= value <= 1.0:
            yield f"$.chances.{name}: must be between 0 and 1, got {value}"
    if s.chances.reopen >= 1.0:
        yield "$.chances.reopen: must be below 1 (every resolution would be reopened)"
    for score in s.chances.csat:
        if score not in {"1", "2", "3", "4", "5"}:
            yield f"$.chances.csat.{score}: a CSAT score is 1 to 5"
    yield from weight_problems("$.chances.csat", s.chances.csat, required=True)
    if s.mix.requesters < 1:
        yield "$.mix.requesters: must be at least 1"
    yield from _agent_problems(s)
    for day in (d for week in s.shifts.values() for d in week):
        if day not in DAYS:
            yield f"$.shifts: unknown day {day!r}; expected one of {', '.join(DAYS)}"
    for i, event in enumerate(s.events):
        keys = event_keys[i] if i < len(event_keys) else set_fields(event)
        yield from _event_problems(f"$.events[{i}]", event, s, zone, keys)
    try:
        policy = s.desk_policy()
    except PolicyError as exc:
        yield from _policy_problems(s, exc.problems)
        return
    yield from _mix_problems(s, policy)
    yield from _skill_problems(s, policy)


_AGENT_PATH = re.compile(r"^\$\.agents\[(\d+)\](.*)$", re.DOTALL)


def _policy_problems(s: Scenario, problems: Sequence[str]) -> Iterator[str]:
    """The desk policy's problems under ``$.policy``, except those of the agents the
    scenario's groups add: these are reported once per group, at the group's path."""
    own = len(_plain(s.policy).get("agents") or [])
    group_of = [i for i, group in enumerate(s.agents) for _ in group.agent_ids()]
    seen: set[str] = set()
    for problem in problems:
        found = _AGENT_PATH.match(problem)
        index = int(found[1]) - own if found else -1
        if found and 0 <= index < len(group_of):
            line = f"$.agents[{group_of[index]}]{found[2]}"
        else:
            line = f"$.policy: {problem}"
        if line not in seen:
            seen.add(line)
            yield line


def _skill_problems(s: Scenario, policy: Policy) -> Iterator[str]:
    """Skills no routing asks for: the policy's categories (what a ``skill`` queue
    requires) and the skills its queues name are all the desk knows."""
    known = sorted(
        {c.name for c in policy.categories} | {k for q in policy.queues for k in q.skills}
    )
    for i, group in enumerate(s.agents):
        for skill in group.skills:
            if skill not in known:
                options = ", ".join(known) or "none"
                yield (
                    f"$.agents[{i}].skills.{skill}: unknown skill; the policy's categories and "
                    f"queue skills are: {options}"
                )


def _agent_problems(s: Scenario) -> Iterator[str]:
    seen: set[str] = set()
    for i, group in enumerate(s.agents):
        path = f"$.agents[{i}]"
        if group.count < 0:
            yield f"{path}.count: must not be negative, got {group.count}"
        if group.count and group.ids:
            yield f"{path}: give either count or ids, not both"
        if group.shift is not None and group.shift not in s.shifts:
            calendars = s.policy.get("calendars") or {}
            if group.shift not in calendars:
                known = sorted({*s.shifts, *calendars})
                yield f"{path}.shift: no shift or policy calendar {group.shift!r} (known: {known})"
        for agent_id in group.agent_ids():
            if agent_id in seen:
                yield f"{path}: agent {agent_id!r} is in more than one group"
            seen.add(agent_id)


def _event_problems(
    path: str, event: ScriptedEvent, s: Scenario, zone: ZoneInfo, keys: Collection[str]
) -> Iterator[str]:
    if event.kind not in EVENT_KINDS:
        yield f"{path}.kind: expected one of {', '.join(EVENT_KINDS)}, got {event.kind!r}"
    else:
        takes = EVENT_KEYS[event.kind]
        for key in keys:
            if key not in takes:
                yield (
                    f"{path}.{key}: not a key of {event.kind!r} events, which take "
                    f"{', '.join(takes)}"
                )
    try:
        when = instant_of(event.at, s.start, zone)
    except ValueError:
        yield f"{path}.at: expected an ISO date-time or a time like 'fri 16:55', got {event.at!r}"
    else:
        if not s.start <= when < s.end:
            yield f"{path}.at: {when.isoformat()} is outside the run"
    if event.kind == "burst" and event.count < 1:
        yield f"{path}.count: a burst has at least one case"
    if event.kind == "absent" and event.agent not in s.agent_ids():
        yield f"{path}.agent: not a simulated agent: {event.agent!r}"


def _mix_problems(s: Scenario, policy: Policy) -> Iterator[str]:
    known = {
        "channel": policy.channels,
        "category": tuple(c.name for c in policy.categories),
        "kind": policy.kinds,
        "impact": policy.priority.impacts,
        "urgency": policy.priority.urgencies,
        "tier": tuple(t.name for t in policy.tiers),
    }
    for name, allowed in known.items():
        weights: Mapping[str, float] = getattr(s.mix, name)
        for value in weights:
            if value not in allowed:
                yield f"$.mix.{name}.{value}: unknown {name}; expected one of {', '.join(allowed)}"
        yield from weight_problems(f"$.mix.{name}", weights)
    if not s.mix.channel:
        yield "$.mix.channel: at least one channel"
    for category in s.handle.category:
        if category not in known["category"]:
            yield f"$.handle.category.{category}: unknown category"
    for i, event in enumerate(s.events):
        if event.kind != "burst":
            continue
        checks: dict[str, str | None] = {
            "category": event.category,
            "case_kind": event.case_kind,
            "channel": event.channel,
            "impact": event.impact,
            "urgency": event.urgency,
            "tier": event.tier,
        }
        for name, given in checks.items():
            allowed = known["kind" if name == "case_kind" else name]
            if given is not None and given not in allowed:
                yield f"$.events[{i}].{name}: expected one of {', '.join(allowed)}, got {given!r}"
