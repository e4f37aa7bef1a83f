"""The messages a committed event sends: to the client (public events) and, for escalations,
to the parties the category's RACI consults or keeps informed; and the survey a closure (or
resolution) offers, sent after the policy's delay. They go through the outbox."""

from __future__ import annotations

from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._messages import Notification
from serviceflow.domain.policy._policy import Policy
from serviceflow.rules._communication import locale_of, render_for
from serviceflow.rules._survey import SurveyOffer

CONFIRM_TEMPLATE = "confirm"
"""The closure message (the communication flow's Confirm step)."""
SURVEY_OFFERED = "survey.offered"
"""The ``kind`` of a survey offer (no event of the case has this type: the offer is a
message, made by the closure or resolution event)."""

_SUBJECT: dict[type[ev.Event], str] = {
    ev.Acknowledged: "We are on it",
    ev.Replied: "An update on your request",
    ev.InfoRequested: "We need a little more information",
    ev.Resolved: "Your request is resolved",
    ev.Closed: "Your request is closed",
    ev.Escalated: "Your request was escalated",
    ev.EscalationAccepted: "Your escalated request has an owner",
}


def notifications(case: Case, event: ev.Event, seq: int, policy: Policy) -> list[Notification]:
    """What ``event`` (stored at ``seq`` of ``case``, as it stands after the write) sends."""
    out: list[Notification] = []
    key = f"{case.id}/{seq}"
    if event.PUBLIC and case.requester_address:  # an import may name no requester
        text, template, locale = _client_text(case, event, policy)
        subject = _SUBJECT.get(type(event), case.subject)
        out.append(
            Notification(
                key=key,
                case_id=case.id,
                to=case.requester_address,
                to_name=case.fields.get("name", ""),
                kind=event.TYPE,
                subject=f"[{case.id}] {subject}: {case.subject}",
                text=text,
                at=event.at,
                template=template,
                locale=locale,
            )
        )
    for party in getattr(event, "notify", ()):
        out.append(
            Notification(
                key=f"{key}/{party}",
                case_id=case.id,
                to=party,
                kind=event.TYPE,
                subject=f"[{case.id}] {event.TYPE.partition('.')[2].replace('_', ' ')}",
                text=_internal_text(case, event),
                at=event.at,
                audience="internal",
            )
        )
    return out


def _client_text(case: Case, event: ev.Event, policy: Policy) -> tuple[str, str | None, str]:
    """The text the client reads: the event's own words, or the closure template."""
    if isinstance(event, ev.Closed):
        rendered = render_for(case, policy, CONFIRM_TEMPLATE, reason=event.reason)
        return rendered.text, CONFIRM_TEMPLATE, rendered.locale
    text = str(getattr(event, "message", None) or getattr(event, "resolution", ""))
    return text, getattr(event, "template", None), locale_of(case, policy)


def _internal_text(case: Case, event: ev.Event) -> str:
    reason = str(getattr(event, "reason", ""))
    return (
        f"Case {case.id} ({case.category or 'uncategorised'}, priority "
        f"{case.priority or 'unset'}): {reason}"
    )


def survey_notification(case: Case, offer: SurveyOffer, policy: Policy) -> Notification:
    """The message that offers ``offer``'s surveys to the client: the policy's survey
    template with the questions, in the client's language; keyed by ``offer.key``."""
    rendered = render_for(case, policy, offer.template, surveys=offer.surveys)
    return Notification(
        key=offer.key,
        case_id=case.id,
        to=case.requester_address,
        to_name=case.fields.get("name", ""),
        kind=SURVEY_OFFERED,
        subject=f"[{case.id}] How did we do?: {case.subject}",
        text=rendered.text,
        at=offer.at,
        template=offer.template,
        locale=rendered.locale,
    )
