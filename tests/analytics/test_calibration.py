"""Calibration: reviewers of the same cases compared, on a hand-computed session."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ValidationError, load_policy
from serviceflow.analytics._calibration import Spread, calibration
from serviceflow.cli._main import cli
from serviceflow.domain import _events as ev

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = load_policy(
    """
    [quality]
    calibration_tolerance = 10

    [[quality.rubrics]]
    name = "email"
    criteria = [
      { name = "accurate", weight = 1, kind = "compliance", max = 10 },
      { name = "empathy", weight = 1, kind = "soft_skill", max = 10 },
    ]
    """
)
REVIEWS = {
    # case: reviewer → (accurate, empathy); total = (a + e) / 20 × 100
    "C1": {"qa:ann": (8, 8), "qa:bob": (7, 7), "qa:cid": (10, 9)},  # 80, 70, 95
    "C2": {"qa:ann": (6, 6), "qa:bob": (7, 6)},  # 60, 65
    "C3": {"qa:cid": (5, 5)},  # 50, alone
}


def submitted(case_id: str) -> ev.Submitted:
    return ev.Submitted(
        case_id=case_id,
        requester="jane@acme.test",
        channel="email",
        subject="Refund",
        tier="standard",
        at=T0,
        by="client:jane@acme.test",
        policy="p",
    )


def reviewed(by: str, points: tuple[int, int], session: str | None, minutes: int = 0) -> ev.Event:
    scores: Mapping[str, int] = {"accurate": points[0], "empathy": points[1]}
    return ev.QualityReviewed(
        rubric="email",
        agent="agent:kim",
        scores=scores,
        total=(points[0] + points[1]) * 5.0,
        session=session,
        at=T0 + timedelta(days=1, minutes=minutes),
        by=by,
        policy="p",
    )


def histories(session: str = "march") -> list[list[ev.Event]]:
    found = []
    for case_id, reviews in REVIEWS.items():
        events: list[ev.Event] = [submitted(case_id)]
        events += [reviewed(by, points, session) for by, points in reviews.items()]
        events.append(reviewed("qa:dan", (1, 1), "april"))  # another session
        events.append(reviewed("qa:eve", (2, 2), None))  # outside sessions
        found.append(events)
    found.append([submitted("C4")])  # no review at all
    return found


def test_spread_is_min_max_range_and_population_deviation() -> None:
    spread = Spread.of([80.0, 70.0, 95.0])
    assert (spread.count, spread.min, spread.max, spread.range) == (3, 70.0, 95.0, 25.0)
    # mean 81.67; squared gaps 2.78 + 136.11 + 177.78 = 316.67; / 3 = 105.56
    assert spread.stdev == pytest.approx(math.sqrt(316.6667 / 3), abs=1e-3)
    assert Spread.of([5.0]).stdev == 0.0


def test_a_session_is_compared_case_by_case() -> None:
    report = calibration(histories(), "march", quality=POLICY.quality)
    assert report.session == "march"
    assert report.tolerance == 10
    assert [c.case_id for c in report.cases] == ["C1", "C2", "C3"]
    c1, c2, c3 = report.cases
    assert [(r.reviewer, r.total) for r in c1.reviews] == [
        ("qa:ann", 80.0),
        ("qa:bob", 70.0),
        ("qa:cid", 95.0),
    ]
    assert (c1.rubric, c1.agent) == ("email", "agent:kim")
    assert (c1.spread.min, c1.spread.max, c1.spread.range) == (70.0, 95.0, 25.0)
    assert c1.spread.stdev == pytest.approx(10.274, abs=1e-3)
    # pairs: ann–bob 10 (agree: within 10), ann–cid 15, bob–cid 25
    assert (c1.pairs, c1.agreeing) == (3, 1)
    assert c1.agreement == pytest.approx(1 / 3)
    # deviation from the others' mean: ann 80 − 82.5, bob 70 − 87.5, cid 95 − 75
    assert [r.deviation for r in c1.reviews] == [-2.5, -17.5, 20.0]
    accurate, empathy = c1.criteria
    assert (accurate.criterion, accurate.kind, accurate.max) == ("accurate", "compliance", 10)
    assert (accurate.spread.min, accurate.spread.max, accurate.range_share) == (7, 10, 0.3)
    assert empathy.range_share == pytest.approx(0.2)
    assert empathy.stdev_share == pytest.approx(math.sqrt(2 / 3) / 10)
    assert (c2.pairs, c2.agreeing, c2.spread.range) == (1, 1, 5.0)
    assert [r.deviation for r in c2.reviews] == [-5.0, 5.0]
    assert (c3.pairs, c3.agreement, c3.reviews[0].deviation) == (0, None, None)


def test_overall_agreement_and_the_reviewer_who_drifts() -> None:
    report = calibration(histories(), "march", quality=POLICY.quality)
    assert (report.reviews, report.pairs, report.agreeing, report.agreement) == (6, 4, 2, 0.5)
    assert report.mean_range == 15.0, "(25 + 5) / 2: the case reviewed alone does not count"
    assert report.max_range == 25.0
    ann, bob, cid = report.reviewers
    assert (ann.reviewer, ann.cases, ann.compared, ann.mean_total) == ("qa:ann", 2, 2, 70.0)
    assert ann.mean_deviation == -3.75  # (−2.5 − 5) / 2
    assert ann.mean_absolute_deviation == 3.75
    assert not ann.drifting
    assert bob.mean_deviation == -6.25  # (−17.5 + 5) / 2
    assert bob.mean_absolute_deviation == 11.25
    assert not bob.drifting, "harsh on C1, lenient on C2: no steady drift"
    assert (cid.cases, cid.compared, cid.mean_total) == (2, 1, 72.5)
    assert cid.mean_deviation == 20.0
    assert cid.drifting, "20 points above the others, beyond the tolerance of 10"
    criteria = {c.criterion: c for c in report.criteria}
    assert criteria["accurate"].cases == 2
    assert criteria["accurate"].mean_range_share == pytest.approx((0.3 + 0.1) / 2)
    assert criteria["accurate"].max_range_share == pytest.approx(0.3)
    assert criteria["empathy"].mean_range_share == pytest.approx(0.1)


def test_the_report_as_json() -> None:
    data = calibration(histories(), "march", quality=POLICY.quality).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["summary"] == {
        "cases": 3,
        "reviews": 6,
        "reviewers": ["qa:ann", "qa:bob", "qa:cid"],
        "pairs": 4,
        "agreeing": 2,
        "agreement": 0.5,
        "mean_range": 15.0,
        "max_range": 25.0,
        "mean_stdev": pytest.approx((10.2740 + 2.5) / 2, abs=1e-3),
    }
    first = data["cases"][0]
    assert first["reviews"][2] == {
        "reviewer": "qa:cid",
        "total": 95.0,
        "scores": {"accurate": 10, "empathy": 9},
        "at": "2026-03-03T09:00:00.000000+00:00",
        "deviation": 20.0,
    }
    assert first["agreement"] == 0.3333
    assert first["criteria"][0]["range_share"] == 0.3
    assert data["reviewers"][2]["drifting"] is True


def test_a_tolerance_of_the_policy_changes_agreement() -> None:
    loose = load_policy({"quality": {"calibration_tolerance": 25}}).quality
    report = calibration(histories(), "march", quality=loose)
    assert report.agreement == 1.0
    assert not any(r.drifting for r in report.reviewers)


def test_without_the_rubric_in_the_policy_shares_are_unknown() -> None:
    report = calibration(histories(), "march")
    assert report.tolerance == 10.0
    accurate = report.cases[0].criteria[0]
    assert (accurate.max, accurate.kind, accurate.range_share) == (None, None, None)
    assert accurate.spread.range == 3
    assert report.criteria[0].mean_range_share is None


def test_a_reviewers_latest_review_in_the_session_counts() -> None:
    events: list[ev.Event] = [
        submitted("C9"),
        reviewed("qa:ann", (5, 5), "march"),
        reviewed("qa:bob", (6, 6), "march"),
        reviewed("qa:ann", (7, 7), "march", minutes=5),  # imported data may hold a repeat
    ]
    (case,) = calibration([events], "march").cases
    assert [(r.reviewer, r.total) for r in case.reviews] == [("qa:bob", 60.0), ("qa:ann", 70.0)]


def test_an_empty_session_and_a_blank_name() -> None:
    report = calibration(histories(), "may")
    assert (report.cases, report.reviewers, report.agreement, report.mean_range) == (
        (),
        (),
        None,
        None,
    )
    with pytest.raises(ValidationError, match=r"session: required"):
        calibration(histories(), " ")


def test_the_command_line_prints_the_session(tmp_path: Path) -> None:
    from serviceflow import ManualClock, ServiceDesk

    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        """
        [[quality.rubrics]]
        name = "email"
        criteria = [{ name = "accurate", weight = 1, kind = "compliance", max = 10 }]
        """,
        encoding="utf-8",
    )
    db = tmp_path / "desk.db"
    policy = load_policy(policy_file)
    with ServiceDesk.open(
        f"sqlite:///{db}", policy=policy, clock=ManualClock(T0), entry_points=False
    ) as desk:
        case = desk.submit(requester="jane@acme.test", channel="email", subject="Refund")
        desk.classify(case.id, by="agent:kim", category="billing", kind="incident")
        desk.prioritize(case.id, by="agent:kim", impact="low", urgency="low")
        desk.assign(case.id, by="lead:ana", to="agent:kim")
        for reviewer, points in (("qa:ann", 8), ("qa:bob", 6), ("qa:cid", 9)):
            desk.review_quality(
                case.id, by=reviewer, rubric="email", scores={"accurate": points}, session="s1"
            )
    runner = CliRunner(env={"COLUMNS": "240"})
    base = ["--policy", str(policy_file), "quality", "calibration", "s1", "--db", str(db)]
    shown = runner.invoke(cli, base)
    assert shown.exit_code == 0, shown.output
    assert "Calibration session s1: 1 cases, 3 reviews" in shown.output
    assert "qa:ann 80, qa:bob 60, qa:cid 90" in shown.output
    assert "Reviewers" in shown.output
    assert "33%" in shown.output  # one pair of three within 10 points: ann–cid
    as_json = runner.invoke(cli, [*base, "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["summary"]["reviewers"] == ["qa:ann", "qa:bob", "qa:cid"]
    assert data["cases"][0]["spread"]["range"] == 30.0
    empty = runner.invoke(cli, ["--db", str(db), "quality", "calibration", "none"])
    assert empty.exit_code == 0
    assert "No review was recorded in this session." in empty.output
    missing = runner.invoke(cli, ["quality", "calibration", "s1", "--db", str(tmp_path / "x.db")])
    assert missing.exit_code != 0
    assert "no database at" in missing.output
