"""The built-in classifier plugin: the policy's classification rules on the ``classify`` hook."""

from __future__ import annotations

import pluggy

from serviceflow.case import Case
from serviceflow.classifier import classify_request
from serviceflow.messages import Classification
from serviceflow.policy import Policy

hookimpl = pluggy.HookimplMarker("serviceflow")


@hookimpl
def classify(case: Case, policy: Policy) -> Classification | None:
    """Propose what the policy's rules say of a new case (``None`` without a matching rule)."""
    if not policy.classification:
        return None
    return classify_request(
        policy.classification,
        subject=case.subject,
        description=case.description,
        channel=case.channel,
        requester_group=case.requester_group,
        fields=case.fields,
    )
