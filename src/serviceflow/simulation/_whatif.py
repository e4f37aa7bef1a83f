"""What-if and validation of the simulated desk: two scenarios side by side, and Erlang C.

``compare`` runs two scenarios (or one and a variant made with
``Scenario.with_overrides``: staffing, routing strategy, SLA policy) with the same seed, so
both see the same demand, and lines up their KPIs with the deltas. ``erlang_check`` runs a
scenario that meets Erlang C's assumptions and sets its simulated service level beside the
formula's. See ``docs/simulation.md``.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import evolve, frozen

from serviceflow.analytics._kpi_set import KpiSet
from serviceflow.analytics._kpi_tables import sla_overall
from serviceflow.capacity._erlang import service_level
from serviceflow.domain.policy._sla import ALWAYS, FIRST_RESPONSE
from serviceflow.errors import ValidationError
from serviceflow.simulation._desk import simulate
from serviceflow.simulation._result import SimulationResult
from serviceflow.simulation._scenario import Scenario
from serviceflow.simulation._scenario_parts import DAYS

__all__ = [
    "ComparedKpi",
    "Comparison",
    "ErlangCheck",
    "compare",
    "compare_results",
    "erlang_check",
    "erlang_problems",
    "kpi_rows",
]


@frozen
class ComparedKpi:
    """One KPI of both runs: ``kind`` is ``count``, ``share`` or ``seconds``; ``better`` says
    which direction is good (``up``, ``down``, or ``""`` when neither)."""

    label: str
    kind: str
    a: float | None
    b: float | None
    better: str = ""

    @property
    def delta(self) -> float | None:
        """``b - a`` (``None`` when either is missing)."""
        return None if self.a is None or self.b is None else self.b - self.a


@frozen
class Comparison:
    """Two runs and their KPIs side by side."""

    a: SimulationResult
    b: SimulationResult
    rows: tuple[ComparedKpi, ...]

    def row(self, label: str) -> ComparedKpi:
        """The row called ``label``."""
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)


def kpi_rows(k: KpiSet) -> Iterator[tuple[str, str, float | None, str]]:
    """The KPIs a what-if compares: ``(label, kind, value, better)``."""
    yield "cases", "count", k.cases, ""
    yield "resolved", "count", k.resolved, "up"
    yield "SLA compliance", "share", sla_overall(k).value, "up"
    for c in k.sla:
        yield f"SLA {c.metric.replace('_', ' ')}", "share", c.rate, "up"
    yield "first response p50", "seconds", k.first_response.calendar.p50, "down"
    yield "first response p90", "seconds", k.first_response.calendar.p90, "down"
    yield "resolution p50", "seconds", k.resolution.calendar.p50, "down"
    yield "resolution p90", "seconds", k.resolution.calendar.p90, "down"
    yield "FCR", "share", k.fcr.value, "up"
    yield "reopened", "share", k.reopened.value, "down"
    yield "escalated", "share", k.escalated.value, "down"
    yield "backlog at end", "count", k.backlog.open, "down"
    yield "CSAT", "share", k.surveys.csat.value, "up"


def compare(
    a: Scenario, b: Scenario, *, url: str = "memory://", a_result: SimulationResult | None = None
) -> Comparison:
    """Run ``a`` and ``b`` with ``a``'s seed (each on its own fresh desk at ``url``,
    ``memory://`` by default) and line up their KPIs.

    ``a_result`` is a run of ``a`` already done (``serviceflow simulate --compare`` passes
    its own): ``a`` is then not run again, only ``b``. It must be a run of ``a`` (same
    name and seed)."""
    if a_result is not None and (a_result.scenario, a_result.seed) != (a.name, a.seed):
        raise ValidationError(
            "what-if",
            [
                f"a_result: a run of {a_result.scenario!r} seed {a_result.seed}, "
                f"not of {a.name!r} seed {a.seed}"
            ],
        )
    first = a_result if a_result is not None else simulate(a, url)
    second = simulate(evolve(b, seed=a.seed), url)
    return compare_results(first, second)


def compare_results(first: SimulationResult, second: SimulationResult) -> Comparison:
    """Line up the KPIs of two runs already done (``first`` is ``a``, ``second`` ``b``)."""
    left = {
        label: (kind, value, better) for label, kind, value, better in kpi_rows(first.kpis.overall)
    }
    right = {
        label: (kind, value, better) for label, kind, value, better in kpi_rows(second.kpis.overall)
    }
    labels = list(left) + [label for label in right if label not in left]
    rows = []
    for label in labels:
        kind, va, better = left.get(label) or (right[label][0], None, right[label][2])
        vb = right[label][1] if label in right else None
        rows.append(ComparedKpi(label, kind, va, vb, better))
    return Comparison(first, second, tuple(rows))


@frozen
class ErlangCheck:
    """A scenario's simulated service level beside Erlang C's for the same desk."""

    agents: int
    load: float
    handle_seconds: float
    target_seconds: float
    predicted: float
    simulated: float
    answered: int
    result: SimulationResult

    @property
    def difference(self) -> float:
        """Simulated minus predicted, in share points (0.02 is two percentage points)."""
        return self.simulated - self.predicted


def erlang_problems(scenario: Scenario) -> list[str]:
    """What keeps ``scenario`` from meeting Erlang C's assumptions, each with its path
    (empty when it meets them): a constant arrival rate over every hour of the week, one
    exponential handle time, agents who hold one case at a time and are always on shift,
    no scripted events, nobody asked for details, escalated or reopened, and a
    first-response target on the first service level."""
    problems = []
    arrivals = scenario.arrivals
    if len(set(arrivals.daily or (1.0,))) > 1:
        problems.append("$.arrivals.daily: Erlang C needs a constant rate over the 24 hours")
    days = {arrivals.weekly.get(day, 1.0) for day in DAYS}
    if len(days) > 1:
        problems.append(
            "$.arrivals.weekly: Erlang C needs a constant rate over the 7 days "
            "(a day left out weighs 1)"
        )
    handle = scenario.handle.default
    if handle.shape != "exponential":
        problems.append(
            f"$.handle.default.shape: Erlang C needs exponential handle times, got {handle.shape!r}"
        )
    for category, own in scenario.handle.category.items():
        if own != handle:
            problems.append(
                f"$.handle.category.{category}: Erlang C needs one handle time for every case"
            )
    agents = scenario.agent_ids()
    if len(agents) < 1:
        problems.append("$.agents: at least one agent")
    for i, group in enumerate(scenario.agents):
        if any(n != 1 for n in group.capacity.values()) or "*" not in group.capacity:
            problems.append(
                f"$.agents[{i}].capacity: Erlang C needs one case at a time "
                f'({{ "*" = 1 }}), got {dict(group.capacity)}'
            )
        if group.shift is not None:
            problems.append(
                f"$.agents[{i}].shift: Erlang C needs agents always on shift, got {group.shift!r}"
            )
    if scenario.events:
        problems.append("$.events: Erlang C has no bursts or absences")
    for name in ("needs_info", "escalate", "reopen"):
        value = getattr(scenario.chances, name)
        if value:
            problems.append(f"$.chances.{name}: Erlang C needs 0, got {value}")
    levels = scenario.desk_policy().sla
    target = levels[0].targets.get(FIRST_RESPONSE) if levels else None
    if target is None:
        problems.append("$.policy.sla[0].targets.first_response: the answer-time target")
    elif levels[0].calendar != ALWAYS:
        problems.append(
            f"$.policy.sla[0].calendar: Erlang C counts waiting around the clock: "
            f"{ALWAYS!r}, got {levels[0].calendar!r}"
        )
    return problems


def erlang_check(scenario: Scenario, *, url: str = "memory://") -> ErlangCheck:
    """Run ``scenario`` (flat arrivals, one agent group of capacity 1, a first-response
    target: see ``erlang.toml``) and compare its first-response SLA compliance (the share
    picked up within the target) with Erlang C's service level. A scenario that does not
    meet the formula's assumptions (``erlang_problems``) is refused with a
    ``ValidationError`` naming each one's path."""
    problems = erlang_problems(scenario)
    if problems:
        raise ValidationError(f"scenario {scenario.name!r} does not meet Erlang C", problems)
    agents = len(scenario.agent_ids())
    levels = scenario.desk_policy().sla
    target = levels[0].targets.get(FIRST_RESPONSE)
    assert target is not None
    handle = scenario.handle.default.mean.total_seconds()
    load = scenario.arrivals.per_week / (7 * 86400) * handle
    result = simulate(scenario, url)
    found = result.kpis.overall.compliance(FIRST_RESPONSE)
    decided = 0 if found is None else found.met + found.breached
    simulated = found.rate if found is not None and found.rate is not None else 0.0
    return ErlangCheck(
        agents=agents,
        load=load,
        handle_seconds=handle,
        target_seconds=target.within.total_seconds(),
        predicted=service_level(
            agents, load, handle_seconds=handle, answer_seconds=target.within.total_seconds()
        ),
        simulated=simulated,
        answered=decided,
        result=result,
    )
