"""KPIs from histories: every definition of docs/metrics.md on a hand-built log whose
numbers are worked out by hand, then the same through a desk on each store."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import ManualClock, ServiceDesk, ValidationError, load_policy
from serviceflow.analytics._case_summary import decoded
from serviceflow.analytics._kept_facts import decode_facts, facts_key
from serviceflow.analytics._kpi_set import NO_SERVICE_LEVEL, NONE, Compliance, KpiReport, Rate
from serviceflow.analytics._metrics import compute_kpis, kpis
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.eventlog._store import FactsRecord
from serviceflow.testing import strategies

from ..conftest import walk_to

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday 09:00 UTC."""
END = T0 + timedelta(days=1, hours=3)
H = timedelta(hours=1)
M = timedelta(minutes=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
POLICY = load_policy(
    {
        "calendars": {"office": {"zone": "UTC", "week": {d: ["09:00-17:00"] for d in WEEKDAYS}}},
        "sla": [
            {
                "name": "standard",
                "calendar": "office",
                "targets": {
                    "first_response": {"within": "1h", "time": "calendar", "warnings": []},
                    "resolution": {"within": "8h", "time": "calendar", "warnings": []},
                },
            }
        ],
    }
)


class _Case:
    """A hand-written history: each step an event at an offset from T0."""

    def __init__(self, case_id: str, requester: str, at: timedelta, **submitted: Any) -> None:
        self.id = case_id
        fields: dict[str, Any] = {"channel": "email", "tier": "standard", "subject": "s"}
        fields.update(submitted)
        self.events: list[ev.Event] = [
            ev.Submitted(case_id=case_id, requester=requester, **fields, **self.meta(at))
        ]

    @staticmethod
    def meta(at: timedelta, by: str = "agent:kim") -> dict[str, Any]:
        return {"at": T0 + at, "by": by, "policy": POLICY.version}

    def add(self, cls: type[ev.Event], at: timedelta, by: str = "agent:kim", **data: Any) -> _Case:
        self.events.append(cls(**data, **self.meta(at, by)))
        return self

    def triaged(self, at: timedelta, category: str, priority: str, *, sla: bool = True) -> _Case:
        if sla:
            self.add(ev.SlaApplied, at, level="standard", reason="fallback")
        self.add(ev.Classified, at, category=category, kind="incident")
        return self.add(ev.Prioritized, at, priority=priority, rule="matrix", reason="r")


def _log() -> list[list[ev.Event]]:
    a = (
        _Case("A", "acme/jane@acme.test", timedelta(0))
        .triaged(timedelta(0), "billing", "medium")
        .add(ev.Assigned, 5 * M, assignee="agent:kim", queue="front")
        .add(ev.Acknowledged, 10 * M, message="hi")
        .add(ev.Resolved, H, resolution="fixed")
        .add(ev.Validated, H)
        .add(ev.Confirmed, H, by="client:jane@acme.test")
        .add(ev.Closed, 2 * H, by="system", reason="confirmed")
        .add(ev.SurveyRecorded, 3 * H, by="client:jane@acme.test", survey="csat", score=5)
        .add(ev.SurveyRecorded, 3 * H, by="client:jane@acme.test", survey="nps", score=10)
        .add(ev.SurveyRecorded, 3 * H, by="client:jane@acme.test", survey="ces", score=2)
        .add(ev.Reopened, timedelta(days=3), reason="after the period: not counted")
    )
    b = (
        _Case("B", "acme/bob@acme.test", timedelta(0), channel="phone")
        .triaged(timedelta(0), "billing", "high")
        .add(ev.Assigned, 5 * M, assignee="agent:kim", queue="front")
        .add(ev.Acknowledged, 2 * H, message="late")
        .add(ev.InfoRequested, 3 * H, message="which?")
        .add(ev.ClientReplied, 4 * H, by="client:bob@acme.test", message="this")
        .add(ev.Resolved, 10 * H, resolution="fixed")
        .add(ev.SurveyRecorded, 11 * H, by="client:bob@acme.test", survey="csat", score=2)
        .add(ev.SurveyRecorded, 11 * H, by="client:bob@acme.test", survey="nps", score=5)
    )
    c = (
        _Case("C", "beta/ann@beta.test", H)
        .triaged(H, "network", "medium", sla=False)
        .add(ev.Assigned, H, assignee="agent:kim", queue="front")
        .add(ev.Assigned, 90 * M, assignee="agent:ann", previous="agent:kim", queue="tech")
        .add(ev.Acknowledged, 90 * M, by="agent:ann", message="on it")
        .add(ev.Resolved, 3 * H, by="agent:ann", resolution="fixed")
        .add(ev.Reopened, 4 * H, by="client:ann@beta.test", reason="still broken")
        .add(ev.Resolved, 5 * H, by="agent:ann", resolution="fixed again")
    )
    d = _Case("D", "acme/jane@acme.test", timedelta(days=1)).triaged(
        timedelta(days=1), "billing", "medium"
    )
    e = _Case("E", "gamma/eve@gamma.test", 2 * H).add(
        ev.Cancelled, 150 * M, by="client:eve@gamma.test", reason="never mind"
    )
    return [case.events for case in (a, b, c, d, e)]


def test_overall_kpis_match_the_hand_computed_figures() -> None:
    report = compute_kpis(_log(), POLICY, start=T0, end=END)
    k = report.overall
    assert (k.cases, k.submitted, k.resolved, k.closed, k.cancelled) == (5, 5, 3, 1, 1)
    assert k.first_response.calendar.count == 3
    assert (k.first_response.calendar.minimum, k.first_response.calendar.maximum) == (600, 7200)
    assert k.first_response.calendar.p50 == 1800
    assert k.first_response.business.maximum == 7200
    assert k.resolution.calendar.mean == (3600 + 36000 + 7200) / 3
    assert k.resolution.business.maximum == 8 * 3600  # 09:00-19:00 holds 8 office hours
    full = k.full_resolution.calendar
    assert (full.minimum, full.maximum) == (3600, 36000)
    assert k.full_resolution.calendar.p50 == 14400  # C: to its second resolution
    assert (k.fcr.numerator, k.fcr.denominator) == (1, 3)
    assert (k.reopened.numerator, k.transferred.numerator) == (1, 1)
    assert (k.repeat.numerator, k.repeat.denominator) == (1, 5)
    assert k.effort.mean == pytest.approx(1 / 3)
    assert (k.escalated.numerator, k.escalated.denominator) == (0, 5)
    assert k.backlog.open == 1
    assert k.backlog.age.p50 == 3 * 3600
    assert k.backlog.buckets[0] == ("< 1 day", 1)
    first, resolution = k.compliance("first_response"), k.compliance("resolution")
    assert first is not None
    assert resolution is not None
    # C has no service level: its clocks never ran, so they are not counted
    assert (first.met, first.breached, first.open) == (1, 2, 0)
    assert (resolution.met, resolution.breached, resolution.open) == (1, 1, 1)
    assert resolution.rate == 0.5
    assert (k.sla_all.numerator, k.sla_all.denominator) == (2, 5)
    assert (k.surveys.csat.numerator, k.surveys.csat.denominator) == (1, 2)
    assert (k.surveys.promoters, k.surveys.passives, k.surveys.detractors) == (1, 0, 1)
    assert k.surveys.nps == 0
    assert k.surveys.ces.mean == 2
    assert [(day.isoformat(), n) for day, n in report.volume] == [
        ("2026-03-02", 4),
        ("2026-03-03", 1),
    ]


def test_slices_split_the_cases_by_their_value_at_the_end() -> None:
    report = compute_kpis(_log(), POLICY, start=T0, end=END, by="priority")
    assert list(report.slices) == [NONE, "high", "medium"]
    medium = report.slices["medium"]
    assert (medium.submitted, medium.resolved, medium.fcr.numerator) == (3, 2, 1)
    assert report.slices[NONE].cancelled == 1
    by_team = compute_kpis(_log(), POLICY, start=T0, end=END, by="team")
    assert by_team.slices["tech"].resolved == 1
    by_agent = compute_kpis(_log(), POLICY, start=T0, end=END, by="agent")
    assert by_agent.slices["agent:ann"].reopened.numerator == 1


def test_a_later_period_sees_only_what_happened_in_it() -> None:
    start = T0 + timedelta(days=1)
    k = compute_kpis(_log(), POLICY, start=start, end=END).overall
    assert (k.submitted, k.resolved, k.closed) == (1, 0, 0)
    assert k.first_response.calendar.count == 0
    assert k.backlog.open == 1
    first = k.compliance("first_response")
    assert first is not None
    assert (first.met, first.breached) == (0, 1)


def _escalated(*, returned: bool = True) -> _Case:
    """Case X: escalated to technical after an hour, returned to frontline at 3 h."""
    case = (
        _Case("X", "acme/x@acme.test", timedelta(0))
        .triaged(timedelta(0), "billing", "high")
        .add(ev.Assigned, timedelta(0), assignee="agent:kim")
        .add(
            ev.Escalated,
            H,
            from_tier="frontline",
            to_tier="technical",
            kind="hierarchical",
            trigger="manual",
            reason="r",
            message="m",
        )
    )
    if returned:
        case.add(ev.Deescalated, 3 * H, from_tier="technical", to_tier="frontline", reason="r")
    return case


def test_time_in_each_escalation_tier() -> None:
    case = _escalated()
    k = compute_kpis([case.events], POLICY, start=T0, end=T0 + 5 * H).overall
    assert k.escalated.numerator == 1
    assert k.tier_time["technical"].p50 == 2 * 3600
    frontline = k.tier_time["frontline"]
    assert (frontline.minimum, frontline.maximum) == (3600, 2 * 3600)


def test_quality_reviews_score_criteria_as_shares_of_their_maximum() -> None:
    case = _Case("Q", "acme/q@acme.test", timedelta(0)).add(
        ev.QualityReviewed,
        H,
        by="qa:lee",
        rubric="standard",
        agent="agent:kim",
        scores={"greeting": 1, "accuracy": 4},
        total=75.0,
    )
    report = compute_kpis(
        [case.events],
        POLICY,
        end=END,
        max_criteria={"standard": {"greeting": 2, "accuracy": 4}},
    )
    assert report.overall.quality.reviews == 1
    assert report.overall.quality.criteria == {"accuracy": 1.0, "greeting": 0.5}


def test_bad_period_or_dimension_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"start .* is not before end"):
        compute_kpis([], POLICY, start=END, end=T0)
    with pytest.raises(ValidationError, match="by: 'colour' is not one of category"):
        compute_kpis([], POLICY, end=END, by="colour")
    with pytest.raises(ValidationError, match="calendar: 'moon' is not one of"):
        compute_kpis([], POLICY, end=END, calendar="moon")


