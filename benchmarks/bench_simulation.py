"""Benchmark the simulated desk against the engine's own command rate, same store, same run.

Figure 1: desk commands per second of a simulation (simpy processes, the observer plugin,
``tick`` every 5 simulated minutes, the auto-confirm sweep and the closing KPI pass all
included in the wall time) against a plain loop that drives the same desk commands
without simpy: submit (automation classifies, prioritizes and routes), acknowledge,
resolve, validate and confirm, case after case, on a fresh desk with the same policy
(its agents always on shift, so every case is assigned at once) and store kind.
Target ≥ 0.3×.

Figure 1b (issue 20's figure): the same simulated rate on SQLite against the plain loop on
``memory://``, the engine's own rate without a disk. Target ≥ 0.3×.

Figure 2: the default ``serviceflow simulate`` (the shipped ``week.toml``, about 2,400
cases, on a SQLite file at its default synchronous level, KPI tables and the HTML
dashboard), run as a subprocess and timed from outside. Target < 60 s. Figure 1's
simulated rate is read from that same run's summary line.

``--quick`` replaces the week by the ``friday_outage`` scenario for figure 1 and skips
figure 2.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from attrs import evolve
from report import Row, machine, print_table, section

from serviceflow.clock import ManualClock
from serviceflow.desk._desk import ServiceDesk
from serviceflow.simulation._desk import simulate
from serviceflow.simulation._scenario import Scenario, load_scenario

TARGET_RATIO = 0.3
TARGET_SECONDS = 60.0
_RATE = re.compile(r"([\d,]+) desk commands .*? \(([\d,]+) commands/s\)", re.DOTALL)


def plain_loop(scenario: Scenario, url: str, cases: int) -> tuple[int, float]:
    """Commands and seconds of the same desk commands in a plain loop (no simpy).

    The loop's agents have no shift (always on): with the scenario's shifts, cases 20 s
    apart from Monday 10:00 would run past the end of the late shift (20:00) and be only
    submitted while a backlog grew, which would lower the baseline. Always-on agents take
    every case at once, so each case is the full five commands."""
    always_on = evolve(scenario, agents=tuple(evolve(g, shift=None) for g in scenario.agents))
    start = scenario.start + timedelta(hours=10)  # Monday 10:00 (only labels the cases)
    clock = ManualClock(start)
    desk = ServiceDesk.open(
        url,
        policy=always_on.desk_policy(),
        clock=clock,
        entry_points=False,
        deliver_at_once=False,
    )
    commands = unassigned = 0
    began = time.perf_counter()
    with desk:
        for n in range(cases):
            clock.advance(seconds=20)
            case = desk.submit(
                requester=f"client{n % 50}/user{n}@client{n % 50}.test",
                channel="email",
                subject="Billing request",
                category="billing",
                kind="incident",
                impact="medium",
                urgency="medium",
            )
            commands += 1
            if case.assignee is None:
                unassigned += 1
                continue
            desk.acknowledge(case.id, by=case.assignee, message="On it.")
            desk.resolve(case.id, by=case.assignee, resolution="Fixed")
            desk.validate(case.id, by="qa:sim")
            desk.confirm(case.id)
            commands += 4
    seconds = time.perf_counter() - began
    if unassigned:
        raise SystemExit(f"plain loop: {unassigned} of {cases} cases were not assigned")
    return commands, seconds


def cli_run(folder: Path) -> tuple[float, int, float, str]:
    """The default ``serviceflow simulate`` in a subprocess: wall s, commands, rate, output."""
    db, html = folder / "simulation.db", folder / "simulation.html"
    began = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "serviceflow",
            "simulate",
            "--quiet",
            "--db",
            str(db),
            "--html",
            str(html),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    wall = time.perf_counter() - began
    found = _RATE.search(done.stdout)
    if found is None:
        raise SystemExit(f"no summary line in:\n{done.stdout}\n{done.stderr}")
    commands, rate = (int(g.replace(",", "")) for g in found.groups())
    return wall, commands, float(rate), done.stdout


def main(argv: list[str] | None = None) -> None:
    """Run the figures and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="friday_outage only, ~15 s")
    args = parser.parse_args(argv)
    print(machine("simulation"), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.quick:
            scenario = load_scenario("friday_outage")
            with section("simulation: friday_outage on SQLite"):
                result = simulate(scenario, f"sqlite:///{folder / 'sim.db'}")
            commands, rate = result.total_commands, result.commands_per_second
            what = f"friday_outage, {result.cases:,} cases"
        else:
            scenario = load_scenario("week")
            with section("serviceflow simulate (week.toml, SQLite, dashboard) in a subprocess"):
                wall, commands, rate, _ = cli_run(folder)
            what = "week, the default run"
            met = "met" if wall < TARGET_SECONDS else "not met"
            rows.append(
                Row(
                    "default `serviceflow simulate` wall time",
                    f"{wall:.1f} s",
                    "",
                    "",
                    f"< {TARGET_SECONDS:.0f} s",
                    met,
                )
            )
        cases = max(200, commands // 5)
        with section(f"plain loop: {cases:,} cases x 5 commands on SQLite"):
            done, seconds = plain_loop(scenario, f"sqlite:///{folder / 'plain.db'}", cases)
        with section(f"plain loop: {cases:,} cases x 5 commands on memory://"):
            in_memory, memory_seconds = plain_loop(scenario, "memory://", cases)
        for index, (label, baseline) in enumerate(
            (
                ("plain loop on SQLite", done / seconds),
                ("engine on memory://", in_memory / memory_seconds),
            )
        ):
            ratio = rate / baseline
            rows.insert(
                index,
                Row(
                    f"simulated desk commands/s on SQLite ({what})",
                    f"{rate:,.0f} /s ({commands:,} commands)",
                    f"{label} {baseline:,.0f} /s",
                    f"{ratio:.2f}x",
                    f">= {TARGET_RATIO}x",
                    "met" if ratio >= TARGET_RATIO else "not met",
                ),
            )
    print_table(rows)


if __name__ == "__main__":
    main()
