"""Intake automation: classify → prioritize → route a new case as far as the policy allows.

Each stage is its own command and event; automation stops where a person is needed (a
classifier not confident enough, impact or urgency missing, no router answer). The case is
already committed, so a failing stage or plugin is logged, never raised.
"""

from __future__ import annotations

import logging

from serviceflow.desk._commands import CaseCommands
from serviceflow.desk._dispatch import Dispatcher
from serviceflow.domain._case import Case
from serviceflow.domain._messages import Classification
from serviceflow.errors import ValidationError
from serviceflow.rules._lifecycle import CLASSIFIED, INTAKE, PRIORITIZED
from serviceflow.rules._priority import decide_priority

log = logging.getLogger("serviceflow.desk")


class Intake:
    """Runs a new case through the automated stages the policy switches on."""

    def __init__(self, desk: CaseCommands, dispatcher: Dispatcher) -> None:
        self.desk = desk
        self.dispatcher = dispatcher

    def automate(self, case: Case) -> Case:
        """Classify → prioritize → route as far as the policy allows, each its own event.

        The case is already committed: a stage that needs a person, or a plugin that
        fails or answers nonsense, stops automation (logged) but never fails the submit.
        """
        auto = self.desk.policy.automation
        impact, urgency = case.impact, case.urgency
        try:
            if auto.classify and case.state == INTAKE:
                best = self.best_classification(case)
                if best is None:
                    return case
                impact, urgency = best.impact or impact, best.urgency or urgency
                case = self.desk.classify(
                    case.id,
                    by=f"automation:{best.source}",
                    category=best.category,
                    kind=best.kind,
                    confidence=best.confidence,
                    tags=best.tags,
                    reason=best.reason or None,
                )
            if auto.prioritize and case.state == CLASSIFIED:
                try:
                    decide_priority(
                        self.desk.policy,
                        impact=impact,
                        urgency=urgency,
                        category=case.category,
                        tier=case.tier,
                    )
                except ValidationError:
                    return case
                case = self.desk.prioritize(
                    case.id, by="automation:matrix", impact=impact, urgency=urgency
                )
            if auto.route and case.state == PRIORITIZED and not self.dispatcher.batched(case):
                case = self.dispatcher.routed(case)
        except Exception:
            log.exception("automation stopped for case %s; it waits for a person", case.id)
        return case

    def best_classification(self, case: Case) -> Classification | None:
        """The most confident proposal above the threshold; intake data counts if trusted."""
        auto = self.desk.policy.automation
        proposals = [
            p
            for p in self.desk.plugins.hook.classify(case=case, policy=self.desk.policy)
            if isinstance(p, Classification)
        ]
        if auto.trust_intake and case.category is not None and case.kind is not None:
            proposals.append(
                Classification(
                    category=case.category, kind=case.kind, confidence=1.0, source="intake"
                )
            )
        best = max(proposals, key=lambda p: p.confidence, default=None)
        if best is None or best.confidence < auto.confidence_threshold:
            return None
        return best
