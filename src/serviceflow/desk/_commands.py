"""The case commands as methods: each builds its command and runs it through ``execute``.

``ServiceDesk`` is one; the methods only name the command's fields, so the pipeline stays the
one place where a command is checked, decided and stored.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

import pluggy

from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.domain import _commands as cmd
from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy


class CaseCommands(ABC):
    """Every lifecycle command on a case, by name, over the desk's policy and plugins."""

    policy: Policy
    plugins: pluggy.PluginManager

    @abstractmethod
    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case:
        """Run ``command`` (the desk's pipeline)."""

    def classify(
        self,
        case_id: str,
        *,
        by: str,
        category: str | None = None,
        kind: str | None = None,
        confidence: float | None = None,
        tags: Sequence[str] = (),
        reason: str | None = None,
    ) -> Case:
        """Set category and kind (from intake data where not given), with tags and why."""
        command = cmd.Classify(
            case_id=case_id,
            by=by,
            category=category,
            kind=kind,
            confidence=confidence,
            tags=tuple(tags) if isinstance(tags, list | tuple) else cast("tuple[str, ...]", tags),
            reason=reason,
        )
        return self.execute(command)

    def prioritize(
        self,
        case_id: str,
        *,
        by: str,
        impact: str | None = None,
        urgency: str | None = None,
        priority: str | None = None,
        reason: str | None = None,
    ) -> Case:
        """Prioritize by the matrix (impact × urgency), or set ``priority`` with a ``reason``."""
        command = cmd.Prioritize(
            case_id=case_id, by=by, impact=impact, urgency=urgency, priority=priority, reason=reason
        )
        return self.execute(command)

    def assign(self, case_id: str, *, to: str, by: str) -> Case:
        """Route to an owner, or transfer to another."""
        return self.execute(cmd.Assign(case_id=case_id, by=by, to=to))

    def unassign(self, case_id: str, *, by: str, reason: str, queue: str | None = None) -> Case:
        """Return the case to its queue (or to ``queue``): it waits, prioritized, for the
        next owner; routing offers it again."""
        return self.execute(cmd.Unassign(case_id=case_id, by=by, reason=reason, queue=queue))

    def acknowledge(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Send the first public reply (``message``, or a ``template`` with it as
        ``$message``); work starts."""
        return self.execute(
            cmd.Acknowledge(case_id=case_id, by=by, message=message, template=template)
        )

    def reply(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Send a later public reply (an update), in words or from a template."""
        return self.execute(cmd.Reply(case_id=case_id, by=by, message=message, template=template))

    def request_info(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Ask the client to clarify (in words or from a template); the case waits on them."""
        return self.execute(
            cmd.RequestInfo(case_id=case_id, by=by, message=message, template=template)
        )

    def client_replied(self, case_id: str, *, message: str, by: str | None = None) -> Case:
        """Record the client's message (``by``: the requester by default); resumes waiting."""
        return self.execute(cmd.ClientReply(case_id=case_id, by=by or "", message=message))

    def resolve(
        self, case_id: str, *, by: str, resolution: str = "", template: str | None = None
    ) -> Case:
        """Deliver the resolution (only after the case was acknowledged), in words or from a
        template."""
        return self.execute(
            cmd.Resolve(case_id=case_id, by=by, resolution=resolution, template=template)
        )

    def validate(self, case_id: str, *, by: str, note: str = "") -> Case:
        """Pass the quality check; closes the case if the client already confirmed."""
        return self.execute(cmd.Validate(case_id=case_id, by=by, note=note))

    def reject(self, case_id: str, *, by: str, reason: str) -> Case:
        """Fail the quality check; the case goes back to work."""
        return self.execute(cmd.Reject(case_id=case_id, by=by, reason=reason))

    def confirm(self, case_id: str, *, by: str | None = None, comment: str = "") -> Case:
        """The client (``by`` defaults to the requester) confirms; closes a validated case."""
        return self.execute(cmd.Confirm(case_id=case_id, by=by or "", comment=comment))

    def close_case(self, case_id: str, *, by: str = "system") -> Case:
        """Close a validated case that is confirmed or past its auto-confirm window."""
        return self.execute(cmd.Close(case_id=case_id, by=by))

    def reopen(self, case_id: str, *, by: str, reason: str) -> Case:
        """Reopen after resolution, or after closure within the reopen window."""
        return self.execute(cmd.Reopen(case_id=case_id, by=by, reason=reason))

    def cancel(self, case_id: str, *, by: str, reason: str) -> Case:
        """Cancel an unresolved case."""
        return self.execute(cmd.Cancel(case_id=case_id, by=by, reason=reason))

    def merge(self, case_id: str, *, into: str, by: str) -> Case:
        """Merge duplicate ``case_id`` into ``into``; both streams change in one transaction."""
        return self.execute(cmd.Merge(case_id=case_id, by=by, into=into))

    def escalate(self, case_id: str, *, by: str = "", reason: str, to: str = "next") -> Case:
        """Ask for the case to go to another tier (``next`` up, a tier's name, or the RACI's
        ``responsible`` tier); ``by`` defaults to the requester, who may ask too."""
        return self.execute(cmd.Escalate(case_id=case_id, by=by, reason=reason, to=to))

    def accept_escalation(self, case_id: str, *, by: str, timeline: datetime) -> Case:
        """Own an escalation as a member of its target tier, committing to resolve by
        ``timeline`` (which the desk then tracks, with the tier's update clock)."""
        return self.execute(cmd.AcceptEscalation(case_id=case_id, by=by, timeline=timeline))

    def deescalate(self, case_id: str, *, by: str, reason: str, to: str = "previous") -> Case:
        """Return the case to a lower tier (``previous``: the one it came from)."""
        return self.execute(cmd.Deescalate(case_id=case_id, by=by, reason=reason, to=to))

    def note(self, case_id: str, *, by: str, text: str) -> Case:
        """Add an internal note."""
        return self.execute(cmd.AddNote(case_id=case_id, by=by, text=text))

    def update_fields(
        self,
        case_id: str,
        *,
        by: str,
        fields: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        reason: str = "",
    ) -> Case:
        """Set extra fields (``fields``) and clear others (``remove``); only changes are
        recorded, so reports slice by the value in force at each moment."""
        command = cmd.UpdateFields(
            case_id=case_id, by=by, fields=fields or {}, remove=tuple(remove), reason=reason
        )
        return self.execute(command)

    def record_survey(
        self, case_id: str, *, survey: str, score: int, comment: str = "", by: str | None = None
    ) -> Case:
        """Record the client's answer to a survey (``csat`` 1–5, ``nps`` 0–10, ``ces`` 1–7),
        once per survey per case, after resolution; ``by`` defaults to the requester."""
        return self.execute(
            cmd.RecordSurvey(
                case_id=case_id, by=by or "", survey=survey, score=score, comment=comment
            )
        )

    def review_quality(
        self,
        case_id: str,
        *,
        by: str,
        rubric: str,
        scores: Mapping[str, int],
        agent: str | None = None,
        session: str | None = None,
        comment: str = "",
    ) -> Case:
        """Score the handling of the case against a QA rubric of the policy (points per
        criterion); ``agent`` defaults to who resolved it, else its assignee; ``session``
        names a calibration session. Nobody reviews their own work."""
        return self.execute(
            cmd.ReviewQuality(
                case_id=case_id,
                by=by,
                rubric=rubric,
                scores=ReadOnlyMap(scores) if isinstance(scores, Mapping) else scores,
                agent=agent,
                session=session,
                comment=comment,
            )
        )
