"""Benchmark a week's staffing plan (672 intervals × 10 queues) against a naive Erlang C.

The forecast: ten queues of 15-minute intervals over a week, each with a daily profile
(night lull, morning and afternoon peaks) and weekday factors; peaks range from about 5 to
about 450 Erlangs per queue (AHT 3 to 12 minutes), so the search covers small teams and
queues of several hundred agents. Targets vary by queue (80/20, 90/30 with an ASA cap,
85/60), with an 85 % occupancy cap and 30 % shrinkage.

Figure: ``staffing.plan_staffing`` on that forecast (Erlang B recursion stepped one agent at
a time). Baseline, in the same run: the same plan where each candidate N recomputes Erlang C
from scratch as the textbook sum, in log space with ``math.lgamma`` (so it cannot overflow
either), starting at the first stable N, then the same occupancy cap and shrinkage. Both must
give the same agents for every interval; rounds alternate, best of 3 (1 with ``--quick``).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

from report import Row, machine, print_table, section

from serviceflow.capacity._erlang import StaffingTarget
from serviceflow.capacity._forecast import Forecast, QueueForecast
from serviceflow.capacity._staffing import plan_staffing

INTERVALS_PER_DAY = 96
DAYS = 7
TARGET_SECONDS = 1.0
DAILY_SHAPE = tuple(
    0.05 + 0.95 * max(0.0, math.sin(math.pi * (h - 6) / 14)) ** 0.8 if 6 <= h <= 20 else 0.05
    for h in range(24)
)
WEEKDAYS = (1.2, 1.1, 1.0, 1.0, 0.95, 0.5, 0.3)
TARGETS = (
    StaffingTarget(0.8, 20, 0.85, 0.3),
    StaffingTarget(0.9, 30, 0.85, 0.3, max_asa_seconds=15),
    StaffingTarget(0.85, 60, 0.85, 0.3),
)


def forecast() -> Forecast:
    """Ten queues whose peak loads run from about 5 to about 450 Erlangs."""
    queues = []
    for q in range(10):
        handle = 180.0 + 60.0 * (q % 10)  # 3 to 12 minutes
        peak_erlangs = 5.0 * (1.65**q)  # 5 ... about 450
        peak_calls = peak_erlangs * 900 / handle
        arrivals = tuple(
            peak_calls * DAILY_SHAPE[i // 4] * WEEKDAYS[d]
            for d in range(DAYS)
            for i in range(INTERVALS_PER_DAY)
        )
        handles = (handle,) * len(arrivals)
        queues.append(QueueForecast(f"q{q}", "phone", arrivals, handles, TARGETS[q % 3]))
    return Forecast(15, tuple(queues))


def _naive_wait(agents: int, intensity: float) -> float:
    """Erlang C as the textbook sum, from scratch, in log space (lgamma): O(N) per call."""
    log_a = math.log(intensity)
    terms = [k * log_a - math.lgamma(k + 1) for k in range(agents)]
    top = agents * log_a - math.lgamma(agents + 1) + math.log(agents / (agents - intensity))
    peak = max(*terms, top)
    below = math.fsum(math.exp(t - peak) for t in terms)
    return math.exp(top - peak) / (below + math.exp(top - peak))


def _naive_agents(intensity: float, handle: float, target: StaffingTarget) -> tuple[int, int]:
    if intensity == 0:
        return target.min_agents, math.ceil(target.min_agents / (1 - target.shrinkage) - 1e-9)
    agents = math.floor(intensity) + 1
    while True:
        waiting = _naive_wait(agents, intensity)
        spare = agents - intensity
        level = 1 - waiting * math.exp(-spare * target.answer_seconds / handle)
        asa = waiting * handle / spare
        if level >= target.service_level and (
            target.max_asa_seconds is None or asa <= target.max_asa_seconds
        ):
            break
        agents += 1
    agents = max(agents, math.ceil(intensity / target.max_occupancy - 1e-9), target.min_agents)
    return agents, math.ceil(agents / (1 - target.shrinkage) - 1e-9)


def naive_plan(demand: Forecast) -> list[list[int]]:
    """The baseline: the same agents per interval, recomputing Erlang C for each candidate."""
    seconds = demand.interval_minutes * 60
    return [
        [
            _naive_agents(calls / seconds * handle, handle, q.target)[0]
            for calls, handle in zip(q.arrivals, q.handle_seconds, strict=True)
        ]
        for q in demand.queues
    ]


def _best(rounds: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    best = dict.fromkeys(runs, math.inf)
    for _ in range(rounds):
        for name, run in runs.items():
            began = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    args = parser.parse_args()
    print(machine("capacity"))
    demand = forecast()
    intervals = demand.intervals * len(demand.queues)
    with section("checking both plans agree"):
        plan = plan_staffing(demand)
        ours = [[a.agents for a in q.intervals] for q in plan.queues]
        assert ours == naive_plan(demand), "the naive baseline disagrees"
        largest = max(a.agents for q in plan.queues for a in q.intervals)
        print(f"  {intervals} intervals, largest team {largest} agents, peak total {plan.peak}")
    with section(f"timing, best of {1 if args.quick else 3} interleaved rounds"):
        best = _best(
            1 if args.quick else 3,
            {"plan": lambda: plan_staffing(demand), "naive": lambda: naive_plan(demand)},
        )
    ratio = best["plan"] / best["naive"]
    print_table(
        [
            Row(
                figure=f"staffing plan, 672 intervals × 10 queues ({intervals})",
                value=f"{best['plan']:.3f} s ({best['plan'] / intervals * 1e6:.0f} µs/interval)",
                baseline=f"naive lgamma Erlang C {best['naive']:.2f} s",
                ratio=f"{ratio:.3f}× the time ({1 / ratio:.0f}× faster)",
                target=f"≤ {TARGET_SECONDS:g} s",
                met="yes" if best["plan"] <= TARGET_SECONDS else "NO",
            )
        ]
    )


if __name__ == "__main__":
    main()