def test_report_is_plain_json() -> None:
    data = compute_kpis(_log(), POLICY, start=T0, end=END, by="channel").as_dict()
    text = json.dumps(data)
    assert (
        '"fcr": {"numerator": 1, "denominator": 3, "value": 0.3333333333333333, "reason": null}'
        in text
    )
    assert data["slices"]["phone"]["submitted"] == 1
    assert data["overall"]["sla"][0]["rate"] == pytest.approx(1 / 3)
    assert data["overall"]["sla_all"] == {
        "numerator": 2,
        "denominator": 5,
        "value": 0.4,
        "reason": None,
    }


NO_SLA = load_policy({})
"""A policy without any service level."""


def imported(case_id: str, *, breached: bool) -> list[ev.Event]:
    """An imported case without a service level, resolved at 2 h, its log's verdict a
    resolution breach or nothing."""
    case = (
        _Case(case_id, f"acme/{case_id}@acme.test", timedelta(0), source=f"log.csv:{case_id}")
        .triaged(timedelta(0), "billing", "medium", sla=False)
        .add(ev.Assigned, 5 * M, assignee="agent:kim")
        .add(ev.Acknowledged, 10 * M, message="hi")
        .add(ev.Resolved, 2 * H, resolution="fixed")
    )
    if breached:
        case.add(ev.SlaBreached, 2 * H, metric="resolution", cycle=1)
    return case.events


