"""``require``: a missing service skips the test, or fails it when services are required."""

from __future__ import annotations

import pytest

from serviceflow.testing.services import REQUIRE_VARIABLE, require, services_required


def test_what_is_available_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    require(True, "never said")


@pytest.mark.parametrize("value", [None, "", "0"])
def test_a_missing_service_skips_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(REQUIRE_VARIABLE, value)
    assert not services_required()
    with pytest.raises(pytest.skip.Exception, match=r"no server at 127\.0\.0\.1:9"):
        require(False, "no server at 127.0.0.1:9")


def test_when_services_are_required_a_missing_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    assert services_required()
    with pytest.raises(pytest.fail.Exception) as failed:
        require(False, "no server at 127.0.0.1:9")
    assert str(failed.value) == (
        "required (SERVICEFLOW_REQUIRE_SERVICES is set): no server at 127.0.0.1:9"
    )
