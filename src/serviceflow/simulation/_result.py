"""What a simulation run gives: its counts, its KPIs and a digest of what it wrote.

Apart from the simpy desk (``_desk``), so a result can be read and compared without simpy.
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from serviceflow.analytics._kpi_set import KpiReport

__all__ = ["SimulationResult"]


@frozen
class SimulationResult:
    """What a run did: commands issued (by name), cases, ticks, the KPIs of the simulated
    period, the wall time, and a digest of every stream's head (equal runs, equal digest)."""

    scenario: str
    seed: int
    url: str
    start: datetime
    end: datetime
    cases: int
    commands: dict[str, int]
    refused: dict[str, int]
    ticks: int
    fired: int
    kpis: KpiReport
    wall_seconds: float
    digest: str

    @property
    def total_commands(self) -> int:
        """Every desk command the run issued (refused ones included)."""
        return sum(self.commands.values())

    @property
    def commands_per_second(self) -> float:
        """Desk commands per second of wall time (ticks and the KPI pass included)."""
        return self.total_commands / self.wall_seconds if self.wall_seconds else 0.0