def unlevelled() -> list[list[ev.Event]]:
    """Cases C (resolved twice) and E (cancelled) of ``_log``: neither has a service level."""
    log = _log()  # A, B, C, D, E
    return [log[2], log[4]]


def test_a_desk_without_service_levels_counts_no_sla_clock(store_url: str) -> None:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, policy=NO_SLA, clock=clock, entry_points=False) as desk:
        for state in ("closed", "resolved", "in_progress"):
            walk_to(desk, state)
            clock.advance(H)
        k = kpis(desk).overall
    assert (k.submitted, k.resolved, k.closed) == (3, 2, 1)
    assert k.sla == ()
    assert k.sla_all == Rate(0, 0, NO_SERVICE_LEVEL)
    assert k.sla_all.value is None


def test_cases_without_a_service_level_count_no_sla_clock() -> None:
    k = compute_kpis(unlevelled(), POLICY, start=T0, end=END).overall
    assert (k.resolved, k.cancelled) == (1, 1)
    assert k.sla == ()
    assert k.sla_all.reason == NO_SERVICE_LEVEL
    data = compute_kpis(unlevelled(), POLICY, start=T0, end=END).as_dict()["overall"]
    assert data["sla"] == []
    assert data["sla_all"] == {
        "numerator": 0,
        "denominator": 0,
        "value": None,
        "reason": NO_SERVICE_LEVEL,
    }


