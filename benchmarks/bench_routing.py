"""Benchmark routing decisions among 1,000 agents against a first-available router, same run.

The desk: 1,000 agents with 3-8 of 50 skills (levels 1-5), capacities per channel, a home
team (billing, tech, access or vip) and for 40 % the frontline team, shifts on three
calendars (Paris and New York office hours, a night shift), some away, a few inactive,
some limited to languages or tiers. Five queues mix the strategies: premium cases round
robin (vip), chat least loaded (frontline), phone round robin (frontline), ten categories
by skill (tech), and the fallback by skill over every agent.

Work items arrive 1-40 ms apart from Monday 14:00 UTC, while both office shifts are on
(the night shift is off). Each decision adds one to the chosen agent's load; once
``Sizes.open`` cases are open, every arrival also resolves a random open case, so loads
stay current and the desk busy. Both routers see the same arrivals and resolution draws,
each on its own loads, and every round replays the same decisions from the same warm
state. Only the routing calls are timed (the queue lookup and the decision, for the roster).
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from report import Row, machine, print_table, section

from serviceflow.core._calendar import BusinessCalendar, business_calendar
from serviceflow.domain._conditions import CaseCondition
from serviceflow.rules._routing import Absence, Agent, Queue, Roster, Work, routing_problems

AGENTS = 1_000
SKILLS = tuple(f"s{n:02d}" for n in range(50))
HOME_TEAMS = ("billing", "tech", "access", "vip")
CHANNELS = ("email", "chat", "phone", "web")
CHANNEL_WEIGHTS = (50, 25, 10, 15)
LANGUAGES = ("en", "fr", "de")
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
"""Monday 15:00 in Paris, 09:00 in New York: both office shifts on, the night shift off."""
TARGET_RATIO = 0.3
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")

Loads = dict[tuple[str, str], int]
Router = Callable[[Work, Loads, datetime], str | None]


@dataclass(frozen=True)
class Sizes:
    """How much work a run does; ``--quick`` shrinks it."""

    warm: int
    decisions: int
    rounds: int
    open: int


FULL = Sizes(warm=5_000, decisions=50_000, rounds=3, open=1_500)
QUICK = Sizes(warm=3_000, decisions=10_000, rounds=2, open=1_500)
"""1,500 open cases: about a third of the capacity of the agents on shift."""


def calendars() -> dict[str, BusinessCalendar]:
    """Office hours in Paris and New York, and a night shift in UTC."""
    office = {day: ["09:00-17:00"] for day in WORKDAYS}
    return {
        "paris": business_calendar("paris", "Europe/Paris", office),
        "new_york": business_calendar("new_york", "America/New_York", office),
        "night": business_calendar("night", "UTC", {day: ["22:00-24:00"] for day in WORKDAYS}),
    }


def desk_agents(rng: random.Random) -> list[Agent]:
    """1,000 agents with random skills, capacities, teams, shifts and absences."""
    agents = []
    for n in range(AGENTS):
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(3, 8))}
        capacity = {"email": rng.randint(3, 8), "chat": rng.randint(1, 3)}
        if rng.random() < 0.5:
            capacity["phone"] = 1
        if rng.random() < 0.7:
            capacity["*"] = 2
        roll = rng.random()
        away: tuple[Absence, ...] = ()
        if roll < 0.05:  # away now, for a week
            away = (Absence(START - timedelta(days=2), START + timedelta(days=5)),)
        elif roll < 0.10:  # away next week
            away = (Absence(START + timedelta(days=7), START + timedelta(days=12)),)
        agents.append(
            Agent(
                id=f"agent:{n:04d}",
                teams=(rng.choice(HOME_TEAMS), *(("frontline",) if rng.random() < 0.4 else ())),
                skills=skills,
                languages=tuple(rng.sample(LANGUAGES, 2)) if rng.random() < 0.3 else (),
                tiers=("premium",) if rng.random() < 0.1 else (),
                capacity=capacity,
                calendar=rng.choices(("paris", "new_york", "night", None), (60, 20, 10, 10))[0],
                away=away,
                active=rng.random() >= 0.02,
            )
        )
    rng.shuffle(agents)
    return agents


def desk_queues() -> list[Queue]:
    """Round robin, least loaded and skill queues, and the fallback."""
    return [
        Queue("premium", when=CaseCondition(tier=("premium",)), strategy="round_robin", team="vip"),
        Queue(
            "chat", when=CaseCondition(channel=("chat",)), strategy="least_loaded", team="frontline"
        ),
        Queue(
            "phone",
            when=CaseCondition(channel=("phone",)),
            strategy="round_robin",
            team="frontline",
        ),
        Queue("specialists", when=CaseCondition(category=SKILLS[:10]), team="tech"),
        Queue("everything else"),
    ]


def arrivals(count: int, rng: random.Random) -> list[tuple[Work, datetime, float]]:
    """Random work items, their arrival instants, and a draw that picks a case to resolve."""
    items = []
    now = START
    for n in range(count):
        now += timedelta(milliseconds=rng.randint(1, 40))
        work = Work(
            case_id=f"C{n:07d}",
            channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            priority=rng.choice(("critical", "high", "medium", "low")),
            category=rng.choice(SKILLS),
            kind="incident",
            tier="premium" if rng.random() < 0.1 else "standard",
            language=rng.choice(LANGUAGES) if rng.random() < 0.3 else None,
            requester_group="acme",
        )
        items.append((work, now, rng.random()))
    return items


def roster_router(roster: Roster) -> Router:
    """The roster: the queue, then its decision, with a round-robin cursor per queue."""
    cursors: dict[str, str | None] = {}
    decide, queue_for = roster.decide, roster.queue_for

    def route(work: Work, loads: Loads, now: datetime) -> str | None:
        queue = queue_for(work)
        cursor = None if queue is None else cursors.get(queue.name)
        decision = decide(work, loads=loads, now=now, cursor=cursor, queue=queue)
        if decision.cursor is not None:
            cursors[decision.queue] = decision.cursor
        return decision.agent

    return route


def first_available(agents: list[Agent]) -> Router:
    """The baseline: the first agent in list order below capacity on the channel."""
    plain = [(a.id, dict(a.capacity)) for a in agents]

    def route(work: Work, loads: Loads, now: datetime) -> str | None:
        channel = work.channel
        for ident, capacity in plain:
            limit = capacity.get(channel)
            if limit is None:
                limit = capacity.get("*", 0)
            if loads.get((ident, channel), 0) < limit:
                return ident
        return None

    return route


@dataclass
class Desk:
    """Loads and open cases of one router's simulated desk."""

    loads: Loads
    held: list[tuple[str, str]]

    def copy(self) -> Desk:
        """An independent copy, so that every round starts from the same state."""
        return Desk(dict(self.loads), list(self.held))

    def take(self, agent: str, channel: str) -> None:
        """The agent takes a case on the channel."""
        key = (agent, channel)
        self.loads[key] = self.loads.get(key, 0) + 1
        self.held.append(key)

    def resolve(self, draw: float) -> None:
        """A random open case is resolved: its agent's load drops by one."""
        held = self.held
        i = int(draw * len(held))
        held[i], held[-1] = held[-1], held[i]
        key = held.pop()
        self.loads[key] -= 1


