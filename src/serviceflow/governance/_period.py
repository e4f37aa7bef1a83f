"""The period a review covers (each cadence's rolling span), and what every check of one
review reads in it, worked out once: its KPIs and the cases open at its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from serviceflow.analytics._case_facts import CaseFacts, before, case_facts
from serviceflow.analytics._case_summary import decoded
from serviceflow.analytics._kpi_set import KpiReport
from serviceflow.analytics._metrics import kpis
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.domain._states import OPEN_STATES

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

PERIODS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
}
"""Each cadence and the rolling period its review covers."""


class Period:
    """What every check of one review reads, worked out once."""

    def __init__(self, desk: ServiceDesk, cadence: str, end: datetime) -> None:
        self.desk = desk
        self.cadence = cadence
        self.end = end
        self.start = end - PERIODS[cadence]
        self._report: KpiReport | None = None

    @property
    def report(self) -> KpiReport:
        if self._report is None:
            self._report = kpis(self.desk, start=self.start, end=self.end, by="priority")
        return self._report

    @cached_property
    def open_cases(self) -> list[tuple[CaseFacts, list[ev.Event]]]:
        """The cases open at the end of the period, as their events then said (a past
        review sees the past, not the cases as they are now)."""
        end = iso(self.end)
        histories = self.desk.store.histories(
            submitted_before=end, updated_since=end, or_states=OPEN_STATES
        )
        found = []
        for events in decoded(histories):
            history = list(before(events, self.end))
            if history:
                facts = case_facts(history)
                if facts.is_open:
                    found.append((facts, history))
        return found
