"""Benchmark business-time add/between from 1 hour to 1 year against minute stepping, same run."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from report import machine

from serviceflow.core._calendar import BusinessCalendar, business_calendar

HORIZONS = {"1 hour": 1, "1 day": 8, "1 week": 40, "1 month": 170, "1 year": 2000}
"""Targets in business hours on a 40-hour week."""
TARGET_ADDS = 200_000


def realistic() -> BusinessCalendar:
    """Two intervals a day, Monday to Friday, with France's public holidays."""
    week = {day: ["09:00-12:30", "13:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return business_calendar("paris", "Europe/Paris", week, country="FR")


def naive_add(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The reference: step minute by minute, counting the open ones."""
    remaining = duration // timedelta(minutes=1)
    t = start
    while remaining > 0:
        if cal.is_open(t):
            remaining -= 1
        t += timedelta(minutes=1)
    return t


def rate(run: Callable[[], object], seconds: float = 0.3) -> float:
    """Calls per second of ``run`` over about ``seconds`` (best of 3)."""
    best = 0.0
    for _ in range(3):
        count, begin = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - begin) < seconds / 3:
            run()
            count += 1
        best = max(best, count / elapsed)
    return best


def main() -> None:
    """Print adds/s and betweens/s per horizon, and the ratio to minute stepping."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    seconds = 0.15 if parser.parse_args().quick else 0.6
    cal = realistic()
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    print(machine("calendar"))
    print(f"{'horizon':<9} {'add/s':>10} {'between/s':>10} {'naive add/s':>12} {'speed-up':>9}")
    adds = []
    for label, hours in HORIZONS.items():
        duration = timedelta(hours=hours)
        end = cal.add(start, duration)
        assert naive_add(cal, start, duration) == end, label
        add_rate = rate(partial(cal.add, start, duration), seconds)
        between_rate = rate(partial(cal.between, start, end), seconds)
        naive_rate = rate(partial(naive_add, cal, start, duration), seconds)
        adds.append(add_rate)
        print(
            f"{label:<9} {add_rate:>10,.0f} {between_rate:>10,.0f} {naive_rate:>12,.1f} "
            f"{add_rate / naive_rate:>8,.0f}x"
        )
    flat = min(adds) / max(adds)
    met = "met" if min(adds) >= TARGET_ADDS else "NOT met"
    print(
        f"slowest add {min(adds):,.0f}/s (target ≥ {TARGET_ADDS:,}/s: {met}); "
        f"1-year vs 1-hour cost ratio {1 / flat:.2f} (flat means ≈ 1)"
    )


if __name__ == "__main__":
    main()
