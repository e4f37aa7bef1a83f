"""An agent as routing reads it, and how it matches a case: tier, language, skills and
channel capacity (the per-agent checks every routing strategy and reason shares).
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.clock import require_aware
from serviceflow.domain.policy._routing import ANY_CHANNEL, Agent


class Member:
    """An agent as routing reads it: plain attributes, absences in UTC, a rank in id order."""

    __slots__ = (
        "active",
        "agent",
        "away",
        "capacity",
        "id",
        "languages",
        "rank",
        "shift",
        "skills",
        "tiers",
    )

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.id = agent.id
        self.rank = 0
        self.active = agent.active
        self.shift = agent.calendar
        self.away = tuple(
            (require_aware(a.start, "absence start"), require_aware(a.end, "absence end"))
            for a in agent.away
        )
        self.tiers = frozenset(agent.tiers) if agent.tiers else None
        self.languages = frozenset(agent.languages) if agent.languages else None
        self.skills = dict(agent.skills)
        self.capacity = dict(agent.capacity)

    def limit(self, channel: str) -> int | None:
        """Like `Agent.capacity_on`, on a plain dict."""
        limit = self.capacity.get(channel)
        return self.capacity.get(ANY_CHANNEL) if limit is None else limit

    def away_at(self, now: datetime) -> datetime | None:
        """The end of the absence covering ``now``, if any."""
        for start, end in self.away:
            if start <= now < end:
                return end
        return None


def serves(member: Member, tier: str, language: str | None) -> bool:
    """Does ``member`` serve this tier and speak this language (or list none)?"""
    if member.tiers is not None and tier not in member.tiers:
        return False
    return language is None or member.languages is None or language in member.languages


def lacking(member: Member, needs: tuple[tuple[str, int], ...]) -> str | None:
    """The first required ``skill>=level`` (in skill order) that ``member`` lacks, if any."""
    for skill, level in needs:
        if member.skills.get(skill, 0) < level:
            return f"{skill}>={level}"
    return None
