"""The notifier contract: the checks every ``notify`` plugin passes through a real desk's outbox.

A notifier author subclasses ``NotifierContract`` in a test module, gives an ``endpoint``
fixture (the real server the notifier talks to) and says how to make the notifier, how to
make the server refuse or accept, and what it took. The checks then run a desk on SQLite:
a message is delivered once under the notifier's name; a refusal undoes nothing, waits for
its backoff and is retried; a message refused every time is dead-lettered until an operator
retries it; the installed entry point changes nothing unconfigured, delivers configured, and
stops a misconfigured desk from opening. The helpers (``open_desk``, ``acknowledged_case``,
``notifier_name``, ``run_installed``) serve a notifier's own desk-level tests. Imports no
pytest: the contract's tests ask pytest for their fixtures by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from attrs import frozen

from serviceflow.clock import ManualClock
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain.policy._policy import Policy
from serviceflow.eventlog._outbox import DeliveryReport, notifier_names
from serviceflow.plugins._manager import ENTRY_POINT_GROUP
from serviceflow.testing.policies import build_policy

__all__ = [
    "FIRST_RETRY",
    "MAX_ATTEMPTS",
    "START",
    "Installed",
    "NotifierContract",
    "acknowledged_case",
    "contract_policy",
    "notifier_name",
    "open_desk",
    "run_installed",
]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Where the desks of ``open_desk`` start: Monday 2 March 2026, 09:00 UTC."""
FIRST_RETRY = timedelta(seconds=30)
"""How long a refused message waits before its next attempt (the contract's policy)."""
MAX_ATTEMPTS = 2
"""Attempts before the contract's policy dead-letters a message: the second refusal does it."""

S = TypeVar("S")

_SCRIPT = """
import json
from datetime import UTC, datetime
from serviceflow.clock import ManualClock
from serviceflow.desk import ServiceDesk

with ServiceDesk.open("memory://", clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) as d:
    case = d.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice")
    d.classify(case.id, category="billing", kind="incident", by="agent:kim")
    d.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    d.assign(case.id, to="agent:kim", by="lead:ana")
    d.acknowledge(case.id, by="agent:kim", message="On it")
    (sent,) = d.store.outbox()
    print(json.dumps({"status": sent.status, "delivered_to": list(sent.delivered_to)}))
"""


def contract_policy() -> Policy:
    """The default policy with quick retries: ``FIRST_RETRY`` apart, ``MAX_ATTEMPTS`` at most."""
    return build_policy(
        delivery={
            "first_retry": f"{FIRST_RETRY.total_seconds():g}s",
            "factor": 2.0,
            "max_delay": "1h",
            "max_attempts": MAX_ATTEMPTS,
        }
    )


def open_desk(
    where: Path,
    *notifiers: object,
    clock: ManualClock | None = None,
    policy: Policy | None = None,
) -> ServiceDesk:
    """A desk on a new SQLite file in ``where`` with ``notifiers`` and no entry points, so they
    are the only notifiers besides the built-in log notifier; its clock starts at ``START``."""
    return ServiceDesk.open(
        f"sqlite:///{where / 'desk.db'}",
        policy=policy,
        clock=clock if clock is not None else ManualClock(START),
        plugins=notifiers,
        entry_points=False,
    )


def acknowledged_case(desk: ServiceDesk, message: str = "We are looking at your invoice.") -> str:
    """The id of a case walked to its acknowledgement: one client message, to Jane Doe at
    ``jane@acme.test``, with ``message`` as its text."""
    case = desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject="Invoice wrong",
        fields={"name": "Jane Doe"},
    )
    desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message=message)
    return case.id


def notifier_name(desk: ServiceDesk, notifier: object) -> str:
    """The name ``desk``'s outbox records for ``notifier`` in ``delivered_to``: its registered
    name, or its class's dotted path when it was registered without one."""
    name = desk.plugins.get_name(notifier)
    if name is None or name == str(id(notifier)):
        name = f"{type(notifier).__module__}.{type(notifier).__qualname__}"
    names = [known for known, _ in notifier_names(desk.plugins)]
    assert name in names, f"{notifier!r} is no notifier on this desk (notifiers: {names})"
    return name


@frozen
class Installed:
    """How a desk in another process went: its exit code, its stderr and, when it ran, the
    status of its one message and the notifiers that took it."""

    returncode: int
    stderr: str
    status: str = ""
    delivered_to: tuple[str, ...] = ()


