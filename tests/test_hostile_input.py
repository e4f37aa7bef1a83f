"""Hostile input: every public entry point answers with a documented error and stores nothing.

The store-by-store property (every entry point, one argument hostile) is part of the
conformance suite (``serviceflow.testing.hostile``); here are the cases an outside fuzzer
found, the policy loader, the command line and the clock and size rules.
"""

from __future__ import annotations

import contextlib
import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import (
    ClockBehind,
    ManualClock,
    PolicyError,
    Problems,
    ServiceDesk,
    ValidationError,
)
from serviceflow.cli._main import cli
from serviceflow.core._duration import parse_duration
from serviceflow.domain import _commands as cmd
from serviceflow.domain.policy._policy import load_policy
from serviceflow.errors import ServiceflowError
from serviceflow.rules._fingerprint import terms
from serviceflow.testing.hostile import hostile_values, snapshot
from serviceflow.testing.policies import build_policy

from .conftest import walk_to


def _bad_calls(desk: ServiceDesk, case_id: str) -> list[tuple[str, Any]]:
    """The calls the fuzzer found escaping as plain Python errors (one per root cause)."""
    return [
        ("note a lone surrogate id", lambda: desk.note("\ud800", by="agent:kim", text="x")),
        ("case a lone surrogate id", lambda: desk.case("\ud800")),
        ("note a NUL in the id", lambda: desk.note("a\x00b", by="agent:kim", text="x")),
        ("note a NUL in the actor", lambda: desk.note(case_id, by="agent:k\x00im", text="x")),
        (
            "submit a NUL in the requester",
            lambda: desk.submit(requester="acme/j\x00@a.test", channel="email", subject="s"),
        ),
        ("cases state=5", lambda: list(desk.cases(state=5))),  # type: ignore[arg-type]
        ("count state=True", lambda: desk.count(state=True)),  # type: ignore[arg-type]
        ("audit a text day", lambda: desk.audit("2026-01-01")),  # type: ignore[arg-type]
        ("tick a text time", lambda: desk.tick("2026-01-01")),  # type: ignore[arg-type]
        ("deliver now=False", lambda: desk.deliver(now=False)),  # type: ignore[arg-type]
        ("sla a text time", lambda: desk.sla(case_id, at="2026")),  # type: ignore[arg-type]
        ("tick a text limit", lambda: desk.tick(limit="5")),  # type: ignore[arg-type]
        ("tick a huge limit", lambda: desk.tick(limit=10**30)),
        ("reapply a mapping", lambda: desk.reapply_policy({"name": "x"})),  # type: ignore[arg-type]
        ("execute a text", lambda: desk.execute("classify")),  # type: ignore[arg-type]
        (
            "submit 20 MB",
            lambda: desk.submit(
                requester="acme/jane@acme.test",
                channel="email",
                subject="s",
                description="a" * 20_000_000,
            ),
        ),
    ]


@pytest.mark.parametrize("index", range(16))
def test_what_the_fuzzer_found_is_a_documented_error(desk: ServiceDesk, index: int) -> None:
    case_id = walk_to(desk, "in_progress")
    label, call = _bad_calls(desk, case_id)[index]
    before = snapshot(desk.store)
    with pytest.raises(ValidationError):
        call()
    assert snapshot(desk.store) == before, label


def test_load_policy_refuses_keys_that_are_not_text() -> None:
    with pytest.raises(PolicyError, match=r"\$: unknown field\(s\) 1"):
        load_policy({1: 2})  # type: ignore[dict-item]


@pytest.mark.parametrize("value", [10**30, "999999999999d", "P99999999999999999999D", 1e300])
def test_a_duration_too_long_says_so_in_words(value: object) -> None:
    with pytest.raises(ValidationError, match="longer than the longest allowed, 100 years"):
        parse_duration(value)  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match=r"\$\.lifecycle\.reopen_window: .*100 years"):
        load_policy({"lifecycle": {"reopen_window": value}})


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        hostile_values(),
        lambda inner: st.dictionaries(
            st.one_of(
                st.sampled_from(["name", "sla", "lifecycle", "limits", "tiers"]),
                st.text(max_size=4),
                st.integers(),
            ),
            inner,
            max_size=3,
        ),
        max_leaves=6,
    )
)
def test_load_policy_only_ever_raises_a_policy_error(document: object) -> None:
    with contextlib.suppress(PolicyError):
        load_policy(document if isinstance(document, dict) else {"name": document})


def test_text_past_the_policys_limits_is_refused_and_nothing_is_stored(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "in_progress")
    before = snapshot(desk.store)
    with pytest.raises(ValidationError, match=r"text: 131,073 characters.*\$\.limits\.text"):
        desk.note(case_id, by="agent:kim", text="a" * 131_073)
    with pytest.raises(ValidationError, match=r"subject: .*\$\.limits\.subject"):
        desk.submit(requester="acme/jane@acme.test", channel="email", subject="s" * 1001)
    with pytest.raises(ValidationError, match=r"fields: 65 entries"):
        desk.submit(
            requester="acme/jane@acme.test",
            channel="email",
            subject="s",
            fields={f"f{i}": "v" for i in range(65)},
        )
    assert snapshot(desk.store) == before


