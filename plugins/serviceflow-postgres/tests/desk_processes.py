"""The processes of the multi-process test: workers, clients, and the downstream they notify.

Run in child processes (``multiprocessing`` spawn), so everything here is importable and
takes plain arguments. Each process writes what it did to its own file under ``out``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

from serviceflow import Case, ServiceDesk, hookimpl, load_policy
from serviceflow.desk import Worker, stopping_on_signals
from serviceflow.domain import Notification
from serviceflow.domain.policy import Policy
from serviceflow.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    ServiceflowError,
    ValidationError,
)

import serviceflow_postgres

WORKER_POLL = 0.2
WORKER_BATCH = 50


def fast_policy() -> Policy:
    """Round-the-clock targets of seconds, so timers fall due while the test runs."""
    return load_policy(
        {
            "sla": [
                {
                    "name": "fast",
                    "targets": {
                        "first_response": {"within": "2s", "time": "calendar", "warnings": [0.5]},
                        "resolution": {"within": "5s", "time": "calendar", "warnings": [0.5]},
                    },
                }
            ]
        }
    )


class Downstream:
    """The system a notifier feeds: records every delivery it receives, repeats included,
    one JSON line per delivery (the test deduplicates by key, as a real downstream would)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.__name__ = "downstream"  # the same name in every process: delivered_to matches

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """Append the delivery."""
        line = json.dumps({"key": notification.key, "case": notification.case_id})
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def open_desk(url: str, plugins: list[object], *, deliver_at_once: bool = False) -> ServiceDesk:
    """A desk on the shared store with the fast policy and the system clock."""
    return ServiceDesk.open(
        url,
        policy=fast_policy(),
        plugins=[serviceflow_postgres, *plugins],
        entry_points=False,
        deliver_at_once=deliver_at_once,
    )


def run_worker(url: str, out: str, number: int) -> None:
    """Tick and deliver until SIGTERM, which lets the pass in progress finish."""
    logging.basicConfig(level=logging.WARNING)
    folder = Path(out)
    desk = open_desk(url, [Downstream(folder / f"deliveries-{number}.jsonl")])
    worker = Worker(desk, poll=WORKER_POLL, batch=WORKER_BATCH)
    with desk, stopping_on_signals(worker):
        (folder / f"worker-{number}.ready").touch()
        worker.run()


def run_client(url: str, out: str, number: int, shared: list[str], seconds: float) -> None:
    """Issue commands on the shared cases (and a few new ones) for ``seconds``."""
    folder = Path(out)
    rng = random.Random(number)
    advancing, waiting = shared[: len(shared) // 2], shared[len(shared) // 2 :]
    own: list[str] = []
    notes: list[str] = []
    versions: list[tuple[str, int]] = []
    refused: dict[str, int] = {}
    unexpected: list[str] = []
    with open_desk(url, []) as desk:
        started = time.monotonic()
        count = 0
        while time.monotonic() - started < seconds:
            count += 1
            draw = rng.random()
            try:
                if draw < 0.05:
                    case = desk.submit(
                        requester="acme/jane@acme.test", channel="web", subject=f"c{number}"
                    )
                    own.append(case.id)
                elif draw < 0.55:
                    text = f"client {number} note {count}"
                    case = desk.note(rng.choice(waiting + own), by="agent:kim", text=text)
                    notes.append(text)
                else:
                    target = rng.choice(advancing + own)
                    step = _next_step(desk, target)
                    if step is None:  # closed: a note is all that is left to do
                        text = f"client {number} note {count}"
                        case = desk.note(target, by="agent:kim", text=text)
                        notes.append(text)
                    else:
                        case = step()
            except ServiceflowError as exc:
                kind = raced(exc)
                refused[kind] = refused.get(kind, 0) + 1
                if kind == "unexpected":
                    unexpected.append(f"{type(exc).__name__}: {exc}")
                continue
            versions.append((case.id, case.version))
            time.sleep(0.002)
        elapsed = time.monotonic() - started
    report = {
        "commands": count,
        "refused": refused,
        "unexpected": unexpected,
        "seconds": elapsed,
        "notes": notes,
        "versions": versions,
        "own": own,
        "pid": os.getpid(),
    }
    (folder / f"client-{number}.json").write_text(json.dumps(report))


def raced(error: ServiceflowError) -> str:
    """Why a command lost a race with another client on a shared case, or ``unexpected``.

    Another client took the step first (the state moved on), the case changed under five
    retries in a row, or the retry found the priority already set (changing it needs a
    reason) or the case already assigned to the same agent.
    """
    text = str(error)
    if isinstance(error, InvalidTransition):
        return "state moved on"
    if isinstance(error, ConcurrencyConflict):
        return "lost five races"
    if isinstance(error, ValidationError) and "already set" in text:
        return "priority already set"
    if isinstance(error, ValidationError) and "already assigned" in text:
        return "already assigned"
    return "unexpected"


def _next_step(desk: ServiceDesk, case_id: str) -> Callable[[], Case] | None:
    """The next command of the main path for the case's current state (``None``: closed)."""
    state = desk.case(case_id).state
    steps: dict[str, Callable[[], Case]] = {
        "intake": lambda: desk.classify(
            case_id, category="billing", kind="incident", by="agent:kim"
        ),
        "classified": lambda: desk.prioritize(
            case_id, impact="medium", urgency="high", by="agent:kim"
        ),
        "prioritized": lambda: desk.assign(case_id, to="agent:kim", by="lead:ana"),
        "assigned": lambda: desk.acknowledge(case_id, by="agent:kim", message="On it"),
        "in_progress": lambda: desk.resolve(case_id, by="agent:kim", resolution="Fixed"),
        "resolved": lambda: desk.validate(case_id, by="qa:lee"),
        "validated": lambda: desk.confirm(case_id),
    }
    return steps.get(state)
