"""Per-case KPI samples: the same figures as the KPI report, for a scope and a window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from serviceflow import ManualClock, ServiceDesk
from serviceflow.analytics._kpi_sample import Kpi, desk_sample, rate_kpi, sample
from serviceflow.analytics._metrics import kpis
from serviceflow.domain.policy._policy import load_policy
from serviceflow.errors import ValidationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
POLICY = load_policy(
    {
        "calendars": {"office": {"zone": "UTC", "week": {"mon": ["09:00-10:00"]}}},
        "sla": [
            {
                "name": "standard",
                "calendar": "office",
                "targets": {"first_response": {"within": "90m", "time": "calendar"}},
            }
        ],
    }
)


@pytest.fixture
def desk(store_url: str) -> Iterator[ServiceDesk]:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, policy=POLICY, clock=clock, entry_points=False) as opened:
        ids = []
        for i, category in enumerate(["billing", "billing", "access"]):
            case = opened.submit(requester=f"c{i}@x.test", channel="email", subject="s")
            opened.classify(case.id, category=category, kind="incident", by="agent:kim")
            opened.prioritize(case.id, impact="low", urgency="low", by="agent:kim")
            opened.assign(case.id, to="agent:kim", by="lead:ana")
            ids.append(case.id)
        for case_id in ids:  # answered after 1h, 2h and 3h
            clock.advance(H)
            opened.acknowledge(case_id, by="agent:kim", message="hi")
        clock.set(T0 + 4 * H)
        yield opened


def test_a_sample_agrees_with_the_kpi_report(desk: ServiceDesk) -> None:
    end = T0 + 4 * H
    report = kpis(desk, start=T0, end=end, by="category", remember=False)
    billing = report.slices["billing"]
    for name in ("mean", "p50", "p90"):
        found = desk_sample(
            desk, Kpi("first_response", name, "calendar"), start=T0, end=end,
            scope={"category": "billing"},
        )  # fmt: skip
        assert found.value == getattr(billing.first_response.calendar, name)
        assert found.cases == 2
    business = desk_sample(desk, Kpi("first_response", "mean", "business"), start=T0, end=end)
    assert business.values == (3600.0, 3600.0, 3600.0)  # the office is open 09:00-10:00
    assert business.value == report.overall.first_response.business.mean
    compliance = desk_sample(desk, rate_kpi("sla", "first_response"), start=T0, end=end)
    assert sorted(compliance.values) == [0.0, 0.0, 1.0]
    assert compliance.value == report.overall.compliance("first_response").rate  # type: ignore[union-attr]


def test_a_window_and_a_patched_policy_change_the_sample(desk: ServiceDesk) -> None:
    early = desk_sample(desk, Kpi("first_response", "p90", "calendar"), start=T0, end=T0 + H)
    assert early.values == ()
    assert early.value is None
    looser = load_policy(
        {
            "calendars": {"office": {"zone": "UTC", "week": {"mon": ["09:00-10:00"]}}},
            "sla": [
                {
                    "name": "standard",
                    "calendar": "office",
                    "targets": {"first_response": {"within": "4h", "time": "calendar"}},
                }
            ],
        }
    )
    kpi = rate_kpi("sla", "first_response")
    replayed = desk_sample(desk, kpi, start=T0, end=T0 + 4 * H, policy=looser)
    assert replayed.values == (1.0, 1.0, 1.0)


def test_bad_kpis_scopes_and_windows_are_listed() -> None:
    with pytest.raises(ValidationError) as raised:
        sample([], POLICY, Kpi("speed", "p90"), start=T0, end=T0, scope={"colour": "red"})
    problems = "\n".join(raised.value.problems)
    assert "kpi.name" in problems
    assert "scope.colour" in problems
    assert "window" in problems
    assert Kpi("fcr", "p90").problems() == ["kpi.statistic: a rate KPI takes 'rate', not 'p90'"]
    assert rate_kpi("sla", "speed").problems()[0].startswith("kpi.metric")
    assert Kpi("first_response", "mean", "wall").problems()[0].startswith("kpi.time")
    assert Kpi("first_response", metric="resolution").problems() == [
        "kpi.metric: only the sla KPI names a metric"
    ]


def test_labels_and_directions() -> None:
    assert Kpi("first_response").label == "p90 first_response (business s)"
    assert rate_kpi("sla", "resolution").label == "sla compliance resolution"
    assert rate_kpi("fcr").label == "fcr rate"
    assert Kpi("resolution").lower_is_better
    assert rate_kpi("reopened").lower_is_better
    assert not rate_kpi("fcr").lower_is_better
