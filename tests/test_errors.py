"""Errors say what was wrong, where, and what is allowed."""

from __future__ import annotations

from serviceflow import (
    ConcurrencyConflict,
    InvalidTransition,
    NotAuthorized,
    NotFound,
    PolicyError,
    ServiceflowError,
    ValidationError,
)


def test_every_error_is_a_serviceflow_error() -> None:
    for cls in (
        ConcurrencyConflict,
        InvalidTransition,
        NotAuthorized,
        NotFound,
        PolicyError,
        ValidationError,
    ):
        assert issubclass(cls, ServiceflowError)


def test_invalid_transition_names_case_state_and_allowed_triggers() -> None:
    exc = InvalidTransition(
        "C1", "assigned", "resolve", ["acknowledge", "cancel"], reason="not acknowledged"
    )
    assert str(exc) == (
        "case C1: cannot resolve in state 'assigned': not acknowledged "
        "(allowed here: acknowledge, cancel)"
    )
    assert InvalidTransition("C1", "merged", "note", []).allowed == ()
    assert "none (terminal state)" in str(InvalidTransition("C1", "merged", "note", []))


def test_validation_error_lists_every_problem() -> None:
    exc = PolicyError("policy x is invalid", ["$.a: bad", "$.b: worse"])
    assert exc.problems == ("$.a: bad", "$.b: worse")
    assert str(exc) == "policy x is invalid:\n  - $.a: bad\n  - $.b: worse"


def test_other_errors_say_what_and_where() -> None:
    assert str(NotFound("case", "C9")) == "case 'C9' does not exist"
    assert (
        str(ConcurrencyConflict("C1", 3, 4)) == "stream 'C1': expected version 3, found version 4"
    )
    assert str(NotAuthorized("agent:x", "resolve case C1", "role agent")) == (
        "agent:x may not resolve case C1; needs role agent"
    )
