"""Simulation: scenarios as data, the seeded simpy desk (the ``simulation`` extra, loaded on
first use), what-if comparison and the scripted demo day.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from serviceflow.simulation._demo import (
    DAY,
    DEMO_POLICY,
    DemoStep,
    DemoSummary,
    demo_desk,
    run_demo,
)
from serviceflow.simulation._result import SimulationResult
from serviceflow.simulation._scenario import Scenario, builtin_scenarios, load_scenario
from serviceflow.simulation._scenario_parts import (
    DAYS,
    AgentGroup,
    Arrivals,
    Chances,
    ClientBehaviour,
    Duration,
    HandleTimes,
    Mix,
    ScriptedEvent,
)

if TYPE_CHECKING:
    from serviceflow.simulation._desk import QA, Progress, Simulation, simulate
    from serviceflow.simulation._whatif import (
        ComparedKpi,
        Comparison,
        ErlangCheck,
        compare,
        compare_results,
        erlang_check,
        erlang_problems,
        kpi_rows,
    )

_LAZY = {
    "Progress": "serviceflow.simulation._desk",
    "QA": "serviceflow.simulation._desk",
    "Simulation": "serviceflow.simulation._desk",
    "simulate": "serviceflow.simulation._desk",
    "ComparedKpi": "serviceflow.simulation._whatif",
    "Comparison": "serviceflow.simulation._whatif",
    "ErlangCheck": "serviceflow.simulation._whatif",
    "compare": "serviceflow.simulation._whatif",
    "compare_results": "serviceflow.simulation._whatif",
    "erlang_check": "serviceflow.simulation._whatif",
    "erlang_problems": "serviceflow.simulation._whatif",
    "kpi_rows": "serviceflow.simulation._whatif",
}
"""Names whose module needs an optional extra (``_whatif`` runs the simpy desk): imported
on first use."""

__all__ = [
    "DAY",
    "DAYS",
    "DEMO_POLICY",
    "QA",
    "AgentGroup",
    "Arrivals",
    "Chances",
    "ClientBehaviour",
    "ComparedKpi",
    "Comparison",
    "DemoStep",
    "DemoSummary",
    "Duration",
    "ErlangCheck",
    "HandleTimes",
    "Mix",
    "Progress",
    "Scenario",
    "ScriptedEvent",
    "Simulation",
    "SimulationResult",
    "builtin_scenarios",
    "compare",
    "compare_results",
    "demo_desk",
    "erlang_check",
    "erlang_problems",
    "kpi_rows",
    "load_scenario",
    "run_demo",
    "simulate",
]


def __getattr__(name: str) -> object:
    """Import a name of an optional extra's module when it is first used."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
