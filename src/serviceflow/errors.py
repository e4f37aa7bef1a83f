"""The one error hierarchy of serviceflow: every refusal says what, where and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta


class ServiceflowError(Exception):
    """Base class of every error serviceflow raises on purpose."""


class ValidationError(ServiceflowError):
    """A command or input value is malformed; lists every problem with its path."""

    def __init__(self, what: str, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{what}:\n{listing}" if self.problems else what)


class PolicyError(ValidationError):
    """A policy document is invalid; ``problems`` holds one ``$.path: message`` per issue."""


class NotFound(ServiceflowError):  # noqa: N818 - reads as a domain outcome, like KeyError
    """A case (or other stream) does not exist."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} does not exist")


class InvalidTransition(ServiceflowError):  # noqa: N818
    """A trigger is not allowed in the current state of a case (or of another aggregate:
    ``kind`` names it), or one of its guards failed; ``allowed`` lists what would be now
    (``terminal``: nothing ever is, in this state)."""

    KIND = "case"

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        allowed: Sequence[str],
        reason: str | None = None,
        *,
        terminal: bool = True,
    ) -> None:
        self.case_id = case_id
        self.state = state
        self.trigger = trigger
        self.allowed = tuple(allowed)
        self.reason = reason
        nothing = "none (terminal state)" if terminal else "none until something changes"
        allowed_text = ", ".join(self.allowed) if self.allowed else nothing
        head = f"{self.KIND} {case_id}: cannot {trigger} in state {state!r}"
        if reason:
            head += f": {reason}"
        super().__init__(f"{head} (allowed here: {allowed_text})")


class NotAuthorized(ServiceflowError):  # noqa: N818
    """An actor may not perform a command; says what was refused and what would be needed."""

    def __init__(self, actor: str, action: str, needed: str) -> None:
        self.actor = actor
        self.action = action
        self.needed = needed
        super().__init__(f"{actor} may not {action}; needs {needed}")


class GuardrailViolation(ServiceflowError):  # noqa: N818
    """A command would cross a line the policy (or a plugin) says must never be crossed."""

    def __init__(self, guardrail: str, action: str, reason: str) -> None:
        self.guardrail = guardrail
        self.action = action
        self.reason = reason
        super().__init__(f"guardrail {guardrail!r} refuses to {action}: {reason}")


class ConcurrencyConflict(ServiceflowError):  # noqa: N818
    """Another writer appended to the stream first; reload and decide again."""

    def __init__(self, stream: str, expected: int, actual: int | None = None) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        found = f", found version {actual}" if actual is not None else ""
        super().__init__(f"stream {stream!r}: expected version {expected}{found}")


class ClockBehind(ServiceflowError):  # noqa: N818
    """The desk's clock is further behind a stream's last event than the policy tolerates
    (``limits.clock_skew``): recording the command would put the stream back in time."""

    def __init__(self, what: str, now: datetime, latest: datetime, tolerance: timedelta) -> None:
        self.what = what
        self.now = now
        self.latest = latest
        self.tolerance = tolerance
        super().__init__(
            f"{what}: the desk's clock ({now.isoformat()}) is behind the last event "
            f"({latest.isoformat()}) by {latest - now}, more than the {tolerance} the policy "
            "tolerates ($.limits.clock_skew); check the clock"
        )


class StoreError(ServiceflowError):
    """A store cannot be opened or used (unknown URL scheme, unreadable file, bad schema)."""


class IntegrityError(ServiceflowError):
    """A stored stream cannot be read back consistently (broken order or unknown event)."""


class PluginError(ServiceflowError):
    """A plugin is malformed: a misspelt hook, a wrong signature, a failing import."""
