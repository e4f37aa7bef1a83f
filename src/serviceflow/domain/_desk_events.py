"""The desk's own events and streams: refusals kept for audit, round-robin turns, policy
replacements, and the prefixes of the streams that are not a case's.
"""

from __future__ import annotations

from attrs import frozen

from serviceflow.domain._event import Event


@frozen(kw_only=True)
class Refused(Event):
    """An actor was refused a command (authority or a guardrail); kept in the audit stream."""

    TYPE = "audit.refused"

    case_id: str
    command: str
    rule: str
    reason: str


@frozen(kw_only=True)
class TurnTaken(Event):
    """A round-robin queue gave a case to an agent: the queue's cursor, kept in its stream."""

    TYPE = "queue.turn_taken"

    queue: str
    agent: str
    case_id: str


@frozen(kw_only=True)
class PolicyApplied(Event):
    """The desk's policy was replaced (``desk.reapply_policy``): ``version`` is in force
    from now on, until the next one; new desks on the store open with it."""

    TYPE = "policy.applied"

    version: str
    previous: str
    reason: str = ""


AUDIT = "audit:"
"""Prefix of the audit streams, one per UTC day (``audit:2026-11-22``)."""
QUEUE = "queue:"
"""Prefix of the round-robin queues' streams (``queue:billing``)."""
ARTICLE = "article:"
"""Prefix of the knowledge articles' streams (``article:KB-12``)."""
PROBLEM = "problem:"
"""Prefix of the problem records' streams (``problem:PRB-3``)."""
IMPROVEMENT = "improvement:"
"""Prefix of the improvement (PDCA) cycles' streams (``improvement:PDCA-1``)."""
POLICY_LOG = "policy:in-force"
"""The stream of policy replacements: its last event names the policy in force."""
DESK_STREAMS = (AUDIT, QUEUE, ARTICLE, PROBLEM, IMPROVEMENT, "policy:")
"""Streams that are not a case's: chained like cases, with no projection row."""
