"""Plain commands from several threads on hot PostgreSQL cases: no conflict reaches the
caller, nothing is lost, nothing is written twice."""

from __future__ import annotations

from serviceflow.testing.contention import run_on_hot_cases

import serviceflow_postgres


def test_threads_on_hot_cases_lose_nothing_and_write_nothing_twice(pg_url: str) -> None:
    run_on_hot_cases(pg_url, 4, commands=60, plugins=[serviceflow_postgres])
