"""SLA clocks end to end: targets, pauses, reopen rules, switches, warnings and breaches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import ManualClock, Policy, PolicyError, ServiceDesk, hookimpl, load_policy
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import iso
from serviceflow.eventlog._store import TimerRecord
from serviceflow.rules import _sla as sla
from serviceflow.rules.escalation._clocks import escalation_timers
from serviceflow.testing import strategies

WEEK = ("mon", "tue", "wed", "thu", "fri")


def policy(**resolution: Any) -> Policy:
    """Critical cases on 24/7, everything else on a Berlin office calendar (Mon-Fri 09-17)."""
    return load_policy(
        {
            "calendars": {
                "office": {"zone": "Europe/Berlin", "week": {d: ["09:00-17:00"] for d in WEEK}},
                "eu2": {"zone": "Europe/Berlin", "week": {d: ["08:00-18:00"] for d in WEEK}},
            },
            "sla": [
                {
                    "name": "critical",
                    "when": {"priority": ["critical"]},
                    "targets": {
                        "first_response": {"within": "15m"},
                        "periodic_update": {"within": "1h"},
                        "resolution": {"within": "4h", "time": "calendar"},
                    },
                },
                {
                    "name": "zammad-eu2",
                    "when": {"category": ["access"]},
                    "calendar": "eu2",
                    "targets": {
                        "first_response": {"within": "60m"},
                        "next_reply": {"within": "120m"},
                        "resolution": {"within": "180m"},
                    },
                },
                {
                    "name": "standard",
                    "calendar": "office",
                    "targets": {
                        "first_response": {"within": "1h"},
                        "next_reply": {"within": "3h"},
                        "resolution": {"within": "4h", **resolution},
                    },
                },
            ],
        }
    )


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'sla.db'}"


def desk_at(
    url: str, when: datetime, sla_policy: Policy | None = None, **kw: Any
) -> tuple[ServiceDesk, ManualClock]:
    clock = ManualClock(when)
    return ServiceDesk.open(
        url, policy=sla_policy or policy(), clock=clock, entry_points=False, **kw
    ), clock


THURSDAY = datetime(2013, 3, 21, 9, 30, tzinfo=UTC)  # 10:30 in Berlin


def test_zammad_first_response_in_and_diff(url: str) -> None:
    """zammad/zammad test/unit/ticket_sla_test.rb, 'test sla 2' on calendar 'EU 2'.

    Created 09:30 UTC; first response target 60 min, solution 180 min. Zammad expects the
    first response due 10:30 UTC, the solution due 12:30 UTC, and a first response given at
    14:00 UTC to show first_response_in_min 270 and first_response_diff_in_min -210.
    """
    desk, clock = desk_at(url, THURSDAY)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s", category="access")
    report = desk.sla(case.id)
    assert report.level == "zammad-eu2"
    first = report.current("first_response")
    resolution = report.current("resolution")
    assert first is not None
    assert resolution is not None
    assert first.due == datetime(2013, 3, 21, 10, 30, tzinfo=UTC)
    assert resolution.due == datetime(2013, 3, 21, 12, 30, tzinfo=UTC)
    desk.classify(case.id, kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="low", urgency="low", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    clock.set(datetime(2013, 3, 21, 14, 0, tzinfo=UTC))
    desk.acknowledge(case.id, by="agent:kim", message="Sorry for the wait")
    first = desk.sla(case.id).current("first_response")
    assert first is not None
    assert first.consumed == timedelta(minutes=270)
    assert first.remaining == timedelta(minutes=-210)
    assert first.status == "breached"


def test_level_is_an_event_and_reprioritising_switches_targets(url: str) -> None:
    desk, _ = desk_at(url, THURSDAY)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="Site down")
    applied = [r.event for r in desk.history(case.id) if isinstance(r.event, ev.SlaApplied)]
    assert [(e.level, e.reason) for e in applied] == [("standard", "'standard' is the fallback")]
    first = desk.sla(case.id).current("first_response")
    assert first is not None
    assert first.target == timedelta(hours=1)
    desk.classify(case.id, category="outage", kind="incident", by="agent:kim")
    critical = desk.prioritize(case.id, impact="high", urgency="high", by="agent:kim")
    assert critical.sla == "critical"
    switch = desk.history(case.id)[-1].event
    assert isinstance(switch, ev.SlaApplied)
    assert switch.reason == "'critical' matches priority critical"
    report = desk.sla(case.id)
    first = report.current("first_response")
    assert first is not None
    assert first.target == timedelta(minutes=15)
    assert first.due == THURSDAY + timedelta(minutes=15), "the new target counts from intake"
    assert report.current("periodic_update") is not None


def test_waiting_on_the_client_pauses_resolution_across_a_weekend(url: str) -> None:
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 16:00 Berlin
    desk, clock = desk_at(url, friday)
    case_id = _working(desk)
    desk.request_info(case_id, by="agent:kim", message="Which browser?")
    clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=UTC))  # Monday 11:00 Berlin
    desk.client_replied(case_id, message="All of them")
    clock.advance(minutes=30)
    resolution = desk.sla(case_id).current("resolution")
    assert resolution is not None
    assert resolution.consumed == timedelta(minutes=30), "only Monday's 30 min after the reply"
    assert [p.state for p in resolution.pauses] == ["waiting_on_client"]
    assert resolution.status == "running"
    assert resolution.due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def _working(desk: ServiceDesk) -> str:
    case = desk.submit(
        requester="a/b@c.test", channel="email", subject="s", category="billing", kind="incident"
    )
    desk.classify(case.id, by="agent:kim")
    desk.prioritize(case.id, impact="low", urgency="low", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="On it")
    return case.id


def test_tick_fires_each_warning_and_the_breach_once(url: str) -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def observe(self, case: Case, events: Sequence[ev.Event]) -> None:
            seen.extend(
                e.TYPE for e in events if e.TYPE.startswith("case.sla_w") or "breach" in e.TYPE
            )

    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 Berlin: opening
    desk, clock = desk_at(url, monday, plugins=[Observer()])
    case_id = _working(desk)
    assert desk.tick() == []
    clock.set(monday + timedelta(hours=2, minutes=1))
    fired = desk.tick()
    assert [(type(r.event).__name__, getattr(r.event, "threshold", None)) for r in fired] == [
        ("SlaWarned", 0.5)
    ]
    assert desk.tick() == [], "a warning fires once"
    clock.set(monday + timedelta(hours=5))
    kinds = [(type(r.event).__name__, getattr(r.event, "threshold", None)) for r in desk.tick()]
    assert kinds == [("SlaWarned", 0.75), ("SlaWarned", 0.9), ("SlaBreached", None)]
    assert desk.tick() == []
    assert seen == ["case.sla_warned", "case.sla_warned", "case.sla_warned", "case.sla_breached"]
    resolution = desk.sla(case_id).current("resolution")
    assert resolution is not None
    assert resolution.warned == (0.5, 0.75, 0.9)
    assert resolution.breach_recorded
    assert desk.verify(case_id).ok


def test_tick_only_looks_at_what_is_due(url: str) -> None:
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    desk, clock = desk_at(url, monday)
    ids = [_working(desk) for _ in range(5)]
    clock.advance(minutes=1)
    late = _working(desk)
    due = desk.store.due_timers((monday + timedelta(hours=2, seconds=1)).isoformat(), 100)
    assert {t.case_id for t in due} == set(ids)
    assert late not in {t.case_id for t in due}
    assert {t.kind for t in due} == {"warning:0.5"}


@pytest.mark.parametrize(
    ("mode", "consumed", "cycles"),
    [
        ("resume", timedelta(hours=2, minutes=30), 1),
        ("reset", timedelta(minutes=30), 1),
        ("new_cycle", timedelta(minutes=30), 2),
    ],
)
def test_reopen_rules(mode: str, consumed: timedelta, cycles: int) -> None:
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    desk, clock = desk_at("memory://", monday, policy(reopen=mode))
    case_id = _working(desk)
    clock.advance(hours=2)
    desk.resolve(case_id, by="agent:kim", resolution="Fixed")
    desk.validate(case_id, by="qa:lee")
    desk.confirm(case_id)
    clock.advance(days=1)
    desk.reopen(case_id, by="client:b@c.test", reason="Still broken")
    clock.advance(minutes=30)
    report = desk.sla(case_id)
    resolution = report.current("resolution")
    assert resolution is not None
    assert resolution.consumed == consumed
    assert len([c for c in report.clocks if c.metric == "resolution"]) == cycles
    if mode == "new_cycle":
        assert report.clocks[[c.metric for c in report.clocks].index("resolution")].status == "met"


def test_next_reply_cycles_and_periodic_updates(url: str) -> None:
    desk, clock = desk_at(url, THURSDAY)
    case_id = _working(desk)
    desk.request_info(case_id, by="agent:kim", message="?")
    clock.advance(minutes=10)
    desk.client_replied(case_id, message="answer one")
    clock.advance(minutes=20)
    desk.reply(case_id, by="agent:kim", message="thanks")
    clock.advance(minutes=5)
    desk.client_replied(case_id, message="answer two")
    report = desk.sla(case_id)
    cycles = [c for c in report.clocks if c.metric == "next_reply"]
    assert [(c.cycle, c.status) for c in cycles] == [(1, "met"), (2, "running")]
    assert cycles[0].consumed == timedelta(minutes=20)
    critical = desk.submit(
        requester="a/b@c.test", channel="email", subject="down", category="outage", kind="incident"
    )
    desk.classify(critical.id, by="agent:kim")
    desk.prioritize(critical.id, impact="high", urgency="high", by="agent:kim")
    desk.assign(critical.id, to="agent:kim", by="lead:ana")
    clock.advance(minutes=50)
    desk.acknowledge(critical.id, by="agent:kim", message="On it")
    clock.advance(minutes=40)
    desk.reply(critical.id, by="agent:kim", message="Update")
    updates = [c for c in desk.sla(critical.id).clocks if c.metric == "periodic_update"]
    assert [c.status for c in updates] == ["met", "met", "running"]


def test_closing_cancelling_and_merging_stop_every_clock(url: str) -> None:
    desk, clock = desk_at(url, THURSDAY)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    clock.advance(minutes=5)
    desk.cancel(case.id, by="client:b@c.test", reason="never mind")
    report = desk.sla(case.id)
    assert all(not c.active for c in report.clocks)
    assert {c.status for c in report.clocks} == {"met"}
    assert desk.store.due_timers("9999", 10) == []


def test_a_case_outside_every_service_level_has_no_clocks() -> None:
    desk = ServiceDesk.open("memory://", entry_points=False)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    report = desk.sla(case.id)
    assert (report.level, report.clocks, report.note) == (None, (), "no service level")
    assert [r.event.TYPE for r in desk.history(case.id)] == ["case.submitted"]


def _bad(sla: list[dict[str, Any]], calendars: dict[str, Any] | None = None) -> Iterator[str]:
    with pytest.raises(PolicyError) as info:
        load_policy({"sla": sla, "calendars": calendars or {}})
    yield from info.value.problems


def test_sla_policy_problems_are_listed_with_paths() -> None:
    problems = list(
        _bad(
            [
                {
                    "name": "a",
                    "when": {"priority": ["urgent"]},
                    "calendar": "mars",
                    "targets": {
                        "first_reply": {"within": "1h"},
                        "resolution": {
                            "within": "0s",
                            "time": "wall",
                            "warnings": [0.9, 0.5],
                            "pause_in": ["asleep"],
                            "reopen": "forget",
                        },
                    },
                },
                {"name": "a", "when": {"tier": ["premium"]}, "targets": {}},
            ],
            {"office": {"zone": "Nowhere/City", "week": {"mon": ["9-5"]}}},
        )
    )
    assert "$.sla[1]: the last service level must have no conditions (the fallback)" in problems
    assert "$.sla[0].calendar: expected one of 24/7, office, got 'mars'" in problems
    assert (
        "$.sla[0].when.priority: expected one of critical, high, medium, low, got 'urgent'"
        in problems
    )
    assert any(p.startswith("$.sla[0].targets.first_reply: unknown metric") for p in problems)
    assert "$.sla[0].targets.resolution.within: must be longer than zero" in problems
    assert (
        "$.sla[0].targets.resolution.time: expected one of business, calendar, got 'wall'"
        in problems
    )
    assert (
        "$.sla[0].targets.resolution.warnings: fractions between 0 and 1, ascending, no repeats"
        in problems
    )
    assert any(
        p.startswith("$.sla[0].targets.resolution.pause_in: expected states") for p in problems
    )
    assert any(
        p.startswith("$.sla[0].targets.resolution.reopen: expected one of") for p in problems
    )
    assert "$.sla[1].name: 'a' is listed twice" in problems
    assert (
        "$.sla[1].targets: at least one metric is required "
        "(first_response, next_reply, periodic_update, resolution)" in problems
    )
    assert any(p.startswith("$.calendars.office.zone: unknown time zone") for p in problems)
    assert "$.calendars.office.week.mon[0]: expected 'HH:MM-HH:MM', got '9-5'" in problems


def test_cli_explains_clocks_and_ticks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from serviceflow.cli._main import cli

    db = tmp_path / "d.db"
    policy_file = tmp_path / "p.toml"
    policy_file.write_text(
        '[calendars.office]\nzone = "Europe/Berlin"\n'
        'week = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }\n'
        '[[sla]]\nname = "standard"\ncalendar = "office"\n'
        '[sla.targets.resolution]\nwithin = "1h"\n'
    )
    desk, _ = desk_at(
        f"sqlite:///{db}", datetime(2026, 3, 9, 8, 0, tzinfo=UTC), load_policy(policy_file)
    )
    case_id = _working(desk)
    desk.close()
    runner = CliRunner(env={"COLUMNS": "200"})
    shown = runner.invoke(cli, ["--db", str(db), "--policy", str(policy_file), "sla", case_id])
    assert shown.exit_code == 0, shown.output
    assert "service level standard, calendar office" in shown.output
    assert "resolution" in shown.output
    ticked = runner.invoke(cli, ["--db", str(db), "--policy", str(policy_file), "tick"])
    assert ticked.exit_code == 0, ticked.output
    assert "SLA events fired" in ticked.output


def test_reapplying_a_policy_recomputes_due_dates_and_records_it(url: str) -> None:
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    desk, clock = desk_at(url, monday)
    working = _working(desk)
    done = _working(desk)
    desk.resolve(done, by="agent:kim", resolution="r")
    desk.validate(done, by="qa:lee")
    desk.confirm(done)
    clock.advance(hours=1)
    before = desk.sla(working).current("resolution")
    assert before is not None
    assert before.due == monday + timedelta(hours=4)
    stricter = policy(within="2h")
    touched = desk.reapply_policy(stricter)
    assert [c.id for c in touched] == [working]
    last = desk.history(working)[-1].event
    assert isinstance(last, ev.SlaApplied)
    assert last.policy == stricter.version
    assert last.reason.startswith("policy ")
    after = desk.sla(working).current("resolution")
    assert after is not None
    assert after.due == monday + timedelta(hours=2)
    assert after.consumed == timedelta(hours=1), "the ledger is kept, only the target changed"
    due = desk.store.due_timers((monday + timedelta(hours=1, minutes=1)).isoformat(), 10)
    assert [t.kind for t in due] == ["warning:0.5"]
    assert desk.verify(working).ok
    assert desk.store.load_policy(stricter.version) == stricter.document()


@pytest.mark.parametrize(
    ("created", "due", "why"),
    [
        (
            datetime(2026, 12, 25, 10, 0, tzinfo=UTC),
            datetime(2026, 12, 28, 9, 0, tzinfo=UTC),
            "created on a holiday (Christmas, and the weekend after it)",
        ),
        (
            datetime(2026, 3, 9, 5, 0, tzinfo=UTC),
            datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
            "created before opening",
        ),
        (
            datetime(2026, 3, 9, 16, 0, tzinfo=UTC),
            datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            "created exactly at closing (17:00 Berlin)",
        ),
        (
            datetime(2026, 3, 27, 16, 0, tzinfo=UTC),
            datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
            "at Friday closing (17:00 CET), due Monday 10:00 CEST across the spring switch",
        ),
    ],
)
def test_first_response_edges(created: datetime, due: datetime, why: str) -> None:
    holiday_policy = load_policy(
        {
            "calendars": {
                "office": {
                    "zone": "Europe/Berlin",
                    "week": {d: ["09:00-17:00"] for d in WEEK},
                    "holidays": ["2026-12-25"],
                }
            },
            "sla": [
                {
                    "name": "standard",
                    "calendar": "office",
                    "targets": {"first_response": {"within": "1h"}},
                }
            ],
        }
    )
    desk, _ = desk_at("memory://", created, holiday_policy)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    first = desk.sla(case.id).current("first_response")
    assert first is not None
    assert first.due == due, why


def test_explanations_list_the_holidays_a_segment_skipped() -> None:
    christmas = load_policy(
        {
            "calendars": {
                "office": {
                    "zone": "Europe/Berlin",
                    "week": {d: ["09:00-17:00"] for d in WEEK},
                    "holidays": ["2026-12-24", "2026-12-25"],
                }
            },
            "sla": [
                {
                    "name": "standard",
                    "calendar": "office",
                    "targets": {"resolution": {"within": "3d"}},
                }
            ],
        }
    )
    desk, clock = desk_at("memory://", datetime(2026, 12, 23, 15, 0, tzinfo=UTC), christmas)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    clock.set(datetime(2026, 12, 29, 9, 0, tzinfo=UTC))
    resolution = desk.sla(case.id).current("resolution")
    assert resolution is not None
    [segment] = resolution.segments
    assert [d.isoformat() for d in segment.holidays] == ["2026-12-24", "2026-12-25"]
    assert segment.counted == timedelta(hours=1 + 8 + 1)  # Wed 16-17, Mon, Tue 09-10 Berlin


# --- regressions from review ---------------------------------------------------------------

MON = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 Berlin, the office opens


def _kinds(recorded: Sequence[Any]) -> list[tuple[str, float | None]]:
    return [(type(r.event).__name__, getattr(r.event, "threshold", None)) for r in recorded]


def test_a_rejected_resolution_sets_the_clocks_running_again() -> None:
    desk, clock = desk_at("memory://", MON)
    case_id = _working(desk)
    clock.advance(hours=1)
    desk.resolve(case_id, by="agent:kim", resolution="r")
    clock.advance(hours=1)
    desk.reject(case_id, by="qa:lee", reason="not fixed")
    clock.advance(hours=1)
    resolution = desk.sla(case_id).current("resolution")
    assert resolution is not None
    assert (resolution.status, resolution.consumed) == ("running", timedelta(hours=2))
    assert desk.store.due_timers("9999", 10), "timers are back for the running clock"


def test_a_breach_is_recorded_even_if_the_clock_stops_before_the_next_tick(url: str) -> None:
    desk, clock = desk_at(url, MON)
    case = desk.submit(
        requester="a/b@c.test", channel="email", subject="s", category="billing", kind="incident"
    )
    clock.advance(minutes=59)
    assert _kinds(desk.tick()) == [("SlaWarned", 0.5), ("SlaWarned", 0.75), ("SlaWarned", 0.9)]
    clock.advance(minutes=3)
    desk.classify(case.id, by="agent:kim")
    desk.prioritize(case.id, impact="low", urgency="low", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="late")
    assert _kinds(desk.tick()) == [("SlaBreached", None)]
    first = desk.sla(case.id).current("first_response")
    assert first is not None
    assert (first.status, first.breach_recorded) == ("breached", True)
    assert desk.tick() == []


def test_on_time_means_at_or_before_the_due_instant_even_across_closed_hours() -> None:
    desk, clock = desk_at("memory://", MON, policy(within="8h"))
    late = _working(desk)
    exact = _working(desk)
    clock.set(MON + timedelta(hours=8))  # Monday 17:00 Berlin: the due instant, closing time
    desk.resolve(exact, by="agent:kim", resolution="just in time")
    clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))  # Tuesday 09:00, no business time since
    resolution = desk.sla(late).current("resolution")
    assert resolution is not None
    assert resolution.consumed == timedelta(hours=8)
    assert resolution.status == "breached", "the due instant passed overnight"
    desk.resolve(late, by="agent:kim", resolution="next morning")
    done_late = desk.sla(late).current("resolution")
    done_exact = desk.sla(exact).current("resolution")
    assert done_late is not None
    assert done_exact is not None
    assert (done_late.status, done_exact.status) == ("breached", "met")


def test_odd_thresholds_fire_once_and_warnings_come_before_the_breach() -> None:
    thirds = load_policy(
        {
            "sla": [
                {
                    "name": "x",
                    "targets": {"resolution": {"within": "3h", "warnings": [0.3333333333, 0.9]}},
                }
            ]
        }
    )
    desk, clock = desk_at("memory://", MON, thirds)
    case_id = _working(desk)
    clock.advance(hours=1, minutes=1)
    assert _kinds(desk.tick()) == [("SlaWarned", 0.3333333333)]
    desk.note(case_id, by="agent:kim", text="a write recomputes the timers")
    assert desk.tick() == []
    desk.request_info(case_id, by="agent:kim", message="?")
    clock.advance(hours=5)
    desk.client_replied(case_id, message="!")
    clock.advance(hours=3)
    assert _kinds(desk.tick()) == [("SlaWarned", 0.9), ("SlaBreached", None)]


def test_reset_starts_a_fresh_cycle_whose_warnings_fire_again_once() -> None:
    desk, clock = desk_at("memory://", MON, policy(reopen="reset"))
    case_id = _working(desk)
    clock.advance(hours=2, minutes=1)
    desk.tick()
    desk.resolve(case_id, by="agent:kim", resolution="r")
    desk.reopen(case_id, by="client:b@c.test", reason="again")
    clock.advance(hours=2, minutes=1)
    fired = desk.tick()
    assert [(r.event.metric, r.event.cycle) for r in fired] == [("resolution", 2)]  # type: ignore[attr-defined]
    warned = [
        (r.event.cycle, r.event.threshold)
        for r in desk.history(case_id)
        if isinstance(r.event, ev.SlaWarned)
    ]
    assert len(warned) == len(set(warned))


def test_periodic_updates_follow_the_most_urgent_priority_by_any_name() -> None:
    numbered = load_policy(
        {
            "priority": {
                "levels": [{"name": "P1"}, {"name": "P2"}],
                "impacts": ["high", "low"],
                "urgencies": ["high", "low"],
                "matrix": {"high": {"high": "P1", "low": "P2"}, "low": {"high": "P2", "low": "P2"}},
            },
            "categories": [{"name": "outage"}],
            "sla": [{"name": "x", "targets": {"periodic_update": {"within": "1h"}}}],
        }
    )
    desk, _ = desk_at("memory://", MON, numbered)
    case = desk.submit(
        requester="a/b@c.test", channel="email", subject="s", category="outage", kind="incident"
    )
    desk.classify(case.id, by="agent:kim")
    desk.prioritize(case.id, impact="high", urgency="high", by="agent:kim")
    assert desk.sla(case.id).current("periodic_update") is not None


def test_reapplying_writes_only_where_the_clocks_change_in_batches(url: str) -> None:
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    desk, clock = desk_at(url, monday)
    working = [_working(desk) for _ in range(3)]
    clock.advance(hours=1)
    versions = [desk.case(c).version for c in working]
    told: list[tuple[int, int]] = []
    reworded = attrs.evolve(policy(), canned={"hi": "Hello"})  # the clocks run as they did
    assert reworded.version != desk.policy.version
    assert desk.reapply_policy(reworded, progress=lambda *p: told.append(p)) == []
    assert [desk.case(c).version for c in working] == versions, "no event where nothing changes"
    assert told == [], "no case to write, no batch"
    touched = desk.reapply_policy(policy(within="2h"), progress=lambda *p: told.append(p))
    assert sorted(c.id for c in touched) == sorted(working)
    assert told == [(3, 3)]
    assert all(desk.verify(c).ok for c in working)


def test_opening_with_a_changed_policy_says_how_to_recompute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    url = f"sqlite:///{tmp_path / 'p.db'}"
    desk, _ = desk_at(url, MON)
    _working(desk)
    desk.close()
    with caplog.at_level(logging.WARNING, logger="serviceflow.desk"):
        desk_at(url, MON, policy(within="1h"))[0].close()
    assert any("reapply_policy" in r.message for r in caplog.records)


def test_a_calendar_open_only_on_special_dates_refuses_quickly() -> None:
    from serviceflow import ValidationError
    from serviceflow.core._calendar import business_calendar

    only = business_calendar("event", "UTC", {}, special={"2026-06-01": ["09:00-10:00"]})
    with pytest.raises(ValidationError, match="no open time to fit"):
        only.add(datetime(2026, 6, 1, 9, tzinfo=UTC), timedelta(hours=2))


def test_an_explanation_at_a_past_moment_ignores_later_events() -> None:
    desk, clock = desk_at("memory://", MON)
    case_id = _working(desk)
    clock.advance(hours=5)
    desk.resolve(case_id, by="agent:kim", resolution="late")
    earlier = desk.sla(case_id, at=MON + timedelta(hours=1)).current("resolution")
    assert earlier is not None
    assert (earlier.status, earlier.stopped_at) == ("running", None)


def test_two_desks_keep_timers_exact_with_cached_histories(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, clock = desk_at(url, MON)
    b = ServiceDesk.open(url, policy=a.policy, clock=clock, entry_points=False)
    case_id = _working(a)
    clock.advance(minutes=20)
    b.request_info(case_id, by="agent:sam", message="?")  # b pauses the clock behind a's back
    clock.advance(minutes=40)
    a.note(case_id, by="agent:kim", text="a decides on its cache, collides, retries fresh")
    fresh = ServiceDesk.open(url, policy=a.policy, clock=clock, entry_points=False)
    history = [r.event for r in fresh.history(case_id)]
    version = fresh.case(case_id).version
    now, policy = clock.now(), fresh.policy
    due = [*sla.timers(sla.report(case_id, history, policy, now), policy)]
    due += escalation_timers(history, policy, now)
    expected = {TimerRecord(iso(t.due), case_id, t.metric, t.cycle, t.kind, version) for t in due}
    assert set(a.store.due_timers("9999", 100)) == expected
    resolution = fresh.sla(case_id).current("resolution")
    assert resolution is not None
    assert (resolution.status, resolution.consumed) == ("paused", timedelta(minutes=20))


def _working_on_sqlite(tmp_path: Path) -> tuple[str, ServiceDesk, ManualClock, str]:
    """A SQLite desk at Monday 09:00 Berlin with one case in progress: url, desk, clock, id."""
    url = f"sqlite:///{tmp_path / 'sla.db'}"
    desk, clock = desk_at(url, datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    return url, desk, clock, _working(desk)


def test_a_tick_moves_the_row_and_leaves_the_document(tmp_path: Path) -> None:
    url, desk, clock, case_id = _working_on_sqlite(tmp_path)
    monday = clock.now()
    before = desk.store.load(case_id)
    assert before is not None
    clock.set(monday + timedelta(hours=5))
    assert len(desk.tick()) == 4
    row = desk.store.load(case_id)
    assert row is not None
    assert row.data == before.data, "warnings and breaches do not rewrite the document"
    assert (row.version, row.updated_at) == (before.version + 4, iso(clock.now()))
    other, _ = desk_at(url, clock.now())  # another process: nothing cached
    for reader in (desk, other):
        case = reader.case(case_id)
        assert (case.version, case.updated_at) == (row.version, clock.now())
        assert case == reader.replay(case_id)
        assert [c.version for c in reader.cases()] == [row.version]
        assert reader.verify(case_id).ok
    other.tick(clock.now())
    resolved = desk.resolve(case_id, by="agent:kim", resolution="Fixed")
    assert resolved == other.case(case_id) == other.replay(case_id)
    after = other.store.load(case_id)
    assert after is not None
    assert after.data != before.data
    assert other.verify(case_id).ok


def test_a_tick_by_another_desk_does_not_confuse_a_cached_one(tmp_path: Path) -> None:
    url, desk, clock, case_id = _working_on_sqlite(tmp_path)
    clock.advance(hours=3)
    worker, _ = desk_at(url, clock.now())
    cached = desk.case(case_id).version
    assert len(worker.tick(clock.now())) == 2
    note = desk.note(case_id, by="agent:kim", text="still on it")  # decided on a cached version
    assert note.version == cached + 3
    assert [r.event.TYPE for r in desk.history(case_id)][-2:] == [
        "case.sla_warned",
        "case.note_added",
    ]
    assert desk.verify(case_id).ok


def test_verify_finds_a_document_left_behind_by_a_real_change(tmp_path: Path) -> None:
    _, desk, _, case_id = _working_on_sqlite(tmp_path)
    old = desk.store.load(case_id)
    assert old is not None
    desk.note(case_id, by="agent:kim", text="a real change")
    db = sqlite3.connect(tmp_path / "sla.db")
    with db:
        db.execute("UPDATE cases SET data = ? WHERE id = ?", (old.data, case_id))
    db.close()
    problems = desk.verify(case_id).problems
    assert problems == (
        f"the stored document is at version {old.version}, but event {old.version + 1} "
        "(case.note_added) changed the case after it",
    )


@pytest.mark.parametrize(
    ("paused_after", "status", "breaches"),
    [
        (timedelta(hours=4), "paused", 0),  # paused exactly at the target: within it
        (timedelta(hours=4, seconds=1), "breached", 1),  # paused a second past it
    ],
)
def test_a_clock_paused_at_its_target_has_not_breached(
    url: str, paused_after: timedelta, status: str, breaches: int
) -> None:
    """The report, the timers and the tick agree at the edge: found by the desk machine."""
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 Berlin, the office opens
    desk, clock = desk_at(url, monday)
    case_id = _working(desk)
    clock.advance(paused_after)
    desk.request_info(case_id, by="agent:kim", message="Which browser?")
    clock.advance(hours=3)
    recorded = desk.tick()
    resolution = desk.sla(case_id).current("resolution")
    assert resolution is not None
    assert resolution.status == status
    assert resolution.remaining == timedelta(hours=4) - paused_after
    fired = [r.event for r in recorded if isinstance(r.event, ev.SlaBreached)]
    assert [e.metric for e in fired if e.metric == "resolution"] == ["resolution"] * breaches


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    walk=strategies.case_walks(strategies.policies()),
    later=st.sampled_from([0, 1, 59, 60, 61, 240, 1440, 10 * 1440, 40 * 1440]),
)
def test_status_at_a_later_instant_is_the_status_a_report_then_gives(
    walk: strategies.CaseWalk, later: int
) -> None:
    """What kept KPI facts rely on: a report made at a case's last event tells every later
    status of its clocks, as long as no event comes in between."""
    events = strategies.history(walk)
    latest = max(e.at for e in events)
    then = latest + timedelta(minutes=later, microseconds=later % 2)
    early = sla.report(strategies.CASE_ID, events, walk.policy, latest)
    late = sla.report(strategies.CASE_ID, events, walk.policy, then)
    assert [c.status_at(then) for c in early.clocks] == [c.status for c in late.clocks]
    assert [c.due for c in early.clocks] == [c.due for c in late.clocks]
