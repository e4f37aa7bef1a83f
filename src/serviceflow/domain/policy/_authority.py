"""Authority as policy data: roles, and the checks types cannot express.

``authority`` (rules) applies them to commands; this module holds what the policy is made
of, so the policy (domain) never imports the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from attrs import frozen

from serviceflow.core._identity import canonical_actor, identity_problems
from serviceflow.domain import _commands as cmd

INTERNAL = ("system:", "automation:")
"""Actor prefixes of the desk itself: timers, automation, policy changes."""
CLIENT = "client:"
"""The actor prefix of clients (``client:jane@acme.test``)."""


@frozen
class Role:
    """A set of actors and what they may do: commands, topics, and free or canned words."""

    name: str
    actors: tuple[str, ...]
    may: tuple[str, ...] = ("*",)
    categories: tuple[str, ...] = ()
    canned_only: bool = False

    def covers(self, actor: str) -> bool:
        """Does this role hold ``actor`` (exact name, or a prefix written ``agent:*``)?
        Both are compared canonically: ``Agent:KIM`` is ``agent:kim``."""
        key = canonical_actor(actor)
        return any(
            key.startswith(pattern[:-1]) if pattern.endswith("*") else key == pattern
            for pattern in map(canonical_actor, self.actors)
        )

    def allows(self, command: str) -> bool:
        """May this role run ``command`` at all?"""
        return "*" in self.may or command in self.may


def role_of(actor: str, roles: tuple[Role, ...]) -> Role | None:
    """The first role that covers ``actor``."""
    return next((role for role in roles if role.covers(actor)), None)


def authority_problems(
    roles: tuple[Role, ...], categories: tuple[str, ...], canned: Mapping[str, str]
) -> Iterator[str]:
    """Role names unique, commands and categories known, no role that covers nobody."""
    seen: set[str] = set()
    known = ", ".join(sorted(cmd.COMMANDS))
    for i, role in enumerate(roles):
        path = f"$.roles[{i}]"
        if role.name in seen:
            yield f"{path}.name: {role.name!r} is listed twice"
        seen.add(role.name)
        if not role.actors:
            yield f"{path}.actors: at least one actor or prefix (e.g. 'agent:*') is required"
        for pattern in role.actors:
            if not pattern.strip() or pattern == "*":
                yield f"{path}.actors: {pattern!r} would cover everyone; name a prefix"
            elif canonical_actor(pattern).startswith((*INTERNAL, CLIENT)):
                yield f"{path}.actors: {pattern!r} is the desk itself or a client, not a role"
            yield from identity_problems(f"{path}.actors", pattern)
        for command in role.may:
            if command != "*" and command not in cmd.COMMANDS:
                yield f"{path}.may: unknown command {command!r} (commands: {known})"
        for category in role.categories:
            if category not in categories:
                yield (
                    f"{path}.categories: unknown category {category!r} "
                    f"(categories: {', '.join(categories)})"
                )
        if role.canned_only and not canned:
            yield f"{path}.canned_only: the policy has no canned responses"
    for name, text in canned.items():
        if not text.strip():
            yield f"$.canned.{name}: a canned response must not be empty"
