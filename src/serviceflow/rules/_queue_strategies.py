"""The queue strategies that pick among a queue's candidates on duty, in pool order:
round robin, least loaded and best skill match, each reading one routing question.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from serviceflow.domain.policy._routing import Work
from serviceflow.rules._agent_match import serves
from serviceflow.rules._candidates import Entry


class Ask:
    """One routing question: the work, the loads and the instant (UTC), and the shifts open
    then, filled in as candidates need them."""

    __slots__ = ("loads", "now", "opened", "work")

    def __init__(
        self,
        work: Work,
        loads: Mapping[tuple[str, str], int],
        now: datetime,
        opened: dict[str, bool],
    ) -> None:
        self.work = work
        self.loads = loads
        self.now = now
        self.opened = opened


def rotate(entries: tuple[Entry, ...], start: int, ask: Ask) -> Entry | None:
    """The first eligible candidate from position ``start`` on, cyclically."""
    get = ask.loads.get
    tier, language = ask.work.tier, ask.work.language
    count = len(entries)
    for turn in range(count):
        entry = entries[(start + turn) % count]
        if get(entry[1], 0) < entry[2] and serves(entry[0], tier, language):
            return entry
    return None


def least_loaded(
    entries: tuple[Entry, ...], ask: Ask, *, best_score_only: bool = False
) -> Entry | None:
    """The eligible candidate with the lowest share of capacity in use, then fewest cases;
    with ``best_score_only``, among those with the best score (entries come best first)."""
    get = ask.loads.get
    tier, language = ask.work.tier, ask.work.language
    best: Entry | None = None
    best_load = best_limit = 0
    for entry in entries:
        if best_score_only and best is not None and entry[3] < best[3]:
            break
        load, limit = get(entry[1], 0), entry[2]
        if load >= limit:
            continue
        if best is not None:
            # load/limit against best_load/best_limit, without division.
            mine, theirs = load * best_limit, best_load * limit
            if mine > theirs or (mine == theirs and load >= best_load):
                continue
        if serves(entry[0], tier, language):
            best, best_load, best_limit = entry, load, limit
            if load == 0:
                break
    return best


def best_match(entries: tuple[Entry, ...], ask: Ask) -> Entry | None:
    """Among the eligible candidates with the best score, the least loaded."""
    return least_loaded(entries, ask, best_score_only=True)
