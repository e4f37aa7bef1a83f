"""What an import keeps while it runs: each case's track, the row-skip signal, and what a
row's plan reads of the run."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Protocol

from serviceflow.analytics._case_facts import CaseFacts
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import GENESIS
from serviceflow.domain.policy._policy import Policy
from serviceflow.importing._mapping import ImportMapping
from serviceflow.importing._source import Column


class Track:
    """What the import knows of one case it touched (the only per-case memory it keeps)."""

    __slots__ = (
        "breached",
        "case",
        "facts",
        "head",
        "indexed",
        "last_at",
        "pending",
        "priority_logged",
        "reopens",
        "team",
        "version",
    )

    def __init__(self) -> None:
        self.case: Case | None = None
        self.version = 0
        """The version stored (or, in a dry run, planned) at the end of the last batch."""
        self.head = GENESIS
        self.indexed: tuple[str | None, ...] | None = None
        self.pending: list[ev.Event] = []
        self.last_at: datetime | None = None
        self.reopens: int | None = None
        self.breached = False
        self.priority_logged = False
        """Whether the case's priority was the log's: a derived one never replaces it."""
        self.team: str | None = None
        """The queue of the case's last assignment that named one (its team)."""
        self.facts: CaseFacts | None = None
        """The case's KPI facts so far, kept with each batch so reports need not work
        them out again from the events (see ``kept_facts``)."""


class Skip(Exception):  # noqa: N818 - internal signal: the row cannot be planned
    """The row cannot be planned; ``problem`` says why (an anomaly, the row skipped)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class Run(Protocol):
    """What a row's plan reads from the import's run, and the counts it adds to."""

    columns: dict[str, Column]
    mapping: ImportMapping
    policy: Policy
    version: str
    prefix: str
    fields: list[tuple[str, int]]
    nulls: frozenset[str]
    paths: dict[tuple[str, str], tuple[str, ...]]
    reopen_counted: bool
    dirty: dict[str, Track]
    events: Counter[str]
    rows_imported: int
    rows_unchanged: int
    cases_created: int

    def text(self, key: str, row: list[str]) -> str | None: ...

    def time(self, key: str, row: list[str]) -> datetime | None: ...

    def note_anomaly(self, problem: str, line: int, *, skipped: bool) -> None: ...
