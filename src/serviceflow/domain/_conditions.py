"""Conditions on a case's facts, shared by the policy sections that pick cases."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from serviceflow.domain._case import Case


@frozen
class CaseCondition:
    """Which cases a rule applies to (a service level, a queue); an empty list means any."""

    priority: tuple[str, ...] = ()
    tier: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    requester_group: tuple[str, ...] = ()

    def matches(self, case: Case) -> bool:
        """Does ``case`` meet every condition?"""
        checks = (
            (self.priority, case.priority),
            (self.tier, case.tier),
            (self.category, case.category),
            (self.kind, case.kind),
            (self.channel, case.channel),
            (self.requester_group, case.requester_group),
        )
        return all(not allowed or value in allowed for allowed, value in checks)

    @property
    def is_fallback(self) -> bool:
        """True when the condition matches every case."""
        return not any(
            (self.priority, self.tier, self.category, self.kind, self.channel, self.requester_group)
        )


def condition_problems(
    path: str, condition: CaseCondition, known: Mapping[str, tuple[str, ...]]
) -> Iterator[str]:
    """Values a condition names that the policy does not know (``known``: allowed per fact;
    an empty tuple allows anything)."""
    for fact, allowed in known.items():
        for value in getattr(condition, fact):
            if allowed and value not in allowed:
                yield f"{path}.{fact}: expected one of {', '.join(allowed)}, got {value!r}"