def test_limits_are_the_policys_to_set(tmp_path: Path) -> None:
    policy = build_policy(limits={"text": 10})
    with ServiceDesk.open("memory://", policy=policy, entry_points=False) as desk:
        case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="s")
        with pytest.raises(ValidationError, match=r"more than the policy allows \(10,"):
            desk.note(case.id, by="agent:kim", text="eleven char")
    with pytest.raises(PolicyError, match=r"\$\.limits\.text: must be between 1 and"):
        build_policy(limits={"text": 0})


def test_a_desk_a_little_behind_records_at_the_last_event(tmp_path: Path) -> None:
    ahead = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    behind = ManualClock(datetime(2026, 3, 2, 8, 58, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with ServiceDesk.open(url, clock=ahead, entry_points=False) as first:
        case = first.submit(requester="acme/jane@acme.test", channel="email", subject="s")
    with ServiceDesk.open(url, clock=behind, entry_points=False) as second:
        noted = second.note(case.id, by="agent:kim", text="from a lagging host")
        times = [r.event.at for r in second.history(case.id)]
        assert times == sorted(times)
        assert noted.updated_at == ahead.now()
    far = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    with ServiceDesk.open(url, clock=far, entry_points=False) as third:
        before = snapshot(third.store)
        with pytest.raises(ClockBehind, match=r"behind the last event .* by 1:00:00"):
            third.note(case.id, by="agent:kim", text="far behind")
        assert snapshot(third.store) == before


def test_a_long_word_does_not_make_fingerprints_quadratic() -> None:
    def alarm(*_: object) -> None:
        raise TimeoutError("fingerprint terms took more than 10 s: super-linear matching")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    try:
        assert terms("a" * 200_000 + " isn't") is not None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's day in a SQLite file, shared by the command-line checks of this module."""
    db = str(tmp_path_factory.mktemp("cli") / "demo.db")
    CliRunner().invoke(cli, ["--db", db, "demo", "--quiet"])
    return db


BAD_ARGUMENTS = [
    ["case", "show", "\x00"],
    ["case", "show", "a" * 500],
    ["history", "../etc/passwd"],
    ["sla", "NOPE", "--at", "yesterday"],
    ["audit", "--day", "2026-13-45"],
    ["audit", "not-a-day"],
    ["cases", "--state", "nowhere"],
    ["cases", "--limit", "-5"],
    ["tick", "--limit", "0"],
    ["tick", "--limit", str(10**30)],
    ["verify", "\ud800"],
    ["priority", "\u200b"],
    ["queue", "\x00"],
    ["report", "--start", "2026-99-01"],
    ["kb", "show", "\x00"],
    ["problem", "show", "../x"],
    ["improve", "show", "\x00"],
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=lambda a: " ".join(a)[:30])
def test_the_cli_answers_bad_arguments_without_a_traceback(demo_db: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--db", demo_db, *args])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def test_reads_refuse_an_id_no_store_could_hold(desk: ServiceDesk) -> None:
    for bad in ("\ud800", "a\x00b", "a/b", "", "x" * 65):
        with pytest.raises(ValidationError, match="is not a valid id"):
            desk.case(bad)
        with pytest.raises(ValidationError, match="is not a valid id"):
            desk.history(bad)


def test_day_and_instant_arguments_are_checked(desk: ServiceDesk) -> None:
    with pytest.raises(ValidationError, match=r"audit\(day\): expected a date"):
        desk.audit(datetime(2026, 3, 2, tzinfo=UTC))
    assert desk.audit(date(2026, 3, 2)) == []
    with pytest.raises(ValidationError, match=r"tick\(now\) must be a datetime"):
        desk.tick(date(2026, 3, 2))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"window: expected a timedelta"):
        Problems(desk).candidates(window=30)  # type: ignore[arg-type]
    with pytest.raises(ServiceflowError):
        desk.execute(cmd.AddNote(case_id="C1", by="agent:kim", text="x"), expected_version="1")  # type: ignore[arg-type]
    assert timedelta(0) is not None


CLI_TEMPLATES = [
    ["case", "show", "{}"],
    ["history", "{}"],
    ["sla", "{}"],
    ["priority", "{}"],
    ["verify", "{}"],
    ["verify", "--anchor", "{}"],
    ["audit", "{}"],
    ["cases", "--state", "{}"],
    ["cases", "--requester", "{}"],
    ["queue", "{}"],
    ["report", "--start", "{}"],
    ["report", "--by", "{}"],
    ["kb", "search", "{}"],
    ["kb", "show", "{}"],
    ["problem", "show", "{}"],
    ["improve", "show", "{}"],
    ["policy", "check", "{}"],
    ["tick", "--limit", "{}"],
]


@settings(max_examples=80, deadline=None)
@given(
    template=st.sampled_from(CLI_TEMPLATES),
    value=st.one_of(
        st.text(st.characters(codec=None, exclude_categories=()), max_size=12),
        st.sampled_from(["", "-1", "10" * 20, "\x00", "../..", "[/x]", "a" * 5000, "NaN"]),
    ),
)
def test_the_cli_never_shows_a_traceback(demo_db: str, template: list[str], value: str) -> None:
    args = [value if part == "{}" else part for part in template]
    result = CliRunner().invoke(cli, ["--db", demo_db, *args])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
