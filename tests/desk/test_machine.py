"""Stateful property test: any sequence of commands on the desk keeps every invariant.

Each command either applies or raises a documented ``ServiceflowError``; afterwards the
live state equals the replay of its events, sequences are contiguous, hash chains verify,
a refused command changed nothing, and a closed case accepts only reopen within the window.
Runs on the memory store and on SQLite.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from serviceflow import (
    ConcurrencyConflict,
    InvalidTransition,
    ManualClock,
    NotFound,
    Policy,
    ServiceDesk,
    ValidationError,
)
from serviceflow.domain._events import SlaBreached, SlaWarned
from serviceflow.rules._lifecycle import CLOSED
from serviceflow.rules._sla import decide_sla

from ..conftest import START
from ..rules.test_sla import policy as sla_policy

DOCUMENTED = (InvalidTransition, ValidationError, NotFound, ConcurrencyConflict)

texts = st.sampled_from(["", "ok", "Please check the invoice", "  "])
agents = st.sampled_from(["agent:kim", "agent:sam", "dev:raj"])
maybe = st.none() | st.just("nope")

COMMANDS: dict[str, Callable[[ServiceDesk, str, st.DataObject, list[str]], Any]] = {
    "classify": lambda d, c, data, _: d.classify(
        c,
        by="agent:kim",
        category=data.draw(st.sampled_from([None, "billing", "outage", "nope"])),
        kind=data.draw(st.sampled_from([None, "incident", "question", "nope"])),
    ),
    "prioritize": lambda d, c, data, _: d.prioritize(
        c,
        by="agent:kim",
        impact=data.draw(st.sampled_from([None, "high", "low", "huge"])),
        urgency=data.draw(st.sampled_from([None, "high", "medium"])),
        priority=data.draw(st.sampled_from([None, None, "critical", "p0"])),
        reason=data.draw(st.sampled_from([None, "escalated by lead"])),
    ),
    "assign": lambda d, c, data, _: d.assign(c, to=data.draw(agents), by="lead:ana"),
    "acknowledge": lambda d, c, data, _: d.acknowledge(c, by="agent:kim", message=data.draw(texts)),
    "reply": lambda d, c, data, _: d.reply(c, by="agent:kim", message=data.draw(texts)),
    "request_info": lambda d, c, data, _: d.request_info(
        c, by="agent:kim", message=data.draw(texts)
    ),
    "client_replied": lambda d, c, data, _: d.client_replied(c, message=data.draw(texts)),
    "resolve": lambda d, c, data, _: d.resolve(c, by="agent:kim", resolution=data.draw(texts)),
    "validate": lambda d, c, data, _: d.validate(c, by="qa:lee"),
    "reject": lambda d, c, data, _: d.reject(c, by="qa:lee", reason=data.draw(texts)),
    "confirm": lambda d, c, data, _: d.confirm(c),
    "close_case": lambda d, c, data, _: d.close_case(c),
    "reopen": lambda d, c, data, _: d.reopen(c, by="client:x", reason=data.draw(texts)),
    "cancel": lambda d, c, data, _: d.cancel(c, by="client:x", reason=data.draw(texts)),
    "note": lambda d, c, data, _: d.note(c, by="agent:kim", text=data.draw(texts)),
    "merge": lambda d, c, data, ids: d.merge(
        c, into=data.draw(st.sampled_from([*ids, "missing"])), by="agent:kim"
    ),
}


VALID: dict[str, Callable[[ServiceDesk, str, st.DataObject, list[str]], Any]] = {
    "classify": lambda d, c, data, _: d.classify(
        c, by="agent:kim", category="billing", kind="incident"
    ),
    "prioritize": lambda d, c, data, _: d.prioritize(
        c, by="agent:kim", impact="high", urgency="medium"
    ),
    "assign": lambda d, c, data, _: d.assign(c, to="agent:kim", by="lead:ana"),
    "acknowledge": lambda d, c, data, _: d.acknowledge(c, by="agent:kim", message="On it"),
    "request_info": lambda d, c, data, _: d.request_info(c, by="agent:kim", message="Which?"),
    "client_replied": lambda d, c, data, _: d.client_replied(c, message="This one"),
    "resolve": lambda d, c, data, _: d.resolve(c, by="agent:kim", resolution="Fixed"),
    "validate": lambda d, c, data, _: d.validate(c, by="qa:lee"),
    "reject": lambda d, c, data, _: d.reject(c, by="qa:lee", reason="Not fixed"),
    "confirm": lambda d, c, data, _: d.confirm(c),
    "close_case": lambda d, c, data, _: d.close_case(c),
    "reopen": lambda d, c, data, _: d.reopen(c, by="client:x", reason="Again"),
}
PROGRESS: dict[str, list[str]] = {
    "intake": ["classify"],
    "classified": ["prioritize"],
    "prioritized": ["assign"],
    "assigned": ["acknowledge"],
    "in_progress": ["request_info", "resolve", "resolve"],
    "waiting_on_client": ["client_replied"],
    "resolved": ["validate", "validate", "confirm", "reject", "reopen"],
    "validated": ["confirm", "confirm", "close_case", "reopen"],
    "closed": ["reopen"],
}


class DeskMachine(RuleBasedStateMachine):
    """Drives one desk with random commands, ticks of the clock and auto-confirm runs."""

    url_kind = "memory"
    policy: Policy | None = None

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="serviceflow-machine-")
        url = "memory://" if self.url_kind == "memory" else f"sqlite:///{self.folder}/desk.db"
        self.clock = ManualClock(START)
        self.desk = ServiceDesk.open(url, policy=self.policy, clock=self.clock, entry_points=False)
        self.ids: list[str] = []

    cases = Bundle("cases")

    @initialize(target=cases)
    def first_case(self) -> str:
        return self._submit("email", "billing")

    @rule(
        target=cases,
        channel=st.sampled_from(["email", "web", "fax"]),
        category=st.sampled_from([None, "billing", "outage"]),
    )
    def submit(self, channel: str, category: str | None) -> str:
        try:
            return self._submit(channel, category)
        except ValidationError:
            assert channel == "fax"
            return self.ids[0]

    def _submit(self, channel: str, category: str | None) -> str:
        case = self.desk.submit(
            requester="acme/jane@acme.test", channel=channel, subject="Help", category=category
        )
        self.ids.append(case.id)
        return case.id

    @rule(case_id=cases, name=st.sampled_from(sorted(COMMANDS)), data=st.data())
    def command(self, case_id: str, name: str, data: st.DataObject, valid: bool = False) -> None:
        before = self.desk.case(case_id)
        window = self.desk.policy.lifecycle.reopen_window
        try:
            after = (VALID if valid else COMMANDS)[name](self.desk, case_id, data, self.ids)
        except DOCUMENTED as exc:
            assert self.desk.case(case_id) == before, f"refused {name} changed the case: {exc}"  # noqa: PT017
            if before.state == CLOSED and name == "reopen" and isinstance(exc, InvalidTransition):
                assert before.closed_at is not None
                assert self.clock.now() - before.closed_at > window
            return
        assert after.version > before.version
        event(f"{name}: {before.state} -> {after.state}")
        if before.state == CLOSED:
            assert name == "reopen", f"a closed case accepted {name}"
            assert before.closed_at is not None
            assert self.clock.now() - before.closed_at <= window

    @rule(case_id=cases, data=st.data())
    def progress(self, case_id: str, data: st.DataObject) -> None:
        """Take a step along the lifecycle that should succeed, so deep states get explored."""
        state = self.desk.case(case_id).state
        options = PROGRESS.get(state)
        if options:
            self.command(case_id, data.draw(st.sampled_from(options)), data, valid=True)

    @rule(hours=st.integers(min_value=0, max_value=24 * 20))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    @rule()
    def auto_confirm(self) -> None:
        for case in self.desk.auto_confirm():
            assert case.state == CLOSED

    @precondition(lambda self: bool(self.ids))
    @invariant()
    def streams_are_sound(self) -> None:
        for case_id in self.ids:
            live = self.desk.case(case_id)
            history = self.desk.history(case_id)
            assert [r.seq for r in history] == list(range(1, live.version + 1))
            assert self.desk.replay(case_id) == live
            assert self.desk.verify(case_id).ok

    def teardown(self) -> None:
        self.desk.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class SQLiteDeskMachine(DeskMachine):
    url_kind = "sqlite"


class SlaDeskMachine(DeskMachine):
    """The same desk with service levels, where time passing fires warnings and breaches."""

    policy = sla_policy()

    @rule(hours=st.integers(min_value=1, max_value=8))
    def time_passes_and_tick(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        self.tick()

    @rule()
    def tick(self) -> None:
        for recorded in self.desk.tick():
            assert isinstance(recorded.event, SlaWarned | SlaBreached)
            event(f"tick fired {type(recorded.event).__name__}")
        now = self.clock.now()
        for case_id in self.ids:
            history = [r.event for r in self.desk.history(case_id)]
            left = decide_sla(history, self.desk.policy, now)
            assert left == [], f"tick left due SLA events unrecorded: {left}"

    @precondition(lambda self: bool(self.ids))
    @invariant()
    def sla_events_fire_once(self) -> None:
        for case_id in self.ids:
            fired = [
                (
                    type(r.event).__name__,
                    r.event.metric,
                    r.event.cycle,
                    getattr(r.event, "threshold", None),
                )
                for r in self.desk.history(case_id)
                if isinstance(r.event, SlaWarned | SlaBreached)
            ]
            assert len(fired) == len(set(fired)), fired


class SQLiteSlaDeskMachine(SlaDeskMachine):
    """With SQLite, ticks leave documents behind their rows: reads must catch them up."""

    url_kind = "sqlite"


def _budget(examples: int, steps: int) -> settings:
    """Runs of ``steps`` commands; SQLite gets fewer runs, as each command hits the disk."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


TestMemoryDesk = DeskMachine.TestCase
TestMemoryDesk.settings = _budget(80, 50)
TestSQLiteDesk = SQLiteDeskMachine.TestCase
TestSQLiteDesk.settings = _budget(30, 40)
TestSlaDesk = SlaDeskMachine.TestCase
TestSlaDesk.settings = _budget(60, 40)
TestSQLiteSlaDesk = SQLiteSlaDeskMachine.TestCase
TestSQLiteSlaDesk.settings = _budget(20, 40)

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
