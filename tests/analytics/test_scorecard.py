"""Scorecards: one line per agent or team, the same numbers as the sliced report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from serviceflow import ServiceDesk, ValidationError
from serviceflow.analytics._metrics import compute_kpis
from serviceflow.analytics._scorecard import desk_scorecards, scorecards
from serviceflow.domain import _events as ev

from ..conftest import walk_to
from .test_metrics import END, POLICY, T0, _Case, _log


def test_agent_scorecards_match_the_report_sliced_by_agent() -> None:
    log = _log()
    review = _Case("R", "acme/r@acme.test", timedelta(0)).add(
        ev.QualityReviewed,
        timedelta(hours=1),
        by="qa:lee",
        rubric="standard",
        agent="agent:ann",
        scores={"accuracy": 3},
        total=60.0,
    )
    report = compute_kpis([*log, review.events], POLICY, start=T0, end=END, by="agent")
    cards = {card.name: card for card in scorecards(report)}
    kim, ann = cards["agent:kim"], cards["agent:ann"]
    assert (kim.resolved, kim.fcr.numerator, kim.fcr.denominator) == (2, 1, 2)
    assert kim.first_response_p50 == report.slices["agent:kim"].first_response.business.p50
    assert (kim.sla.numerator, kim.sla.denominator) == (2, 4)
    assert (kim.csat.numerator, kim.csat.denominator) == (1, 2)
    assert (ann.resolved, ann.reopened.numerator) == (1, 1)
    # C, ann's only case, has no service level: no clock of hers ran
    assert (ann.sla.numerator, ann.sla.denominator, ann.sla.value) == (0, 0, None)
    assert ann.sla.reason == "no service level applies"
    assert (ann.reviews, ann.quality) == (1, 60.0)
    assert ann.criteria == {"accuracy": 3.0}
    assert kim.as_dict()["fcr"] == 0.5
    assert report.overall.quality.reviews == 1


def test_scorecards_need_an_agent_or_team_slicing() -> None:
    with pytest.raises(ValidationError, match="sliced by 'priority', not agent or team"):
        scorecards(compute_kpis(_log(), POLICY, end=END, by="priority"))


def test_desk_scorecards_by_team(desk: ServiceDesk) -> None:
    walk_to(desk, "closed")
    cards = desk_scorecards(desk, by="agent")
    assert [(c.name, c.resolved) for c in cards] == [("agent:kim", 1)]
    with pytest.raises(ValidationError, match="by: 'desk' is not one of agent, team"):
        desk_scorecards(desk, by="desk")
