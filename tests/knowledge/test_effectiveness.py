"""Effectiveness of articles (linked cases, rates, feedback, flags) and "heard three times"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from serviceflow import ManualClock, ServiceDesk
from serviceflow.errors import ValidationError
from serviceflow.knowledge._effectiveness import (
    RETIRE,
    REVISE,
    Effectiveness,
    Thresholds,
    flags,
    suggestions,
)
from serviceflow.knowledge._service import Knowledge

from ..conftest import walk_to

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _publish(kb: Knowledge) -> str:
    article = kb.draft(by="agent:kim", category="billing", title="Invoices", body="Credit note")
    kb.submit_for_review(article.id, by="agent:kim")
    kb.approve(article.id, by="lead:ana")
    return article.id


def test_rates_read_the_linked_cases_as_they_stand(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _publish(kb)
    assert kb.effectiveness(article_id)[0].resolution_rate is None
    cases = [walk_to(desk, "resolved") for _ in range(4)]
    for case_id in cases:
        kb.link(article_id, case_id, by="agent:kim")
    desk.reopen(cases[0], by="agent:kim", reason="still wrong")
    kb.feedback(article_id, helpful=True, by="client:jane@acme.test")
    kb.feedback(article_id, helpful=False, by="agent:sam")
    [report] = kb.effectiveness(article_id)
    assert (report.cases, report.resolved, report.reopened) == (4, 3, 1)
    assert (report.resolution_rate, report.reopen_rate, report.helpful_rate) == (0.75, 0.25, 0.5)
    assert report.flags == (), "too little evidence for a flag"
    strict = Thresholds(min_cases=4, min_feedback=2)
    assert kb.effectiveness(article_id, thresholds=strict)[0].flags == (REVISE,)
    assert [r.article_id for r in kb.effectiveness()] == [article_id]


def test_a_reopen_before_the_link_does_not_count(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _publish(kb)
    case_id = walk_to(desk, "resolved")
    desk.reopen(case_id, by="agent:kim", reason="not yet")
    desk.resolve(case_id, by="agent:kim", resolution="Credit note issued")
    kb.link(article_id, case_id, by="agent:kim")
    assert kb.effectiveness(article_id)[0].reopened == 0


def _report(**counts: int) -> Effectiveness:
    base = {"cases": 0, "resolved": 0, "reopened": 0, "helpful": 0, "not_helpful": 0}
    base.update(counts)
    return Effectiveness("KB-1", "t", "published", 1, last_used=None, flags=(), **base)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, ()),
        ({"cases": 5, "resolved": 5, "reopened": 1}, ()),
        ({"cases": 4, "resolved": 4, "reopened": 4}, ()),
        ({"cases": 5, "resolved": 5, "reopened": 2}, (REVISE,)),
        ({"cases": 5, "resolved": 2}, (REVISE,)),
        ({"helpful": 3, "not_helpful": 2}, (REVISE,)),
        ({"helpful": 1, "not_helpful": 4}, (REVISE, RETIRE)),
    ],
)
def test_flag_thresholds(counts: dict[str, int], expected: tuple[str, ...]) -> None:
    assert flags(_report(**counts), T0, T0, Thresholds()) == expected


def test_an_unused_article_is_flagged_to_retire_after_a_year() -> None:
    report = _report()
    assert flags(report, T0, T0 + timedelta(days=364), Thresholds()) == ()
    assert flags(report, T0, T0 + timedelta(days=365), Thresholds()) == (RETIRE,)


def _resolved(desk: ServiceDesk, subject: str, resolution: str, category: str = "billing") -> str:
    case = desk.submit(requester="acme/jane@acme.test", channel="email", subject=subject)
    desk.classify(case.id, category=category, kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="On it")
    desk.resolve(case.id, by="agent:kim", resolution=resolution)
    return case.id


def test_heard_three_times_suggests_writing_it_down(desk: ServiceDesk, clock: ManualClock) -> None:
    kb = Knowledge(desk)
    first = _resolved(desk, "Invoice total wrong", "Issued a credit note for the invoice")
    second = _resolved(desk, "Wrong invoice total", "Issued a credit note for the invoice")
    assert suggestions(desk) == [], "heard twice"
    clock.advance(timedelta(hours=1))
    third = _resolved(desk, "Invoice total is wrong", "Issued the invoice credit note")
    _resolved(desk, "Printer jammed", "Removed the paper")
    _resolved(desk, "Invoice total wrong", "Issued a credit note", category="functional")
    [found] = kb.suggestions()
    assert (found.kind, found.category, found.cases) == (
        "article",
        "billing",
        (first, second, third),
    )
    assert set(found.terms) == {"invoic", "total", "wrong"}, "stemmed, as fingerprints are"
    assert found.resolution == "Issued a credit note for the invoice"
    assert kb.suggestions(since=clock.now()) == []
    assert [s.kind for s in kb.suggestions(times=2)] == ["article"]

    article_id = _publish(kb)
    kb.link(article_id, first, by="agent:kim")
    assert kb.suggestions() == [], "a linked case is written down already"


def test_the_same_words_suggest_a_template(desk: ServiceDesk) -> None:
    ids = [_resolved(desk, "Reset my password", "Sent the reset link.") for _ in range(3)]
    [found] = suggestions(desk)
    assert (found.kind, found.cases) == ("template", tuple(ids))
    with pytest.raises(ValidationError, match="times"):
        suggestions(desk, times=1)
