"""The pytest plugin, run in pytest's own ``pytester``: fixtures, markers, options, inertness."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

PLUGIN = "serviceflow.testing.pytest_plugin"
LOAD = () if any(ep.value == PLUGIN for ep in entry_points(group="pytest11")) else ("-p", PLUGIN)
"""Load the plugin by hand until the ``pytest11`` entry point is installed (twice would clash)."""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*LOAD, "--strict-markers", "-p", "no:cacheprovider", *args)


def test_a_desk_on_a_fresh_sqlite_file_with_the_manual_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from datetime import UTC, datetime, timedelta

        from serviceflow import ManualClock
        from serviceflow.testing.pytest_plugin import START

        OPENED = []

        def test_desk(serviceflow_desk, serviceflow_clock, serviceflow_store_url, tmp_path):
            assert serviceflow_store_url == f"sqlite:///{tmp_path / 'serviceflow.db'}"
            assert serviceflow_desk.store.url == serviceflow_store_url
            assert isinstance(serviceflow_clock, ManualClock)
            assert serviceflow_clock.now() == START == datetime(2026, 3, 2, 9, tzinfo=UTC)
            case = serviceflow_desk.submit(requester="a/b@c.test", channel="web", subject="s")
            assert case.submitted_at == START
            serviceflow_clock.advance(hours=1)
            assert serviceflow_desk.note(case.id, by="agent:kim", text="x").updated_at == (
                START + timedelta(hours=1)
            )
            assert serviceflow_desk.policy.name == "default"
            OPENED.append(serviceflow_desk)

        def test_the_desk_was_closed_after_its_test():
            from serviceflow import StoreError
            import pytest
            with pytest.raises(StoreError):
                OPENED[0].store.load("x")
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_the_marker_option_and_ini_choose_the_store(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(
        """
        [pytest]
        serviceflow_store_url = sqlite:///{tmp_path}/from-ini.db
        """
    )
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.serviceflow_store("memory://")
        def test_marker_wins(serviceflow_desk):
            assert serviceflow_desk.store.url == "memory://"

        def test_configured(serviceflow_desk, tmp_path):
            assert serviceflow_desk.store.url == os.environ["EXPECTED"].format(tmp_path=tmp_path)
        """
    )
    monkeypatch.setenv("EXPECTED", "sqlite:///{tmp_path}/from-ini.db")
    run(pytester).assert_outcomes(passed=2)
    monkeypatch.setenv("EXPECTED", "sqlite:///{tmp_path}/opt.db")
    run(pytester, "--serviceflow-store-url", "sqlite:///{tmp_path}/opt.db").assert_outcomes(
        passed=2
    )


def test_a_bad_store_marker_or_url_says_which_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.serviceflow_store("nosuch://x")
        def test_unknown_scheme(serviceflow_desk):
            pass

        @pytest.mark.serviceflow_store()
        def test_no_url(serviceflow_desk):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*StoreError: serviceflow_desk for test_a_bad_store_marker_or_url_says_which_test.py"
            "::test_unknown_scheme: no installed plugin opens 'nosuch://x'*",
            "*UsageError*write @pytest.mark.serviceflow_store('scheme://...')*",
        ]
    )


def test_the_policy_marker_and_builder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from datetime import timedelta
        import pytest

        TOML = '''
        [lifecycle]
        auto_confirm_after = "1h"
        reopen_window = "2d"
        '''

        @pytest.mark.serviceflow_policy(TOML, name="mine")
        def test_toml_and_sections(serviceflow_desk):
            assert serviceflow_desk.policy.name == "mine"
            assert serviceflow_desk.policy.lifecycle.auto_confirm_after == timedelta(hours=1)

        @pytest.mark.serviceflow_policy({"default_tier": "premium"})
        def test_mapping(serviceflow_policy):
            assert serviceflow_policy.default_tier == "premium"
            assert [c.name for c in serviceflow_policy.categories][0] == "outage"

        def test_builder(serviceflow_policy_builder, serviceflow_policy):
            assert serviceflow_policy == serviceflow_policy_builder()
            level = {"name": "all", "targets": {"resolution": {"within": "4h"}}}
            assert serviceflow_policy_builder(sla=[level]).sla[0].name == "all"

        @pytest.mark.serviceflow_policy(default_tier="gold")
        def test_bad_policy(serviceflow_policy):
            pass

        @pytest.mark.serviceflow_policy("[lifecycle")
        def test_bad_toml(serviceflow_policy):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*PolicyError: policy is invalid:*",
            "*$.default_tier: expected one of standard, premium, got 'gold'*",
            "*PolicyError: policy overrides are not valid TOML*",
        ]
    )


def test_plugins_are_registered_on_the_desk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from serviceflow import hookimpl

        class Seen:
            def __init__(self):
                self.types = []

            @hookimpl
            def observe(self, case, events):
                self.types.extend(type(e).__name__ for e in events)

        SEEN = Seen()

        @pytest.fixture
        def serviceflow_plugins():
            return [SEEN]

        @pytest.mark.serviceflow_store("memory://")
        def test_observed(serviceflow_desk):
            serviceflow_desk.submit(requester="a/b@c.test", channel="web", subject="s")
            assert SEEN.types == ["Submitted"]
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_the_plugin_is_inert_when_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_of_ours():
            assert "hypothesis" not in sys.modules
            assert "serviceflow.testing.strategies" not in sys.modules
            assert "serviceflow.testing.conformance" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess(
        *LOAD, "-p", "no:hypothesispytest", "-p", "no:cacheprovider", "--setup-show"
    )
    result.assert_outcomes(passed=1)
    ours = [
        line
        for line in result.outlines + result.errlines
        if "serviceflow" in line and not line.startswith(("plugins:", "rootdir:"))
    ]
    assert ours == [], "no output, no fixture set up"
