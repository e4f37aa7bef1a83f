"""Plain commands from several threads on a few hot cases: for any store, a check that no
conflict reaches the caller (retries absorb them), nothing is lost and nothing is written
twice. Store authors call ``run_on_hot_cases(url, ...)`` from a test."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain._events import NoteAdded
from serviceflow.domain._serialization import decode_event

__all__ = ["run_on_hot_cases"]

AGENT = "agent:kim"


def run_on_hot_cases(
    url: str, threads: int, *, commands: int, hot: int = 3, plugins: Sequence[object] = ()
) -> None:
    """``threads`` desks on ``url`` each add ``commands`` notes to ``hot`` shared cases:
    none raises, each note is stored exactly once, and every chain verifies."""
    with ServiceDesk.open(url, plugins=plugins, entry_points=False) as setup:
        cases = [_in_progress(setup) for _ in range(hot)]
    start = threading.Barrier(threads)
    raised: list[BaseException] = []

    def work(number: int) -> None:
        try:
            with ServiceDesk.open(url, plugins=plugins, entry_points=False) as desk:
                start.wait()
                for n in range(commands):
                    desk.note(cases[(number + n) % hot], by=AGENT, text=f"t{number}-{n}")
        except BaseException as error:  # reported by the assertion below
            raised.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert raised == [], raised
    stored: Counter[str] = Counter()
    with ServiceDesk.open(url, plugins=plugins, entry_points=False) as desk:
        for case_id in cases:
            for record in desk.store.read(case_id):
                event = decode_event(record.data)
                if isinstance(event, NoteAdded):
                    stored[event.text] += 1
            assert desk.verify(case_id).ok
    assert stored == Counter(f"t{t}-{n}" for t in range(threads) for n in range(commands))


def _in_progress(desk: ServiceDesk) -> str:
    case = desk.submit(requester="acme/jane@acme.test", channel="web", subject="Hot")
    desk.classify(case.id, by=AGENT, category="billing", kind="incident")
    desk.prioritize(case.id, by=AGENT, impact="medium", urgency="high")
    desk.assign(case.id, to=AGENT, by=AGENT)
    desk.acknowledge(case.id, by=AGENT, message="On it")
    return case.id
