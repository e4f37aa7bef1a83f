"""Authority ("commander's intent"): who may run which command on which topics.

Roles are policy data (``authority_policy``). A role covers actors by name
(``agent:ann``) or by prefix (``agent:*``), lists the commands it may run (``*``: all),
may be limited to categories, and may be held to canned responses for every public
message. The first role that covers an actor is theirs. The desk itself (``system:*``,
``automation:*``) is never refused, and clients (``client:…``) may act only on their own
cases. A policy with no roles refuses nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from serviceflow import commands as cmd
from serviceflow.authority_policy import CLIENT, INTERNAL, Role, role_of
from serviceflow.case import Case, client_actor
from serviceflow.errors import NotAuthorized

__all__ = ["CLIENT_COMMANDS", "Role", "acting", "authorize", "role_of"]

CLIENT_COMMANDS = frozenset(
    {"submit", "client_reply", "confirm", "reopen", "cancel", "escalate", "survey"}
)
"""What a client may do, on their own cases only (``survey``: answer a satisfaction survey)."""
_MESSAGES = {
    "acknowledge": "message",
    "reply": "message",
    "request_info": "message",
    "resolve": "resolution",
}
"""The text field of each command whose event the client reads."""


def authorize(
    case: Case | None,
    command: cmd.Command,
    roles: tuple[Role, ...],
    canned: Mapping[str, str],
) -> None:
    """Refuse ``command`` with ``NotAuthorized`` unless its actor's role allows it on ``case``."""
    actor, name = acting(case, command), command.NAME
    if not roles or actor.startswith(INTERNAL):
        return
    if actor.startswith(CLIENT):
        _authorize_client(case, command, actor)
        return
    role = role_of(actor, roles)
    if role is None:
        raise NotAuthorized(actor, name, f"a role that covers {actor} (roles: {_names(roles)})")
    if not role.allows(name):
        raise NotAuthorized(actor, name, _needed(roles, lambda r: r.allows(name), f"may {name}"))
    outside = [t for t in _topics(case, command) if role.categories and t not in role.categories]
    if outside:
        topic = outside[0]
        raise NotAuthorized(
            actor,
            f"{name} a case in category {topic!r}",
            _needed(roles, lambda r: r.allows(name) and _engages(r, topic), f"engages {topic}"),
        )
    field = _MESSAGES.get(name)
    if role.canned_only and field is not None:
        text = getattr(command, field)
        template = getattr(command, "template", None)
        if (template is None or text.strip()) and text not in canned.values():
            listing = ", ".join(canned) or "none defined"
            raise NotAuthorized(
                actor,
                f"{name} with words of their own (role {role.name!r} sends canned responses)",
                f"a template with no added text, one of the canned responses ({listing}), "
                "or a role without canned_only",
            )


def acting(case: Case | None, command: cmd.Command) -> str:
    """Who acts: clients' commands may leave ``by`` blank to mean the requester."""
    if command.by.strip():
        return command.by.strip()
    if isinstance(command, cmd.Submit):
        return client_actor(command.requester)
    return client_actor(case.requester) if case is not None else ""


def _authorize_client(case: Case | None, command: cmd.Command, actor: str) -> None:
    name = command.NAME
    if name not in CLIENT_COMMANDS:
        raise NotAuthorized(actor, name, f"an agent's role (clients may {_listing()})")
    if isinstance(command, cmd.Submit) and client_actor(command.requester) != actor:
        raise NotAuthorized(actor, f"submit for {command.requester}", "to be that requester")
    if case is not None and client_actor(case.requester) != actor:
        raise NotAuthorized(
            actor, f"{name} case {case.id}", f"to be its requester ({case.requester})"
        )


def _topics(case: Case | None, command: cmd.Command) -> list[str]:
    """The categories a command engages: the case's, and the new one when classifying."""
    topics = [case.category] if case is not None and case.category is not None else []
    new = command.category if isinstance(command, cmd.Classify) else None
    if new is not None and new not in topics:
        topics.append(new)
    return topics


def _engages(role: Role, topic: str) -> bool:
    return not role.categories or topic in role.categories


def _needed(roles: tuple[Role, ...], fits: Callable[[Role], bool], what: str) -> str:
    """The roles that would allow what was refused, by name."""
    names = [r.name for r in roles if fits(r)]
    if not names:
        return f"a role that {what} (no role in the policy does)"
    return f"role {' or '.join(repr(n) for n in names)}"


def _names(roles: tuple[Role, ...]) -> str:
    return ", ".join(r.name for r in roles)


def _listing() -> str:
    return ", ".join(sorted(CLIENT_COMMANDS))
