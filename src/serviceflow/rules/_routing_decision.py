"""A routing decision and the reason it gives: why the picked agent (their turn, their load,
their skill match), or why nobody (each candidate's refusal, or counts by cause).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter

from attrs import frozen

from serviceflow.domain.policy._routing import LEAST_LOADED, ROUND_ROBIN
from serviceflow.rules._agent_match import Member, lacking, serves
from serviceflow.rules._candidates import EMPTY, Entry, Plan, Pool
from serviceflow.rules._on_duty import Shifts
from serviceflow.rules._queue_strategies import Ask

PLUGIN = "plugin"
"""The strategy named by a decision a ``route`` plugin made (not a queue strategy)."""
LISTED = 5
"""A reason names up to this many candidates one by one; beyond that it counts causes."""


@frozen
class Decision:
    """The outcome of routing one case: its queue and its owner, or why it waits."""

    queue: str
    strategy: str
    agent: str | None
    reason: str
    cursor: str | None = None
    case_id: str = ""


def decision_for(
    plan: Plan,
    pool: Pool,
    ask: Ask,
    entry: Entry,
    *,
    cursor: str | None,
    last: Member | None,
) -> Decision:
    """The decision for the candidate a strategy picked (``last``: the member at a round
    robin's ``cursor``), with the reason it was them."""
    name, strategy = plan.queue.name, plan.queue.strategy
    work = ask.work
    member, key, limit, score = entry
    load = f"load {ask.loads.get(key, 0)}/{limit} on {work.channel}"
    every = pool.taking(work.channel)
    if strategy == ROUND_ROBIN:
        # Everyone between the cursor and the pick, cyclically, could not take the work.
        after = 0 if last is None else bisect_right(every.ranks, last.rank)
        upto = bisect_left(every.ranks, member.rank)
        passed = upto - after if upto >= after else len(every.ranks) - after + upto
        turn = "from the start" if last is None else f"after {cursor}"
        others = f"; {passed} before them cannot take it now" if passed else ""
        reason = f"{member.id}: next in turn {turn}, {load}{others}"
        return Decision(name, strategy, member.id, reason, member.id)
    if strategy == LEAST_LOADED:
        return Decision(name, strategy, member.id, f"{member.id}: least loaded, {load}")
    requirement = plan.requirement(work)
    if not requirement:
        reason = f"{member.id}: no skill required, least loaded, {load}"
        return Decision(name, strategy, member.id, reason)
    levels = ", ".join(f"{skill} {member.skills[skill]}" for skill in sorted(requirement))
    # Every candidate scored higher could not take the work.
    better = bisect_left(every.scores, -score)
    others = f"; {better} better matched cannot take it now" if better else ""
    reason = f"{member.id}: best skill match ({levels}), {load}{others}"
    return Decision(name, strategy, member.id, reason)


def refusal_of(
    member: Member,
    ask: Ask,
    needs: tuple[tuple[str, int], ...],
    shifts: Shifts,
    *,
    detail: bool,
) -> tuple[str, str] | None:
    """The first rule ``member`` fails for the work, as (cause, detail); lasting causes
    come before passing ones, so a reason names first what waiting would not fix. The
    detail (with numbers and times) is only written when asked for."""
    if not member.active:
        return "inactive", "is inactive"
    lacks = lacking(member, needs)
    if lacks is not None:
        return f"lacking skill {lacks}", f"lacks skill {lacks}"
    work = ask.work
    if member.tiers is not None and work.tier not in member.tiers:
        return f"not serving tier {work.tier}", f"does not serve tier {work.tier}"
    language = work.language
    if not serves(member, work.tier, language):
        return f"not speaking {language}", f"does not speak {language}"
    channel = work.channel
    limit = member.limit(channel)
    if limit is None:
        return f"not taking {channel}", f"does not take {channel}"
    back = member.away_at(ask.now)
    if back is not None:
        return "away", f"is away until {back.isoformat()}" if detail else ""
    if member.shift is not None and not shifts.is_open(member.shift, ask.now, ask.opened):
        return "off shift", "is off shift"
    load = ask.loads.get((member.id, channel), 0)
    if load >= limit:
        return "at capacity", f"is at capacity ({channel} {load}/{limit})" if detail else ""
    return None


def nobody(plan: Plan, pool: Pool, ask: Ask, shifts: Shifts) -> str:
    """Why no candidate of the queue can take the work: each one, or counts by cause."""
    members = plan.members
    if not members:
        team = plan.queue.team
        return "no candidates: no agents" + ("" if team is None else f" in team {team}")
    needs = tuple(sorted(plan.requirement(ask.work).items()))
    head = f"{len(members)} candidate{'' if len(members) == 1 else 's'}: "
    if len(members) <= LISTED:
        refused = [(m.id, refusal_of(m, ask, needs, shifts, detail=True)) for m in members]
        return head + ", ".join(f"{agent} {found[1]}" for agent, found in refused if found)
    # Inactive members and those lacking skills stay so: count them once per pool.
    static = pool.static
    if pool is EMPTY:  # nobody in the queue has the category's skill
        static = Counter({f"lacking skill {needs[0][0]}>={needs[0][1]}": plan.active})
        static["inactive"] = len(members) - plan.active
    elif static is None:
        static = pool.static = Counter(
            "inactive" if not m.active else f"lacking skill {lacking(m, needs)}"
            for m in members
            if not m.active or m.rank not in pool.ranks
        )
    causes = static.copy()
    for _, member in pool.scored:
        if member.active:
            found = refusal_of(member, ask, needs, shifts, detail=False)
            if found is not None:
                causes[found[0]] += 1
    ordered = sorted((item for item in causes.items() if item[1]), key=lambda i: (-i[1], i[0]))
    return head + ", ".join(f"{n} {cause}" for cause, n in ordered)
