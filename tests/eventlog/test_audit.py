"""The audit streams: refusals by day, appended at the head, never lost to a race."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from serviceflow import ManualClock, NotAuthorized, ServiceDesk
from serviceflow.eventlog._audit import audit_stream

from ..conftest import walk_to
from ..rules.test_authority import governed


def test_each_utc_day_has_its_own_stream(clock: ManualClock) -> None:
    assert audit_stream(date(2026, 3, 2)) == "audit:2026-03-02"
    desk = governed(clock)
    case_id = walk_to(desk, "assigned")
    with pytest.raises(NotAuthorized):
        desk.note(case_id, by="stranger", text="t")
    clock.advance(days=1)
    with pytest.raises(NotAuthorized):
        desk.note(case_id, by="stranger", text="t")
    assert len(desk.audit(date(2026, 3, 2))) == 1
    assert len(desk.audit()) == 1, "today, by the desk's clock"
    assert desk.audit(date(2026, 3, 1)) == []
    assert desk.verify("audit:2026-03-03").ok


def test_refusals_by_two_desks_at_once_are_all_audited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    first = governed(clock, url)
    case_id = walk_to(first, "assigned")
    second = governed(clock, url)

    def refuse(desk: ServiceDesk) -> None:
        for _ in range(15):
            with pytest.raises(NotAuthorized):
                desk.note(case_id, by="stranger", text="t")

    threads = [threading.Thread(target=refuse, args=(d,)) for d in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(first.audit(date(2026, 3, 2))) == 30
    assert first.verify("audit:2026-03-02").ok
