"""The scripted day covers every path of the lifecycle and is the same every run."""

from __future__ import annotations

from serviceflow.simulation._demo import DemoStep, demo_desk, run_demo


def test_the_day_covers_every_path() -> None:
    steps: list[DemoStep] = []
    desk, clock = demo_desk("memory://")
    summary = run_demo(desk, clock, steps.append)
    assert len(summary.cases) == 12
    assert summary.by_state == {
        "closed": 6,
        "merged": 1,
        "cancelled": 1,
        "in_progress": 1,
        "waiting_on_client": 1,
        "prioritized": 1,
        "intake": 1,
    }
    assert summary.verified == 12
    assert summary.refusals == 5 == sum(s.refused for s in steps)
    texts = " ".join(s.text for s in steps)
    for path in (
        "merged into",
        "cancelled",
        "reopened",
        "validation rejected",
        "transferred",
        "auto-confirm window",
        "client confirmed (validation still pending)",
        "raises it to critical",
    ):
        assert path in texts
    assert sum(c.reopen_count for c in summary.cases) == 2
    assert summary.median_resolution_hours is not None
    outcomes = {(metric, status): n for metric, status, n in summary.sla}
    assert outcomes[("first_response", "met")] + outcomes[("first_response", "breached")] == 12
    assert any("SLA breached" in s.text for s in steps)
    assert any("SLA warning" in s.text for s in steps)


def test_the_day_is_deterministic_but_for_ids() -> None:
    def story() -> list[tuple[str, str, str]]:
        steps: list[DemoStep] = []
        desk, clock = demo_desk("memory://")
        run_demo(desk, clock, steps.append)
        return [(s.at.isoformat(), s.label, s.state) for s in steps]

    assert story() == story()


def test_the_demo_needs_no_optional_extra() -> None:
    """The README's first command installs only the cli extra: no holidays package."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['holidays'] = None\n"
        "from serviceflow.demo import demo_desk, run_demo\n"
        "desk, clock = demo_desk('memory://')\n"
        "print(len(run_demo(desk, clock, lambda step: None).cases))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12"
