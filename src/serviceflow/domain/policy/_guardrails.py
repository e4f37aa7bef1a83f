"""Guardrails as policy data: the lines a policy draws, and the checks types cannot express.

``guardrails`` (rules) checks commands against them; this module holds what the policy
is made of, so the policy (domain) never imports the rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import field, frozen

from serviceflow.domain import _commands as cmd
from serviceflow.domain._conditions import CaseCondition

REQUIREMENT_NAMES = ("validated", "confirmed", "acknowledged", "four_eyes", "skilled_assignee")
"""What a guardrail may ``require`` (``guardrails.REQUIREMENTS`` checks each)."""


@frozen
class Guardrail:
    """Commands that are forbidden, or allowed only when requirements hold, on some cases."""

    name: str
    commands: tuple[str, ...]
    when: CaseCondition = field(factory=CaseCondition)
    roles: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    message: str = ""


def guardrail_problems(guardrails: tuple[Guardrail, ...], roles: tuple[str, ...]) -> Iterator[str]:
    """Names unique; commands, roles and requirements known; something guarded."""
    seen: set[str] = set()
    commands = ", ".join(sorted(cmd.COMMANDS))
    for i, rail in enumerate(guardrails):
        path = f"$.guardrails[{i}]"
        if rail.name in seen:
            yield f"{path}.name: {rail.name!r} is listed twice"
        seen.add(rail.name)
        if not rail.commands:
            yield f"{path}.commands: name at least one command to guard"
        for command in rail.commands:
            if command not in cmd.COMMANDS:
                yield f"{path}.commands: unknown command {command!r} (commands: {commands})"
        for role in rail.roles:
            if role not in roles:
                yield f"{path}.roles: unknown role {role!r} (roles: {', '.join(roles) or 'none'})"
        for requirement in rail.require:
            if requirement not in REQUIREMENT_NAMES:
                yield (
                    f"{path}.require: unknown requirement {requirement!r} "
                    f"(requirements: {', '.join(REQUIREMENT_NAMES)})"
                )