def test_clocks_still_open_leave_the_rate_undecided() -> None:
    d = [_log()[3]]
    k = compute_kpis(d, POLICY, start=T0, end=T0 + timedelta(days=1, minutes=30)).overall
    assert [(c.metric, c.met, c.breached, c.open) for c in k.sla] == [
        ("first_response", 0, 0, 1),
        ("resolution", 0, 0, 1),
    ]
    assert k.sla_all == Rate(0, 0, "no SLA clock decided in the period")


def test_imported_cases_count_the_sla_verdicts_their_log_records_and_no_others() -> None:
    log = [imported("I1", breached=True), imported("I2", breached=False)]
    k = compute_kpis(log, POLICY, start=T0, end=END).overall
    # the log records resolution verdicts: I2 met it; it records no first-response verdict
    assert [(c.metric, c.met, c.breached, c.open) for c in k.sla] == [("resolution", 1, 1, 0)]
    mixed = compute_kpis([*_log(), *log], POLICY, start=T0, end=END).overall
    resolution = mixed.compliance("resolution")
    assert resolution == Compliance("resolution", 2, 2, 1), "C (not imported) still left out"
    silent = compute_kpis([imported("I2", breached=False)], POLICY, start=T0, end=END).overall
    assert silent.sla == (), "a log without a breach cannot tell met from never measured"
    assert silent.sla_all.reason == NO_SERVICE_LEVEL


def test_imported_cases_are_left_out_of_the_escalation_rate() -> None:
    only = compute_kpis([imported("I1", breached=False)], POLICY, start=T0, end=END).overall
    assert only.submitted == 1
    assert only.escalated == Rate(0, 0, "imported cases record no escalations")
    mixed = compute_kpis([*_log(), imported("I1", breached=False)], POLICY, start=T0, end=END)
    escalated = mixed.overall.escalated
    assert (escalated.numerator, escalated.denominator) == (0, 5)
    assert mixed.overall.submitted == 6


def test_a_rate_without_anything_to_count_says_why() -> None:
    k = compute_kpis([], POLICY, end=END).overall
    reasons = {
        name: getattr(k, name).reason for name in ("fcr", "reopened", "transferred", "repeat")
    }
    assert reasons == {
        "fcr": "no case resolved in the period",
        "reopened": "no case resolved in the period",
        "transferred": "no case resolved in the period",
        "repeat": "no case submitted in the period",
    }
    assert k.escalated.reason == "no case submitted in the period"
    assert k.surveys.csat.reason == "no CSAT answer in the period"
    assert k.sla_all.reason == "no case in the period"
    assert Rate(1, 2, "unused").as_dict()["reason"] is None, "a reason only without a value"


@pytest.fixture
def busy_desk(store_url: str) -> Iterator[tuple[ServiceDesk, ManualClock]]:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, clock=clock, entry_points=False) as desk:
        yield desk, clock


def test_kpis_of_a_desk_read_its_store(busy_desk: tuple[ServiceDesk, ManualClock]) -> None:
    desk, clock = busy_desk
    walk_to(desk, "closed")
    clock.advance(H)
    walk_to(desk, "resolved")
    clock.advance(H)
    walk_to(desk, "in_progress")
    clock.advance(H)
    report = kpis(desk, by="category")
    k = report.overall
    assert (k.submitted, k.resolved, k.closed, k.backlog.open) == (3, 2, 1, 1)
    assert report.end == clock.now() + timedelta(microseconds=1)
    assert list(report.slices) == ["billing"]
    later = kpis(desk, start=clock.now(), end=clock.now() + H).overall
    assert (later.submitted, later.resolved, later.backlog.open) == (0, 0, 1)


# --- kept facts ----------------------------------------------------------------------------


def _from_events(desk: ServiceDesk, **period: Any) -> KpiReport:
    """The reference: the same KPIs worked out from every stored event."""
    period.setdefault("end", desk.clock.now() + timedelta(microseconds=1))
    return compute_kpis(decoded(desk.store.histories()), desk.policy, **period)


def _kept(desk: ServiceDesk) -> dict[str, bool]:
    """Which cases the store gives as kept facts (for a period ending after now)."""
    key = facts_key(desk.policy)
    end = iso(desk.clock.now() + H)
    return {
        item.case_id if isinstance(item, FactsRecord) else item[0].stream: isinstance(
            item, FactsRecord
        )
        for item in desk.store.histories_or_facts(key, submitted_before=end)
    }