def run_installed(environ: Mapping[str, str], *, clear: str) -> Installed:
    """Acknowledge one case on a desk in a new Python process that loads the installed entry
    points, with ``environ`` in place of every variable starting with ``clear``."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(clear)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env={**kept, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return Installed(done.returncode, done.stderr)
    sent = json.loads(done.stdout)
    return Installed(0, done.stderr, sent["status"], tuple(sent["delivered_to"]))


class NotifierContract(Generic[S]):
    """Subclass me (in a module pytest collects, with a ``Test`` name) to check a notifier.

    What a subclass gives, ``S`` being its server's type:

    * an ``endpoint`` fixture: the real server the notifier sends to, started and stopped;
    * ``make_notifier(endpoint)``: a notifier sending there, quick to give up (a refusal must
      end the attempt); closed after each test when it has a ``close()`` method;
    * ``refuse(endpoint)`` and ``accept(endpoint)``: the server refuses every message from
      then on, or takes them again;
    * ``taken(endpoint)``: the idempotency keys of the messages the server took, in order;
    * ``entry_point``, ``variables`` (the prefix of its environment variables), and
      ``environment(endpoint)``: the variables that point the installed entry point there;
    * ``misconfigured``: variables that must stop a desk from opening, with a ``PluginError``
      whose text holds each of ``misconfigured_says``.

    The entry-point checks run a desk in another process: install the distribution first.
    """

    entry_point: ClassVar[str]
    variables: ClassVar[str]
    misconfigured: ClassVar[Mapping[str, str]]
    misconfigured_says: ClassVar[tuple[str, ...]]

    def make_notifier(self, endpoint: S) -> object:
        """A notifier that sends to ``endpoint``."""
        raise NotImplementedError(f"{type(self).__name__} must define make_notifier(endpoint)")

    def refuse(self, endpoint: S) -> None:
        """Make ``endpoint`` refuse every message until ``accept``."""
        raise NotImplementedError(f"{type(self).__name__} must define refuse(endpoint)")

    def accept(self, endpoint: S) -> None:
        """Make ``endpoint`` take every message again."""
        raise NotImplementedError(f"{type(self).__name__} must define accept(endpoint)")

    def taken(self, endpoint: S) -> list[str]:
        """The keys of the messages ``endpoint`` took, in the order it took them."""
        raise NotImplementedError(f"{type(self).__name__} must define taken(endpoint)")

    def environment(self, endpoint: S) -> dict[str, str]:
        """The variables that configure the installed entry point to send to ``endpoint``."""
        raise NotImplementedError(f"{type(self).__name__} must define environment(endpoint)")

    @contextmanager
    def notifying_desk(
        self, endpoint: S, where: Path, clock: ManualClock
    ) -> Iterator[tuple[ServiceDesk, str]]:
        """A desk with a new notifier for ``endpoint``, and the name its outbox records."""
        notifier = self.make_notifier(endpoint)
        try:
            with open_desk(where, notifier, clock=clock, policy=contract_policy()) as desk:
                yield desk, notifier_name(desk, notifier)
        finally:
            close = getattr(notifier, "close", None)
            if callable(close):
                close()

    def run_entry_point(self, environ: Mapping[str, str]) -> Installed:
        """``run_installed`` with this notifier's variables cleared, once it is installed."""
        found = entry_points(group=ENTRY_POINT_GROUP, name=self.entry_point)
        assert found, f"no {ENTRY_POINT_GROUP!r} entry point {self.entry_point!r}: install it"
        return run_installed(environ, clear=self.variables)

    def test_a_message_is_delivered_once_under_the_notifiers_name(
        self, endpoint: S, tmp_path: Path
    ) -> None:
        with self.notifying_desk(endpoint, tmp_path, ManualClock(START)) as (desk, name):
            acknowledged_case(desk)
            (sent,) = desk.store.outbox()
            assert (sent.status, sent.attempts) == ("delivered", 1)
            assert name in sent.delivered_to
            assert desk.deliver() == DeliveryReport(), "nothing is sent twice"
        assert self.taken(endpoint) == [sent.key]

    def test_a_refusal_undoes_nothing_and_is_retried_after_the_backoff(
        self, endpoint: S, tmp_path: Path
    ) -> None:
        clock = ManualClock(START)
        self.refuse(endpoint)
        with self.notifying_desk(endpoint, tmp_path, clock) as (desk, name):
            case_id = acknowledged_case(desk)
            assert desk.case(case_id).state == "in_progress", "a refusal undoes nothing"
            (waiting,) = desk.outbox.pending()
            assert waiting.attempts == 1
            assert waiting.last_error.startswith(f"{name}: "), waiting.last_error
            assert desk.deliver() == DeliveryReport(), "not due before its backoff"
            assert self.taken(endpoint) == []

            self.accept(endpoint)
            clock.advance(FIRST_RETRY)
            assert desk.deliver().delivered == (waiting.key,)
            assert desk.outbox.counts()["pending"] == 0
        assert self.taken(endpoint) == [waiting.key]

    def test_a_message_refused_every_time_is_dead_lettered_until_retried(
        self, endpoint: S, tmp_path: Path
    ) -> None:
        clock = ManualClock(START)
        self.refuse(endpoint)
        with self.notifying_desk(endpoint, tmp_path, clock) as (desk, name):
            acknowledged_case(desk)
            clock.advance(FIRST_RETRY)
            report = desk.deliver()
            (dead,) = desk.outbox.failed()
            assert report.failed == (dead.key,)
            assert dead.attempts == MAX_ATTEMPTS
            assert dead.last_error.startswith(f"{name}: "), dead.last_error

            self.accept(endpoint)
            desk.outbox.retry(dead.key)
            assert desk.deliver().delivered == (dead.key,)
        assert self.taken(endpoint) == [dead.key]

    def test_the_installed_entry_point_delivers_when_configured(self, endpoint: S) -> None:
        ran = self.run_entry_point(self.environment(endpoint))
        assert ran.returncode == 0, ran.stderr
        assert ran.status == "delivered"
        assert self.entry_point in ran.delivered_to, "recorded under the entry point's name"
        assert len(self.taken(endpoint)) == 1

    def test_the_installed_entry_point_changes_nothing_unconfigured(self) -> None:
        ran = self.run_entry_point({})
        assert ran.returncode == 0, ran.stderr
        assert self.entry_point not in ran.delivered_to

    def test_a_misconfigured_entry_point_stops_the_desk_from_opening(self) -> None:
        ran = self.run_entry_point(self.misconfigured)
        assert ran.returncode != 0
        assert "serviceflow.errors.PluginError: " in ran.stderr
        for says in self.misconfigured_says:
            assert says in ran.stderr, f"{says!r} is not in:\n{ran.stderr}"
