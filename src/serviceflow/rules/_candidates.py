"""A queue's candidates, indexed once: its members meeting each skill requirement, and on
each channel those with capacity for it, filtered by who is on duty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from serviceflow.domain.policy._routing import (
    CONDITIONS,
    LOWEST_LEVEL,
    SKILL,
    Queue,
    Work,
    condition_lists,
    queue_skills,
)
from serviceflow.rules._agent_match import Member
from serviceflow.rules._on_duty import Duty

Entry = tuple[Member, tuple[str, str], int, int]
"""A candidate on one channel: the member, its key in ``loads``, its capacity, its score."""


class Pool:
    """The candidates of a queue for one skill requirement: in id order, or for the skill
    strategy best score first, then id order."""

    __slots__ = ("_channels", "_on_duty", "ranks", "scored", "static")

    def __init__(self, scored: list[tuple[int, Member]]) -> None:
        self.scored = scored
        self.ranks = frozenset(member.rank for _, member in scored)
        self.static: Counter[str] | None = None
        self._channels: dict[str, Lane] = {}
        self._on_duty: dict[str, tuple[Duty, Lane]] = {}

    def taking(self, channel: str) -> Lane:
        """The active candidates that take ``channel`` at all."""
        lane = self._channels.get(channel)
        if lane is None:
            entries: list[Entry] = []
            for score, member in self.scored:
                limit = member.limit(channel)
                if member.active and limit:
                    entries.append((member, (member.id, channel), limit, score))
            # Bounded: the channels of cases are the policy's channels.
            lane = self._channels[channel] = Lane(tuple(entries))
        return lane

    def on_duty(self, channel: str, duty: Duty) -> Lane:
        """The candidates that take ``channel`` and are on duty (kept while ``duty`` lasts)."""
        found = self._on_duty.get(channel)
        if found is None or found[0] is not duty:
            on = duty.on
            lane = Lane(tuple(e for e in self.taking(channel).entries if e[0].rank in on))
            found = self._on_duty[channel] = (duty, lane)
        return found[1]


class Lane:
    """Candidates on one channel in pool order, with their ranks and negated scores."""

    __slots__ = ("entries", "ranks", "scores")

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.entries = entries
        self.ranks = [entry[0].rank for entry in entries]
        self.scores = [-entry[3] for entry in entries]


EMPTY = Pool([])
"""The pool of a skill no member of the queue holds."""


class Plan:
    """One queue, indexed: its condition checks, its members and its candidate pools."""

    __slots__ = ("active", "by_category", "checks", "members", "pool", "queue")

    def __init__(
        self,
        queue: Queue,
        members: tuple[Member, ...],
        by_skill: Mapping[str, list[Member]],
    ) -> None:
        self.queue = queue
        self.checks = tuple(
            (name, frozenset(allowed))
            for name, allowed in zip(CONDITIONS, condition_lists(queue.when), strict=True)
            if allowed
        )
        self.members = members
        self.active = sum(m.active for m in members)
        team = None if queue.team is None else {m.id for m in members}
        by_score = queue.strategy == SKILL
        self.pool = _pool(members, queue.skills, by_skill, team, by_score=by_score)
        self.by_category: dict[str, Pool] = {}
        if by_score and not queue.skills:
            for skill in by_skill:
                pool = _pool(members, {skill: LOWEST_LEVEL}, by_skill, team, by_score=True)
                if pool.scored:
                    self.by_category[skill] = pool

    def requirement(self, work: Work) -> Mapping[str, int]:
        """The skill levels this queue asks of whoever takes ``work``."""
        return queue_skills(self.queue, work)

    def pool_for(self, work: Work) -> Pool:
        """The candidates meeting the requirement for ``work``."""
        if self.queue.strategy == SKILL and not self.queue.skills and work.category is not None:
            return self.by_category.get(work.category, EMPTY)
        return self.pool


def _pool(
    members: tuple[Member, ...],
    requirement: Mapping[str, int],
    by_skill: Mapping[str, list[Member]],
    team: set[str] | None,
    *,
    by_score: bool,
) -> Pool:
    """Members meeting ``requirement``, scored by the sum of their levels on it, in id order
    or (``by_score``) best score first, then id order."""
    if not requirement:
        return Pool([(0, m) for m in members])
    if min(requirement.values()) >= LOWEST_LEVEL:
        # Only agents holding the rarest required skill can qualify: start from its index.
        rarest = min(requirement, key=lambda skill: len(by_skill.get(skill, ())))
        among: Iterable[Member] = (
            m for m in by_skill.get(rarest, ()) if team is None or m.id in team
        )
    else:
        among = members
    scored = [
        (sum(m.skills.get(skill, 0) for skill in requirement), m)
        for m in among
        if all(m.skills.get(skill, 0) >= level for skill, level in requirement.items())
    ]
    scored.sort(key=lambda pair: (-pair[0] if by_score else 0, pair[1].rank))
    return Pool(scored)