def test_a_pass_keeps_each_case_facts_and_the_next_reads_them(store_url: str) -> None:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, policy=POLICY, clock=clock, entry_points=False) as desk:
        states = ("closed", "resolved", "in_progress", "intake")
        ids = [walk_to(desk, state) for state in states]
        clock.advance(H / 2)
        assert set(_kept(desk).values()) == {False}
        first = kpis(desk, by="category")
        assert _kept(desk) == dict.fromkeys(ids, True)
        assert kpis(desk, by="category") == first == _from_events(desk, by="category")
        clock.advance(10 * H)  # the open clocks breach meanwhile: no event, the same facts
        later = kpis(desk, by="priority")
        assert later == _from_events(desk, by="priority")
        assert first.overall.compliance("resolution") == Compliance("resolution", 2, 0, 2)
        assert later.overall.compliance("resolution") == Compliance("resolution", 2, 2, 0)


def test_a_case_that_moved_on_is_worked_out_again(
    busy_desk: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy_desk
    moving, resting = walk_to(desk, "in_progress"), walk_to(desk, "closed")
    kpis(desk)
    clock.advance(H)
    desk.resolve(moving, resolution="fixed", by="agent:kim")
    clock.advance(H)
    assert _kept(desk) == {moving: False, resting: True}
    assert kpis(desk) == _from_events(desk)
    assert _kept(desk) == {moving: True, resting: True}


def test_a_period_that_ends_before_a_case_last_changed_reads_its_events(
    busy_desk: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy_desk
    case_id = walk_to(desk, "assigned")
    middle = clock.now() + H
    clock.advance(2 * H)
    desk.acknowledge(case_id, message="on it", by="agent:kim")
    clock.advance(H)
    kpis(desk)
    assert _kept(desk) == {case_id: True}
    early = kpis(desk, end=middle)
    assert early == _from_events(desk, end=middle)
    assert early.overall.first_response.calendar.count == 0, "the reply came after the end"


def test_another_policy_works_the_facts_out_again(store_url: str) -> None:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, clock=clock, entry_points=False) as desk:
        walk_to(desk, "closed")
        clock.advance(H)
        before = kpis(desk)
        store = desk.store
        desk.policy = POLICY  # what a desk opened on the same store with other rules sees
        assert set(_kept(desk).values()) == {False}
        assert kpis(desk) == _from_events(desk)
        assert set(_kept(desk).values()) == {True}
        assert desk.store is store
        assert before.overall.cases == 1


def test_remember_false_keeps_nothing(busy_desk: tuple[ServiceDesk, ManualClock]) -> None:
    desk, clock = busy_desk
    walk_to(desk, "closed")
    clock.advance(H)
    assert kpis(desk, remember=False) == _from_events(desk)
    assert set(_kept(desk).values()) == {False}


def test_damaged_kept_facts_are_worked_out_again_and_replaced(
    busy_desk: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy_desk
    case_id = walk_to(desk, "closed")
    clock.advance(H)
    good = kpis(desk)
    version = desk.case(case_id).version
    desk.store.save_facts([FactsRecord(case_id, version, facts_key(desk.policy), '{"oops": 1}')])
    assert kpis(desk) == good
    (kept,) = desk.store.histories_or_facts(facts_key(desk.policy))
    assert isinstance(kept, FactsRecord)
    assert decode_facts(kept.data)[0].case_id == case_id


def test_a_kpi_pass_in_its_arguments_fails_before_it_reads_or_keeps(
    busy_desk: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy_desk
    walk_to(desk, "closed")
    clock.advance(H)
    with pytest.raises(ValidationError, match="by: 'colour'"):
        kpis(desk, by="colour")
    assert set(_kept(desk).values()) == {False}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    walk=strategies.case_walks(strategies.policies(), max_steps=10),
    ends=st.lists(st.sampled_from([30, 600, 1440, 5 * 1440, 60 * 1440]), min_size=2, max_size=4),
)
def test_kept_facts_give_the_kpis_the_events_give(
    walk: strategies.CaseWalk, ends: list[int]
) -> None:
    """Whatever the case went through and whichever periods are asked for in turn."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'walk.db'}"
        strategies.replay(walk, url, entry_points=False)
        clock = ManualClock(strategies.START)
        with ServiceDesk.open(url, policy=walk.policy, clock=clock, entry_points=False) as desk:
            for minutes in ends:
                end = strategies.START + timedelta(minutes=minutes)
                assert kpis(desk, end=end, by="priority") == _from_events(
                    desk, end=end, by="priority"
                )
