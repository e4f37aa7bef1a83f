"""Problem management: candidates from repeats, the RCA workflow, recurrence, workarounds."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import ManualClock, ServiceDesk
from serviceflow.domain._events import Event
from serviceflow.errors import InvalidTransition, NotFound, ValidationError
from serviceflow.problems._decide import (
    Close,
    Command,
    Correct,
    Define,
    Gather,
    IdentifyRootCause,
    Link,
    Monitor,
    RecordKnownError,
    Recur,
    decide,
)
from serviceflow.problems._events import ProblemDefined
from serviceflow.problems._evolve import evolve
from serviceflow.problems._matching import Unlinked, common_fingerprint, group_similar
from serviceflow.problems._problem import CLOSED, DEFINED, MONITORING, ROOT_CAUSE, STATES, Problem
from serviceflow.problems._service import (
    Problems,
    check_recurrence,
    problem_candidates,
    report,
    unlinked_incidents,
    workarounds,
)
from serviceflow.problems._workflow import ALLOWED, DESTINATIONS, InvalidProblemTransition, mermaid
from serviceflow.rules._fingerprint import Fingerprint

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _printer(desk: ServiceDesk, n: int = 0) -> str:
    subjects = [
        "Printer on 3rd floor jams",
        "printer jammed again, paper stuck",
        "3rd floor printer paper jam",
        "Paper jams in the printer",
        "printer jam: paper stuck on floor 3",
    ]
    return desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject=subjects[n % len(subjects)],
        description="The printer jams with paper stuck",
        category="functional",
        fields={"ci": "PRN-3F"},
    ).id


def _other(desk: ServiceDesk, subject: str) -> str:
    return desk.submit(
        requester="acme/bob@acme.test", channel="email", subject=subject, category="access"
    ).id


def _three_repeats(desk: ServiceDesk, clock: ManualClock) -> list[str]:
    ids = []
    for n in range(3):
        ids.append(_printer(desk, n))
        _other(desk, ["VPN drops at night", "Password reset please", "Invoice total wrong"][n])
        clock.advance(days=1)
    return ids


def _defined(desk: ServiceDesk, clock: ManualClock) -> tuple[Problems, Problem, list[str]]:
    ids = _three_repeats(desk, clock)
    problems = Problems(desk)
    problem = problems.define(
        "Printer 3F jams",
        "Printer PRN-3F jams daily since 2 March; 3 incidents",
        case_ids=ids,
        by="lead:ana",
    )
    return problems, problem, ids


def test_end_to_end_found_from_repeats_fixed_recurring_and_closed(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    repeats = _three_repeats(desk, clock)
    (candidate,) = problem_candidates(desk)
    assert candidate.case_ids == tuple(repeats)
    assert candidate.fingerprint.category == "functional"
    assert candidate.fingerprint.item == "prn-3f"
    assert {"printer", "jam", "paper"} <= candidate.fingerprint.terms

    problems = Problems(desk)
    problem = problems.define(
        "Printer 3F jams",
        "PRN-3F jams daily since 2 March",
        case_ids=candidate.case_ids,
        by="lead:ana",
    )
    assert (problem.id, problem.state, problem.case_ids) == ("PRB-1", DEFINED, tuple(repeats))
    assert problem.fingerprint.item == "prn-3f"
    assert problem_candidates(desk) == []  # linked to an open problem now

    fourth = _printer(desk, 3)
    problems.link("PRB-1", [fourth], by="agent:kim", note="same jam")
    problems.known_error(
        "PRB-1", error="Fuser worn", workaround="Use PRN-2F meanwhile", by="agent:kim"
    )
    (seen,) = workarounds(desk, fourth)
    assert (seen.problem_id, seen.linked, seen.workaround) == (
        "PRB-1",
        True,
        "Use PRN-2F meanwhile",
    )
    new = _printer(desk, 4)
    (matched,) = problems.workarounds(new)
    assert (matched.linked, matched.problem_id) == (False, "PRB-1")
    assert matched.similarity >= 0.5
    assert workarounds(desk, _other(desk, "Cannot log in to VPN")) == []
    clock.advance(hours=1)

    problems.gather("PRB-1", "Jam counter logs: 40 jams/week in tray 2", by="agent:kim")
    problems.root_cause("PRB-1", "Worn fuser", evidence="Vendor inspection report", by="eng:li")
    problems.corrective_action("PRB-1", "Replaced fuser", evidence="Work order 77", by="eng:li")
    problem = problems.monitor("PRB-1", by="lead:ana", quiet_period=timedelta(days=14))
    assert problem.state == MONITORING
    assert problem.quiet_until == clock.now() + timedelta(days=14)

    clock.advance(days=3)
    check = check_recurrence(desk, "PRB-1")
    assert check.state == MONITORING  # the matching case above came before monitoring
    assert (check.recurring, check.may_close) == ((), False)
    again = _printer(desk, 0)
    check = problems.check_recurrence("PRB-1")
    assert (check.state, check.recurring) == (ROOT_CAUSE, (again,))
    problem = problems.get("PRB-1")
    assert again in problem.case_ids
    assert len(problem.recurrences) == 1

    problems.root_cause("PRB-1", "Worn fuser and damp paper", evidence="Humidity log", by="eng:li")
    problems.corrective_action("PRB-1", "Dehumidifier installed", evidence="WO 81", by="eng:li")
    problems.monitor("PRB-1", by="lead:ana", quiet_period=timedelta(days=14))
    clock.advance(days=10)
    before = problems.stored("PRB-1").version
    with pytest.raises(InvalidTransition, match="monitoring period has not passed"):
        problems.close("PRB-1", by="lead:ana", evidence="quiet")
    assert problems.stored("PRB-1").version == before
    clock.advance(days=5)
    assert problems.sweep() == [problems.check_recurrence("PRB-1")]
    assert problems.check_recurrence("PRB-1").may_close
    closed = problems.close("PRB-1", by="lead:ana", evidence="No jams for 15 days")
    assert closed.state == CLOSED
    assert closed.closed_at == clock.now()
    assert [s.step for s in closed.steps] == [
        "define",
        "link",
        "known_error",
        "gather",
        "root_cause",
        "corrective_action",
        "monitor",
        "recur",
        "root_cause",
        "corrective_action",
        "monitor",
        "close",
    ]
    assert workarounds(desk, fourth) == []  # a closed problem's workaround is no longer shown
    assert desk.verify("problem:PRB-1").ok

    summary = report(desk)
    assert summary.open == ()
    assert summary.by_state == ((CLOSED, 1),)
    assert summary.incidents_linked == 5
    assert summary.incidents_linked_open == 0
    (row,) = summary.recurrence
    assert (row.problem_id, row.corrective_actions, row.recurrences, row.recurring_incidents) == (
        "PRB-1",
        2,
        1,
        1,
    )
    assert (summary.corrected, summary.recurred, summary.recurrence_rate) == (1, 1, 1.0)


def test_close_is_refused_while_unrecorded_incidents_recur(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems, problem, _ = _defined(desk, clock)
    problems.gather(problem.id, "logs", by="a:b")
    problems.root_cause(problem.id, "cause", evidence="e", by="a:b")
    problems.corrective_action(problem.id, "fix", evidence="e", by="a:b")
    problems.monitor(problem.id, by="a:b", quiet_period=timedelta(days=1))
    _printer(desk, 1)
    clock.advance(days=2)
    before = problems.stored(problem.id).version
    with pytest.raises(InvalidProblemTransition, match="recurred") as caught:
        problems.close(problem.id, by="a:b", evidence="quiet?")
    assert str(caught.value).startswith(f"problem {problem.id}: cannot close")
    assert problems.stored(problem.id).version == before


def test_report_lists_open_problems_and_their_incidents(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems, problem, _ = _defined(desk, clock)
    problems.known_error(problem.id, error="e", workaround="w", by="a:b")
    clock.advance(days=2)
    summary = problems.report()
    (row,) = summary.open
    assert (row.id, row.state, row.incidents, row.known_error) == (problem.id, DEFINED, 3, True)
    assert row.age == clock.now() - problem.defined_at
    assert (summary.incidents_linked, summary.incidents_linked_open) == (3, 3)
    assert (summary.corrected, summary.recurrence_rate) == (0, None)
    assert [p.id for p in problems.all()] == [problem.id]


def test_bad_steps_unknown_ids_and_bad_input_are_clear_and_write_nothing(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems, problem, ids = _defined(desk, clock)
    version = problems.stored(problem.id).version
    with pytest.raises(InvalidProblemTransition, match="cannot monitor in state 'defined'"):
        problems.monitor(problem.id, by="a:b")
    with pytest.raises(InvalidTransition, match="allowed here: gather, link, record_known_error"):
        problems.corrective_action(problem.id, "x", evidence="y", by="a:b")
    with pytest.raises(ValidationError, match="evidence: must not be empty"):
        problems.gather(problem.id, "  ", by="a:b")
    with pytest.raises(ValidationError, match="by: must not be empty"):
        problems.gather(problem.id, "logs", by="")
    with pytest.raises(ValidationError, match="already linked"):
        problems.link(problem.id, ids[:1], by="a:b")
    with pytest.raises(NotFound, match="C-nope"):
        problems.link(problem.id, [ids[0], "C-nope"], by="a:b")
    with pytest.raises(ValidationError, match="quiet_period"):
        problems.monitor(problem.id, by="a:b", quiet_period=timedelta(0))
    assert problems.stored(problem.id).version == version
    with pytest.raises(NotFound, match="problem 'PRB-9'"):
        problems.get("PRB-9")
    with pytest.raises(NotFound, match="problem 'PRB-9'"):
        problems.gather("PRB-9", "logs", by="a:b")
    with pytest.raises(NotFound, match="case"):
        workarounds(desk, "C-missing")
    with pytest.raises(NotFound, match="missing"):
        problems.define("t", "s", case_ids=["missing"], by="a:b")
    with pytest.raises(ValidationError, match="title"):
        problems.define(" ", "s", by="a:b")
    with pytest.raises(InvalidTransition, match="cannot define"):
        problems.define("t", "s", by="a:b", problem_id=problem.id)
    with pytest.raises(ValidationError, match="min_cases"):
        problem_candidates(desk, min_cases=1)
    assert [p.id for p in problems.all()] == [problem.id]
    assert problems.stored(problem.id).version == version


def test_a_problem_without_cases_takes_its_terms_from_the_text(desk: ServiceDesk) -> None:
    problems = Problems(desk)
    first = problems.define("Mail delays", "Outbound mail queued for hours", by="a:b")
    second = problems.define("VPN", "drops", by="a:b", symptoms="vpn tunnel drops", item="vpn-gw")
    assert (first.id, second.id) == ("PRB-1", "PRB-2")
    assert {"mail", "delay", "queu"} <= first.terms
    assert second.fingerprint == Fingerprint(None, frozenset({"vpn", "tunnel", "drop"}), "vpn-gw")
    named = problems.define("Named", "x", by="a:b", problem_id="NET-7")
    assert problems.get("NET-7") == named


def test_candidates_respect_window_threshold_and_size(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    _three_repeats(desk, clock)
    assert problem_candidates(desk, min_cases=4) == []
    assert problem_candidates(desk, threshold=1.0) == []
    clock.advance(days=40)
    assert problem_candidates(desk) == []
    assert len(problem_candidates(desk, window=timedelta(days=60))) == 1


def test_group_similar_is_deterministic_and_picks_the_densest_centre() -> None:
    def fp(*words: str) -> Fingerprint:
        return Fingerprint("hw", frozenset(words), None)

    cases = [
        ("C-3", T0 + timedelta(hours=3), fp("printer", "jam")),
        ("C-1", T0 + timedelta(hours=1), fp("printer", "jam", "paper")),
        ("C-2", T0 + timedelta(hours=2), fp("printer", "jam", "tray")),
        ("C-4", T0 + timedelta(hours=4), fp("vpn", "drop")),
        ("C-5", T0 + timedelta(hours=5), fp("vpn", "drop", "night")),
    ]
    groups = group_similar(cases, min_cases=2)
    assert [g.case_ids for g in groups] == [("C-1", "C-2", "C-3"), ("C-4", "C-5")]
    assert groups == group_similar(list(reversed(cases)), min_cases=2)
    assert groups[0].first_at == T0 + timedelta(hours=1)
    assert groups[0].fingerprint.terms == {"printer", "jam"}
    assert group_similar(cases, min_cases=4) == []
    assert common_fingerprint([]) == Fingerprint(None, frozenset(), None)


def test_the_machine_reaches_every_state_and_draws_itself() -> None:
    reached = {DEFINED}
    frontier = [DEFINED]
    while frontier:
        state = frontier.pop()
        for (_trigger, source), dest in DESTINATIONS.items():
            if source == state and dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(STATES)
    assert ALLOWED[CLOSED] == ()
    assert "monitoring --> root_cause : recur" in mermaid()
    assert "close [quiet_period_passed, no_recurrence]" in mermaid()


_COMMANDS: list[Command] = [
    Link(case_ids=("C-9",), by="a:b"),
    Gather(evidence="logs", by="a:b"),
    IdentifyRootCause(cause="c", evidence="e", by="a:b"),
    Correct(action="a", evidence="e", by="a:b"),
    Monitor(by="a:b", quiet_period=timedelta(days=1)),
    Recur(case_ids=("C-8",), evidence="back", by="a:b"),
    Close(evidence="quiet", by="a:b"),
    RecordKnownError(error="e", workaround="w", by="a:b"),
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_COMMANDS), st.integers(0, 3)), max_size=30))
def test_replay_equals_live_and_refusals_change_nothing(
    steps: list[tuple[Command, int]],
) -> None:
    now = T0
    define = Define(problem_id="PRB-1", title="t", statement="s", by="a:b", case_ids=("C-1",))
    events: list[Event] = decide(None, define, now=now, policy="p")
    live = evolve(None, events[0])
    for command, days in steps:
        now += timedelta(days=days)
        try:
            new = decide(live, command, now=now, policy="p")
        except (InvalidTransition, ValidationError):
            continue
        for event in new:
            assert DESTINATIONS[(event.TRIGGER, live.state)] in STATES
            live = evolve(live, event)
        events.extend(new)
    replayed: Problem | None = None
    for event in events:
        replayed = evolve(replayed, event)
    assert replayed == live
    assert live.state in STATES


def _monitored(desk: ServiceDesk, clock: ManualClock, quiet: timedelta) -> tuple[Problems, Problem]:
    problems, problem, _ = _defined(desk, clock)
    problems.gather(problem.id, "logs", by="a:b")
    problems.root_cause(problem.id, "cause", evidence="e", by="a:b")
    problems.corrective_action(problem.id, "fix", evidence="e", by="a:b")
    return problems, problems.monitor(problem.id, by="a:b", quiet_period=quiet)


_WRITES = (
    "define",
    "link",
    "gather",
    "root_cause",
    "corrective_action",
    "monitor",
    "recur",
    "close",
    "known_error",
    "check_recurrence",
    "sweep",
)


def test_writes_take_their_time_from_the_desk_clock_only(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    # regression: close(now=T0 + 30d) used to close a 7-day-quiet problem at once, in the future
    for name in _WRITES:
        assert "now" not in inspect.signature(getattr(Problems, name)).parameters, name
    assert "now" not in inspect.signature(check_recurrence).parameters
    for name in ("candidates", "report", "recurring", "unlinked"):  # reads keep a view time
        assert "now" in inspect.signature(getattr(Problems, name)).parameters, name
    problems, problem = _monitored(desk, clock, timedelta(days=7))
    version = problems.stored(problem.id).version
    with pytest.raises(TypeError, match="now"):
        problems.close(problem.id, by="a:b", evidence="quiet", now=T0 + timedelta(days=30))  # type: ignore[call-arg]
    clock.advance(days=1)
    with pytest.raises(InvalidProblemTransition, match="monitoring period has not passed"):
        problems.close(problem.id, by="a:b", evidence="quiet")
    assert not problems.check_recurrence(problem.id).may_close
    assert problems.stored(problem.id).version == version
    clock.advance(days=7)
    closed = problems.close(problem.id, by="a:b", evidence="quiet for 8 days")
    assert closed.closed_at == clock.now()
    # a read may still look at another time
    assert problems.report(now=clock.now() + timedelta(days=1)).at > clock.now()


def test_define_casefolds_the_item_and_checks_the_category(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems = Problems(desk)
    problem = problems.define(
        "Printer 3F jams",
        "PRN-3F jams",
        by="a:b",
        category="functional",
        item="  PRN-3F ",
        symptoms="printer paper jam",
    )
    assert problem.item == "prn-3f"
    problems.known_error(problem.id, error="Fuser", workaround="Use 2F", by="a:b")
    (seen,) = workarounds(desk, _printer(desk))  # the case's ci PRN-3F matches now
    assert (seen.problem_id, seen.linked) == (problem.id, False)
    with pytest.raises(ValidationError, match="category: 'nonsense-cat' is not a category") as bad:
        problems.define("t", "s", by="a:b", category="nonsense-cat")
    assert "expected one of access, billing, functional, howto, outage" in str(bad.value)
    with pytest.raises(ValidationError, match="item: must not be empty") as both:
        problems.define(" ", "s", by="a:b", item="   ", category="nope")
    assert len(both.value.problems) == 3  # title, item and category, listed together
    with pytest.raises(ValidationError, match="item: 201 characters"):
        problems.define("t", "s", by="a:b", item="x" * 201)
    assert [p.id for p in problems.all()] == [problem.id]
    assert list(desk.store.streams("problem:")) == [f"problem:{problem.id}"]
    # the pure decide casefolds too, and streams written before the fix fold casefolded
    (event,) = decide(
        None,
        Define(problem_id="PRB-7", title="t", statement="s", by="a:b", item="PRN-3F"),
        now=T0,
        policy="p",
    )
    assert isinstance(event, ProblemDefined)
    assert event.item == "prn-3f"
    old = ProblemDefined(
        problem_id="PRB-8", title="t", statement="s", item="PRN-3F", at=T0, by="a:b", policy="p"
    )
    assert evolve(None, old).item == "prn-3f"


def test_new_incidents_of_an_open_problem_are_not_a_new_candidate(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    # regression: the weekly review suggested a problem for incidents of one already open
    problems, problem, linked = _defined(desk, clock)
    new = [_printer(desk, n) for n in range(3)]
    assert problem_candidates(desk) == []
    (match,) = unlinked_incidents(desk)
    assert match == Unlinked(
        problem_id=problem.id, title=problem.title, state=DEFINED, case_ids=tuple(new)
    )
    assert match.advice == f"3 incident(s) match open problem {problem.id}: link them to it"
    assert problems.unlinked() == [match]
    assert not set(linked) & set(match.case_ids)
    problems.link(problem.id, new, by="a:b")
    assert unlinked_incidents(desk) == []
    with pytest.raises(ValidationError, match=r"unlinked incidents:\n  - window"):
        unlinked_incidents(desk, window=timedelta(0))


def test_incidents_like_a_closed_problem_are_a_candidate_again(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems, problem = _monitored(desk, clock, timedelta(days=1))
    clock.advance(days=2)
    problems.close(problem.id, by="a:b", evidence="quiet")
    new = [_printer(desk, n) for n in range(3)]
    (candidate,) = problem_candidates(desk, window=timedelta(days=1))
    assert candidate.case_ids == tuple(new)
    assert unlinked_incidents(desk) == []


def test_monitored_problem_matches_advise_a_recurrence_check(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    problems, problem = _monitored(desk, clock, timedelta(days=7))
    again = _printer(desk)
    (match,) = problems.unlinked()
    assert (match.problem_id, match.state, match.case_ids) == (problem.id, MONITORING, (again,))
    assert match.advice.endswith("check recurrence of it")


def test_new_ids_look_only_at_problem_streams(
    desk: ServiceDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    streams = desk.store.streams

    def spy(prefix: str = "") -> object:
        asked.append(prefix)
        return streams(prefix)

    _other(desk, "VPN drops")
    monkeypatch.setattr(desk.store, "streams", spy)
    assert Problems(desk).define("t", "s", by="a:b").id == "PRB-1"
    assert asked == ["problem:PRB-"]
