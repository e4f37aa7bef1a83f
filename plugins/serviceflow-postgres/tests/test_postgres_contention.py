"""Plain commands from several threads on hot PostgreSQL cases: no conflict reaches the
caller, nothing is lost, nothing is written twice."""

from __future__ import annotations

import threading
from collections import Counter

from serviceflow import ServiceDesk
from serviceflow.events import NoteAdded
from serviceflow.serialization import decode_event

import serviceflow_postgres

AGENT = "agent:kim"
THREADS, COMMANDS, HOT = 4, 60, 3


def open_desk(url: str) -> ServiceDesk:
    """A desk with the default policy on the shared schema."""
    return ServiceDesk.open(url, plugins=[serviceflow_postgres], entry_points=False)


def test_threads_on_hot_cases_lose_nothing_and_write_nothing_twice(pg_url: str) -> None:
    with open_desk(pg_url) as setup:
        cases = []
        for _ in range(HOT):
            case = setup.submit(requester="acme/jane@acme.test", channel="web", subject="Hot")
            setup.classify(case.id, by=AGENT, category="billing", kind="incident")
            setup.prioritize(case.id, by=AGENT, impact="medium", urgency="high")
            setup.assign(case.id, to=AGENT, by=AGENT)
            cases.append(case.id)
    start = threading.Barrier(THREADS)
    raised: list[BaseException] = []

    def work(number: int) -> None:
        try:
            with open_desk(pg_url) as desk:
                start.wait()
                for n in range(COMMANDS):
                    desk.note(cases[(number + n) % HOT], by=AGENT, text=f"t{number}-{n}")
        except BaseException as error:  # reported by the assertion below
            raised.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert raised == []
    stored: Counter[str] = Counter()
    with open_desk(pg_url) as desk:
        for case_id in cases:
            for record in desk.store.read(case_id):
                event = decode_event(record.data)
                if isinstance(event, NoteAdded):
                    stored[event.text] += 1
            assert desk.verify(case_id).ok
    assert stored == Counter(f"t{t}-{n}" for t in range(THREADS) for n in range(COMMANDS))