def run(
    route: Router,
    desk: Desk,
    items: list[tuple[Work, datetime, float]],
    open_cases: int,
    *,
    kinds: list[str] | None = None,
    check: Callable[[Work, Loads, datetime, str | None], None] | None = None,
) -> tuple[dict[str, float], int]:
    """Route ``items`` on ``desk``: seconds spent routing per kind of item (all ``"all"``
    unless ``kinds`` names each item's kind), and how many items had to wait."""
    spent: dict[str, float] = {}
    waits = 0
    clock = time.perf_counter
    for n, (work, now, draw) in enumerate(items):
        began = clock()
        agent = route(work, desk.loads, now)
        took = clock() - began
        kind = "all" if kinds is None else kinds[n]
        spent[kind] = spent.get(kind, 0.0) + took
        if check is not None:
            check(work, desk.loads, now, agent)
        if agent is None:
            waits += 1
        else:
            desk.take(agent, work.channel)
        if len(desk.held) > open_cases:
            desk.resolve(draw)
    return spent, waits


def scan_depth(
    agents: list[Agent], desk: Desk, items: list[tuple[Work, datetime, float]], open_cases: int
) -> float:
    """How many agents the baseline reads per decision on average (untimed)."""
    plain = [(a.id, dict(a.capacity)) for a in agents]
    read = 0
    for work, _, draw in items:
        channel = work.channel
        for ident, capacity in plain:
            read += 1
            limit = capacity.get(channel)
            if limit is None:
                limit = capacity.get("*", 0)
            if desk.loads.get((ident, channel), 0) < limit:
                desk.take(ident, channel)
                break
        if len(desk.held) > open_cases:
            desk.resolve(draw)
    return read / len(items)


