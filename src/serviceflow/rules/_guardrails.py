"""Guardrails: lines that must never be crossed, whoever acts, declared in the policy.

A guardrail names the commands it guards, the cases it applies to (a ``CaseCondition``)
and, optionally, the roles it applies to. With no ``require`` it forbids those commands
outright (a responder may not resolve); otherwise each requirement must hold on the case
as it stands before the command (a critical case is closed only after the client
confirmed; whoever validates did not resolve). Plugins add their own through the
``guardrail`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from serviceflow.core._identity import same_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain._case import Case
from serviceflow.domain.policy._guardrails import Guardrail
from serviceflow.errors import GuardrailViolation

__all__ = ["REQUIREMENTS", "Guardrail", "SkillCheck", "check_guardrails"]

SkillCheck = Callable[[str, Case], str | None]
"""Why an agent lacks the skills a case needs (``None``: it has them)."""


def _validated(case: Case, command: cmd.Command, _: SkillCheck) -> str | None:
    return None if case.validated_at is not None else "the case was not validated"


def _confirmed(case: Case, command: cmd.Command, _: SkillCheck) -> str | None:
    return None if case.confirmed_at is not None else "the client has not confirmed"


def _acknowledged(case: Case, command: cmd.Command, _: SkillCheck) -> str | None:
    return None if case.acknowledged_at is not None else "the client was not acknowledged"


def _four_eyes(case: Case, command: cmd.Command, _: SkillCheck) -> str | None:
    actor = command.by.strip()
    if same_actor(case.resolved_by, actor):
        return f"{actor} resolved the case and may not also pass it"
    return None


def _skilled_assignee(case: Case, command: cmd.Command, lacks: SkillCheck) -> str | None:
    if not isinstance(command, cmd.Assign):
        return None
    return lacks(command.to, case)


REQUIREMENTS: Mapping[str, Callable[[Case, cmd.Command, SkillCheck], str | None]] = {
    "validated": _validated,
    "confirmed": _confirmed,
    "acknowledged": _acknowledged,
    "four_eyes": _four_eyes,
    "skilled_assignee": _skilled_assignee,
}
"""What a guardrail may require (``REQUIREMENT_NAMES``), each a check that says why it
does not hold."""


def check_guardrails(
    case: Case | None,
    command: cmd.Command,
    guardrails: tuple[Guardrail, ...],
    role: str | None,
    lacks_skill: SkillCheck,
) -> None:
    """Raise ``GuardrailViolation`` for the first guardrail ``command`` would cross."""
    if case is None:
        return
    for rail in guardrails:
        if command.NAME not in rail.commands or not rail.when.matches(case):
            continue
        if rail.roles and role not in rail.roles:
            continue
        action = f"{command.NAME} case {case.id}"
        if not rail.require:
            reason = rail.message or f"{command.NAME} is forbidden here"
            raise GuardrailViolation(rail.name, action, reason)
        for requirement in rail.require:
            unmet = REQUIREMENTS[requirement](case, command, lacks_skill)
            if unmet is not None:
                reason = f"{rail.message}: {unmet}" if rail.message else unmet
                raise GuardrailViolation(rail.name, action, reason)
