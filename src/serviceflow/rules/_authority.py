"""Authority ("commander's intent"): who may run which command on which topics.

Roles are policy data (``authority_policy``). A role covers actors by name
(``agent:ann``) or by prefix (``agent:*``), lists the commands it may run (``*``: all),
may be limited to categories, and may be held to canned responses for every public
message. The first role that covers an actor is theirs. The desk itself (``system:*``,
``automation:*``) is never refused, and clients (``client:…``) may act only on their own
cases. Actors are compared in their canonical form (``serviceflow.identity``).

A client is who the integration says (``by``), group included: ``client:acme/jane@acme.test``
may submit only as requester ``acme/jane@acme.test``, never chooses a tier, and asks for the
next escalation tier only. These hold with or without roles: they decide what service a
client obtains. Otherwise a policy with no roles refuses nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from serviceflow.core._identity import canonical_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain._case import Case, client_actor
from serviceflow.domain.policy._authority import CLIENT, INTERNAL, Role, role_of
from serviceflow.errors import NotAuthorized

__all__ = ["CLIENT_COMMANDS", "Role", "acting", "authorize", "client_owns", "role_of"]

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
_ASKED = ("next", "manual")
"""The only escalation a client asks for: the next tier, by hand."""


def authorize(
    case: Case | None,
    command: cmd.Command,
    roles: tuple[Role, ...],
    canned: Mapping[str, str],
) -> None:
    """Refuse ``command`` with ``NotAuthorized`` unless its actor's role allows it on ``case``."""
    actor, name = acting(case, command), command.NAME
    key = canonical_actor(actor)
    if key.startswith(INTERNAL):
        return
    if key.startswith(CLIENT):
        _client_service(case, command, actor)
        if roles:
            _authorize_client(case, command, actor)
        return
    if not roles:
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


def client_owns(actor: str, requester: str) -> bool:
    """Is client ``actor`` the requester ``requester``? An actor that names a group
    (``client:acme/jane@acme.test``) must match it too; one that names only an address
    (``client:jane@acme.test``) is that address in any group. Compared canonically."""
    who = canonical_actor(actor).removeprefix(CLIENT)
    wanted = canonical_actor(requester)
    if not wanted:
        return False  # an imported case whose log names no requester: no client owns it
    return who == (wanted if "/" in who else wanted.rpartition("/")[2])


def _client_service(case: Case | None, command: cmd.Command, actor: str) -> None:
    """What a client obtains comes from who they are, never from what they type: they
    submit as themselves (group included), choose no tier, and escalate one tier up."""
    if isinstance(command, cmd.Submit):
        if not command.by.strip():
            return  # the integration's own intake: it vouches for requester and tier
        requester = command.requester.strip()
        if canonical_actor(actor).removeprefix(CLIENT) != canonical_actor(requester):
            raise NotAuthorized(
                actor,
                f"submit for {requester}",
                f"to be that requester (by='client:{requester}'; "
                "a client's group comes from who they are)",
            )
        if command.tier is not None:
            raise NotAuthorized(
                actor,
                f"choose the tier ({command.tier!r})",
                "staff (a client's tier comes from the policy's tier for their group)",
            )
    elif isinstance(command, cmd.Escalate) and (command.to, command.trigger) != _ASKED:
        raise NotAuthorized(
            actor,
            f"escalate case {command.case_id} to {command.to!r} (trigger {command.trigger!r})",
            "staff (a client asks for the next tier: to='next', trigger='manual')",
        )


def _authorize_client(case: Case | None, command: cmd.Command, actor: str) -> None:
    name = command.NAME
    if name not in CLIENT_COMMANDS:
        raise NotAuthorized(actor, name, f"an agent's role (clients may {_listing()})")
    if case is not None and not client_owns(actor, case.requester):
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