def checker(
    roster: Roster, agents: list[Agent]
) -> Callable[[Work, Loads, datetime, str | None], None]:
    """Check a roster decision: the agent was eligible, and nobody exceeds capacity after it."""
    by_id = {a.id: a for a in agents}

    def check(work: Work, loads: Loads, now: datetime, agent: str | None) -> None:
        if agent is None:
            return
        refused = roster.refusal(agent, work, loads=loads, now=now)
        limit = by_id[agent].capacity_on(work.channel)
        if refused is not None or limit is None or loads.get((agent, work.channel), 0) >= limit:
            raise RuntimeError(f"{work.case_id}: {agent} was not eligible: {refused}")

    return check


def main(argv: list[str] | None = None) -> None:
    """Build the desk, warm both routers up, time them in interleaved rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (≈5 s)")
    sizes = QUICK if parser.parse_args(argv).quick else FULL
    print(machine("routing"))
    rng = random.Random(20260302)
    with section(f"set-up: {AGENTS:,} agents, {len(SKILLS)} skills, 5 queues"):
        shifts = calendars()
        agents = desk_agents(rng)
        queues = desk_queues()
        allowed = {"channel": CHANNELS, "tier": ("standard", "premium")}
        problems = list(routing_problems(agents, queues, list(shifts), allowed))
        if problems:
            raise RuntimeError(f"unsound roster: {problems}")
        began = time.perf_counter()
        roster = Roster(agents, queues, shifts)
        built = time.perf_counter() - began
        on_shift = sum(roster.available(a.id, START) for a in agents)
        print(f"  roster built in {built * 1e3:.0f} ms; {on_shift} of {AGENTS} agents available")
        items = arrivals(sizes.warm + sizes.decisions, rng)
        warm, timed = items[: sizes.warm], items[sizes.warm :]
        kinds = [queue.strategy if (queue := roster.queue_for(w)) else "none" for w, _, _ in timed]
    with section(f"warm-up: {sizes.warm:,} decisions each, up to {sizes.open:,} open cases"):
        ours, base = Desk({}, []), Desk({}, [])
        run(roster_router(roster), ours, warm, sizes.open, check=checker(roster, agents))
        run(first_available(agents), base, warm, sizes.open)
        print(f"  open cases: roster {len(ours.held):,}, baseline {len(base.held):,}")
    best_ours: dict[str, float] = {}
    best_base = float("inf")
    with section(f"timing: {sizes.rounds} interleaved rounds of the same {len(timed):,} decisions"):
        for _ in range(sizes.rounds):
            gc.collect()
            spent, waits_base = run(first_available(agents), base.copy(), timed, sizes.open)
            best_base = min(best_base, spent["all"])
            gc.collect()
            spent, waits_ours = run(
                roster_router(roster), ours.copy(), timed, sizes.open, kinds=kinds
            )
            if sum(spent.values()) < sum(best_ours.values() or [float("inf")]):
                best_ours = spent
        share = {kind: kinds.count(kind) / len(kinds) for kind in sorted(set(kinds))}
        print(
            "  decisions by strategy: "
            + ", ".join(f"{kind} {part:.0%}" for kind, part in share.items())
            + f"; waits (nobody can take it): roster {waits_ours / len(timed):.1%}, "
            f"baseline {waits_base / len(timed):.1%}"
        )
        depth = scan_depth(agents, base.copy(), timed, sizes.open)
        print(f"  the baseline reads {depth:.0f} agents per decision on average")
        checked = timed[: len(timed) // 5]
        run(roster_router(roster), ours.copy(), checked, sizes.open, check=checker(roster, agents))
        print(f"  {len(checked):,} roster decisions checked against the rules and capacities")
    total = sum(best_ours.values())
    base_us = best_base / len(timed) * 1e6
    ratio = best_base / total
    rows = [
        Row(
            f"routing decisions/s, {AGENTS:,} agents, {len(SKILLS)} skills",
            f"{len(timed) / total:,.0f} /s ({total / len(timed) * 1e6:.1f} µs)",
            f"first available {len(timed) / best_base:,.0f} /s ({base_us:.1f} µs)",
            f"{ratio:.2f}x",
            f"≥ {TARGET_RATIO}x",
            "yes" if ratio >= TARGET_RATIO else "NO",
        )
    ]
    for kind, seconds in sorted(best_ours.items()):
        mean = seconds / kinds.count(kind) * 1e6
        rows.append(
            Row(
                f"  of which {kind} queues ({share[kind]:.0%})",
                f"{1e6 / mean:,.0f} /s ({mean:.1f} µs)",
                "",
                f"{base_us / mean:.2f}x",
                "",
                "",
            )
        )
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
