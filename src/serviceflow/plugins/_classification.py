"""The built-in classifier plugin: the policy's classification rules on the ``classify`` hook."""

from __future__ import annotations

import pluggy

from serviceflow.domain._case import Case
from serviceflow.domain._messages import Classification
from serviceflow.domain.policy._classification import classify_request
from serviceflow.domain.policy._policy import Policy

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
