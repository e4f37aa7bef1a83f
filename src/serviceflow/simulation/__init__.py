"""Simulation: scenarios as data, the seeded simpy desk (the ``simulation`` extra, loaded on
first use), what-if comparison and the scripted demo day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.simulation._demo import DAY as DAY
    from serviceflow.simulation._demo import DEMO_POLICY as DEMO_POLICY
    from serviceflow.simulation._demo import DemoStep as DemoStep
    from serviceflow.simulation._demo import DemoSummary as DemoSummary
    from serviceflow.simulation._demo import demo_desk as demo_desk
    from serviceflow.simulation._demo import run_demo as run_demo
    from serviceflow.simulation._desk import QA as QA
    from serviceflow.simulation._desk import Progress as Progress
    from serviceflow.simulation._desk import Simulation as Simulation
    from serviceflow.simulation._desk import simulate as simulate
    from serviceflow.simulation._result import SimulationResult as SimulationResult
    from serviceflow.simulation._scenario import Scenario as Scenario
    from serviceflow.simulation._scenario import builtin_scenarios as builtin_scenarios
    from serviceflow.simulation._scenario import load_scenario as load_scenario
    from serviceflow.simulation._scenario_parts import DAYS as DAYS
    from serviceflow.simulation._scenario_parts import AgentGroup as AgentGroup
    from serviceflow.simulation._scenario_parts import Arrivals as Arrivals
    from serviceflow.simulation._scenario_parts import Chances as Chances
    from serviceflow.simulation._scenario_parts import ClientBehaviour as ClientBehaviour
    from serviceflow.simulation._scenario_parts import Duration as Duration
    from serviceflow.simulation._scenario_parts import HandleTimes as HandleTimes
    from serviceflow.simulation._scenario_parts import Mix as Mix
    from serviceflow.simulation._scenario_parts import ScriptedEvent as ScriptedEvent
    from serviceflow.simulation._whatif import ComparedKpi as ComparedKpi
    from serviceflow.simulation._whatif import Comparison as Comparison
    from serviceflow.simulation._whatif import ErlangCheck as ErlangCheck
    from serviceflow.simulation._whatif import compare as compare
    from serviceflow.simulation._whatif import compare_results as compare_results
    from serviceflow.simulation._whatif import erlang_check as erlang_check
    from serviceflow.simulation._whatif import erlang_problems as erlang_problems
    from serviceflow.simulation._whatif import kpi_rows as kpi_rows

_NAMES = {
    "AgentGroup": "serviceflow.simulation._scenario_parts",
    "Arrivals": "serviceflow.simulation._scenario_parts",
    "Chances": "serviceflow.simulation._scenario_parts",
    "ClientBehaviour": "serviceflow.simulation._scenario_parts",
    "ComparedKpi": "serviceflow.simulation._whatif",
    "Comparison": "serviceflow.simulation._whatif",
    "DAY": "serviceflow.simulation._demo",
    "DAYS": "serviceflow.simulation._scenario_parts",
    "DEMO_POLICY": "serviceflow.simulation._demo",
    "DemoStep": "serviceflow.simulation._demo",
    "DemoSummary": "serviceflow.simulation._demo",
    "Duration": "serviceflow.simulation._scenario_parts",
    "ErlangCheck": "serviceflow.simulation._whatif",
    "HandleTimes": "serviceflow.simulation._scenario_parts",
    "Mix": "serviceflow.simulation._scenario_parts",
    "Progress": "serviceflow.simulation._desk",
    "QA": "serviceflow.simulation._desk",
    "Scenario": "serviceflow.simulation._scenario",
    "ScriptedEvent": "serviceflow.simulation._scenario_parts",
    "Simulation": "serviceflow.simulation._desk",
    "SimulationResult": "serviceflow.simulation._result",
    "builtin_scenarios": "serviceflow.simulation._scenario",
    "compare": "serviceflow.simulation._whatif",
    "compare_results": "serviceflow.simulation._whatif",
    "demo_desk": "serviceflow.simulation._demo",
    "erlang_check": "serviceflow.simulation._whatif",
    "erlang_problems": "serviceflow.simulation._whatif",
    "kpi_rows": "serviceflow.simulation._whatif",
    "load_scenario": "serviceflow.simulation._scenario",
    "run_demo": "serviceflow.simulation._demo",
    "simulate": "serviceflow.simulation._desk",
}
"""Each public name and the module that defines it, imported on first use."""

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

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
