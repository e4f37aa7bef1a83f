"""The outbox's retry schedule: exponential backoff with a cap, and the checks on its policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import ValidationError
from serviceflow.core._convert import converter, structure_checked
from serviceflow.domain.policy._delivery import DeliveryPolicy, delivery_problems


def test_defaults_double_from_30_seconds_up_to_an_hour() -> None:
    policy = DeliveryPolicy()
    assert (policy.first_retry, policy.factor, policy.max_delay, policy.max_attempts) == (
        timedelta(seconds=30),
        2.0,
        timedelta(hours=1),
        8,
    )
    assert [policy.delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert policy.delay(0) == policy.delay(1) == timedelta(seconds=30)
    assert policy.delay(10**9) == timedelta(hours=1), "a huge attempt count cannot overflow"
    assert list(delivery_problems(policy)) == []


def test_a_factor_of_one_retries_at_a_steady_pace() -> None:
    steady = DeliveryPolicy(first_retry=timedelta(minutes=5), factor=1.0)
    assert {steady.delay(n) for n in range(1, 50)} == {timedelta(minutes=5)}


def test_a_cap_below_the_first_retry_wins_and_is_reported() -> None:
    odd = DeliveryPolicy(first_retry=timedelta(minutes=5), max_delay=timedelta(minutes=1))
    assert odd.delay(1) == odd.delay(3) == timedelta(minutes=1)
    assert list(delivery_problems(odd)) == [
        "$.delivery.max_delay: must be at least first_retry (5m), got 1m"
    ]


def test_every_problem_is_reported_with_its_path() -> None:
    bad = DeliveryPolicy(
        first_retry=timedelta(0), factor=0.5, max_delay=timedelta(0), max_attempts=0
    )
    assert list(delivery_problems(bad)) == [
        "$.delivery.first_retry: must be longer than 0s (a zero wait retries in a busy loop)",
        "$.delivery.factor: must be at least 1, got 0.5",
        "$.delivery.max_attempts: must be at least 1, got 0",
    ]
    assert list(delivery_problems(DeliveryPolicy(factor=float("nan")))) == [
        "$.delivery.factor: must be a finite number, got nan"
    ]


def test_reads_durations_as_policies_write_them() -> None:
    policy = structure_checked(
        {"first_retry": "45s", "max_delay": "2h", "factor": 3, "max_attempts": 5},
        DeliveryPolicy,
        what="delivery",
    )
    assert policy == DeliveryPolicy(timedelta(seconds=45), 3.0, timedelta(hours=2), 5)
    assert converter.unstructure(policy) == {
        "first_retry": "45s",
        "max_delay": "2h",
        "factor": 3.0,
        "max_attempts": 5,
    }
    with pytest.raises(
        ValidationError, match=r"\$\.max_attempts: expected a whole number, got 'many'"
    ):
        structure_checked({"max_attempts": "many"}, DeliveryPolicy, what="delivery")


@given(
    first=st.integers(1, 10**6),
    factor=st.floats(1.0, 100.0),
    cap=st.integers(0, 10**9),
    attempts=st.integers(1, 200),
)
def test_the_delay_grows_and_stays_within_its_bounds(
    first: int, factor: float, cap: int, attempts: int
) -> None:
    policy = DeliveryPolicy(
        first_retry=timedelta(milliseconds=first),
        factor=factor,
        max_delay=timedelta(milliseconds=first + cap),
    )
    delay = policy.delay(attempts)
    assert policy.first_retry <= delay <= policy.max_delay
    assert policy.delay(attempts + 1) >= delay
