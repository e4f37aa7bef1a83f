"""The policy in force: every replacement recorded, and new desks open with the last one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from serviceflow import ServiceDesk, load_policy
from serviceflow.domain.policy._policy import default_policy
from serviceflow.errors import IntegrityError
from serviceflow.eventlog._policy_log import (
    history,
    policy_in_force,
    stored_policy,
    version_in_force,
)

FAST = load_policy({"sla": [{"name": "all", "targets": {"first_response": {"within": "1h"}}}]})
SLOW = load_policy({"sla": [{"name": "all", "targets": {"first_response": {"within": "4h"}}}]})


def test_a_desk_opened_later_starts_on_the_policy_in_force(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with ServiceDesk.open(url, entry_points=False) as desk:
        assert version_in_force(desk.store) == default_policy().version, "the first use"
        assert desk.policy == default_policy()
        desk.reapply_policy(FAST, by="lead:ana", reason="faster first answers")
        desk.reapply_policy(SLOW, by="lead:ana")
    with ServiceDesk.open(url, entry_points=False) as desk:
        assert desk.policy == SLOW
        assert policy_in_force(desk.store) == SLOW
        steps = history(desk.store)
        assert [(e.previous, e.version) for e in steps] == [
            ("", default_policy().version),
            (default_policy().version, FAST.version),
            (FAST.version, SLOW.version),
        ]
        assert (steps[1].by, steps[1].reason) == ("lead:ana", "faster first answers")
        assert desk.verify("policy:in-force").ok


def test_a_desk_given_another_policy_uses_it_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with ServiceDesk.open(url, entry_points=False) as desk:
        desk.reapply_policy(FAST)
    with caplog.at_level(logging.WARNING, logger="serviceflow.desk"):
        desk = ServiceDesk.open(url, policy=SLOW, entry_points=False)
    assert desk.policy == SLOW
    assert f"policy {FAST.version} is in force" in caplog.text
    assert version_in_force(desk.store) == FAST.version, "opening changes nothing"
    desk.close()


def test_a_version_in_force_that_is_not_stored_is_an_integrity_error(store_url: str) -> None:
    with (
        ServiceDesk.open(store_url, entry_points=False) as desk,
        pytest.raises(IntegrityError, match="policy nope is in force but not stored"),
    ):
        stored_policy(desk.store, "nope")
