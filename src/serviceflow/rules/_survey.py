"""Survey rules: recording a client's answer, and the offer a closure (or resolution) makes.

An answer is a ``case.survey_recorded`` event on a resolved, validated or closed case, one
per survey per case, on the survey's fixed scale (``survey_policy.SCALES``). It comes from
the case's own client (or from the desk, recording it for them). The policy's ``[surveys]``
decides which surveys are *offered*: once per resolution cycle, at the first closure (or
resolution) since submission or the last reopen, only the surveys not answered yet, to the
sampled cases. The offer's key, ``<case>/survey/<moment>/<cycle>``, is stable, so a retry
or a replay never offers twice, while a case reopened and closed again is a new cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from attrs import frozen

from serviceflow.core._identity import canonical_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case, client_actor
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._authority import CLIENT
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._surveys import CLOSURE, SCALES
from serviceflow.errors import NotAuthorized, ValidationError
from serviceflow.rules._authority import client_owns
from serviceflow.rules._lifecycle import Subject, fire

READS = frozenset({ev.SurveyRecorded.TYPE})
"""The past events ``decide_survey`` reads: the answers already recorded."""
OFFER_READS = frozenset(
    {ev.Resolved.TYPE, ev.Closed.TYPE, ev.Reopened.TYPE, ev.SurveyRecorded.TYPE}
)
"""The past events ``survey_offer`` reads: the cycle's closures or resolutions, and answers."""


def decide_survey(
    case: Case, c: cmd.RecordSurvey, policy: Policy, now: datetime, past: Iterable[ev.Event]
) -> list[ev.Event]:
    """The ``SurveyRecorded`` event of an answer; refuses an unknown survey, a score off its
    scale, a second answer to the same survey, and a client answering another's case."""
    actor = c.by.strip() or client_actor(case.requester)
    if canonical_actor(actor).startswith(CLIENT) and not client_owns(actor, case.requester):
        raise NotAuthorized(
            actor, f"answer a survey on case {case.id}", f"to be its requester ({case.requester})"
        )
    problems: list[str] = []
    scale = SCALES.get(c.survey)
    if scale is None:
        problems.append(f"survey: expected one of {', '.join(SCALES)}, got {c.survey!r}")
    elif not scale.holds(c.score):
        problems.append(f"score: {scale}, got {c.score}")
    else:
        earlier = answer(past, c.survey)
        if earlier is not None:
            problems.append(
                f"survey: case {case.id} already has a {scale.label} answer ({earlier.score}, "
                f"recorded {iso(earlier.at)} by {earlier.by}); one answer per survey per case"
            )
    if problems:
        raise ValidationError(f"cannot record a survey on case {case.id}", problems)
    fire(Subject(case, policy, now), "survey")
    return [
        ev.SurveyRecorded(
            survey=c.survey,
            score=c.score,
            comment=c.comment,
            at=now,
            by=actor,
            policy=policy.version,
        )
    ]


def answer(past: Iterable[ev.Event], survey: str) -> ev.SurveyRecorded | None:
    """The answer to ``survey`` among ``past`` events, if one was recorded."""
    return next((e for e in past if isinstance(e, ev.SurveyRecorded) and e.survey == survey), None)


@frozen
class SurveyOffer:
    """The surveys a case's client is offered after a closure (or resolution), and when."""

    case_id: str
    surveys: tuple[str, ...]
    moment: str
    """``closure`` or ``resolution``: what made the offer."""
    cycle: int
    """1 for the first closure, 2 after a reopen, and so on (the case's reopens + 1)."""
    at: datetime
    """When the case closed (or was resolved)."""
    due: datetime
    """When to send the offer: ``at`` plus the policy's delay."""
    template: str

    @property
    def key(self) -> str:
        """The idempotency key: one offer per case, moment and cycle (the moment is part of
        it, so a policy switched from one moment to the other mid-cycle cannot collide)."""
        return f"{self.case_id}/survey/{self.moment}/{self.cycle}"


def may_offer(events: Sequence[ev.Event], policy: Policy) -> bool:
    """Could ``events`` make an offer? (A cheap test before the history is read.)"""
    surveys = policy.surveys
    if not surveys.offer:
        return False
    moment = ev.Closed if surveys.after == CLOSURE else ev.Resolved
    return any(isinstance(e, moment) and e.source is None for e in events)


def survey_offer(
    case: Case, past: Iterable[ev.Event], events: Sequence[ev.Event], policy: Policy
) -> SurveyOffer | None:
    """The offer ``events`` make on ``case`` (as it stands after them), ``past`` being the
    events before them (those of ``OFFER_READS`` suffice); ``None`` when they make none.

    Only live events offer (an imported closure is history, not a moment to ask).
    """
    surveys = policy.surveys
    moment = ev.Closed if surveys.after == CLOSURE else ev.Resolved
    trigger = next((e for e in events if isinstance(e, moment) and e.source is None), None)
    if trigger is None or not surveys.offer or not surveys.samples(case.id):
        return None
    offered_this_cycle = False
    answered: set[str] = set()
    for event in past:
        if isinstance(event, ev.Reopened):
            offered_this_cycle = False
        elif isinstance(event, moment):
            offered_this_cycle = True
        elif isinstance(event, ev.SurveyRecorded):
            answered.add(event.survey)
    remaining = tuple(name for name in surveys.offer if name not in answered)
    if offered_this_cycle or not remaining:
        return None
    return SurveyOffer(
        case_id=case.id,
        surveys=remaining,
        moment=surveys.after,
        cycle=case.reopen_count + 1,
        at=trigger.at,
        due=trigger.at + max(surveys.delay, timedelta(0)),
        template=surveys.template,
    )
