"""The public entry points the hostile-input check calls (``ENTRY_POINTS``), each with
arguments it accepts, and the ``World`` of cases and records they act on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import define, frozen

from serviceflow.clock import ManualClock
from serviceflow.eventlog._store import Store

__all__ = ["ENTRY_POINTS", "LATER", "START", "Entry", "World"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@define
class World:
    """A desk with something of every kind to act on: cases at several stages, an article,
    a problem and an improvement cycle."""

    desk: Any
    knowledge: Any
    problems: Any
    improvement: Any
    worker: Any
    clock: ManualClock
    fresh: str = ""
    working: str = ""
    resolved: str = ""
    article: str = ""
    problem: str = ""
    cycle: str = ""

    @classmethod
    def build(cls, store: Store) -> World:
        """Open a desk on ``store`` and walk cases, an article, a problem and a cycle."""
        from serviceflow.analytics._kpi_sample import Kpi  # noqa: PLC0415
        from serviceflow.desk import ServiceDesk, Worker  # noqa: PLC0415
        from serviceflow.improvement import Improvement  # noqa: PLC0415
        from serviceflow.knowledge import Knowledge  # noqa: PLC0415
        from serviceflow.problems import Problems  # noqa: PLC0415

        clock = ManualClock(START)
        desk = ServiceDesk(store, clock=clock)
        world = cls(desk, Knowledge(desk), Problems(desk), Improvement(desk), Worker(desk), clock)
        world.fresh = _submit(desk).id
        working = _submit(desk).id
        desk.classify(working, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(working, impact="medium", urgency="high", by="agent:kim")
        desk.assign(working, to="agent:kim", by="lead:ana")
        desk.acknowledge(working, by="agent:kim", message="On it")
        world.working = working
        resolved = _submit(desk).id
        desk.classify(resolved, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(resolved, impact="medium", urgency="high", by="agent:kim")
        desk.assign(resolved, to="agent:kim", by="lead:ana")
        desk.acknowledge(resolved, by="agent:kim", message="On it")
        desk.resolve(resolved, by="agent:kim", resolution="Fixed")
        world.resolved = resolved
        clock.advance(timedelta(hours=1))
        world.article = world.knowledge.draft(
            by="agent:kim", category="billing", title="Invoice wrong", body="Reissue it."
        ).id
        world.problem = world.problems.define(
            "Invoices wrong", "Invoices show the old rate", by="lead:ana", case_ids=[working]
        ).id
        world.cycle = world.improvement.plan(
            kpi=Kpi("resolution", statistic="mean"),
            target=3600.0,
            baseline=(START - timedelta(days=7), START + timedelta(minutes=30)),
            by="lead:ana",
        ).id
        clock.advance(timedelta(hours=1))
        return world


def _submit(desk: Any) -> Any:
    return desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice wrong")


@frozen
class Entry:
    """A public entry point: how to reach it in a world, and arguments that it accepts."""

    name: str
    target: Callable[[World], Callable[..., Any]]
    valid: Callable[[World], dict[str, Any]]

    def parameters(self, world: World) -> list[str]:
        """Every parameter a caller can pass (what a hostile value may replace)."""
        signature = inspect.signature(self.target(world))
        return [
            p.name
            for p in signature.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]


def _desk(name: str) -> Callable[[World], Callable[..., Any]]:
    return lambda w: getattr(w.desk, name)


def _on(part: str, name: str) -> Callable[[World], Callable[..., Any]]:
    return lambda w: getattr(getattr(w, part), name)


def _kpi() -> Any:
    from serviceflow.analytics._kpi_sample import Kpi  # noqa: PLC0415

    return Kpi("resolution", statistic="mean")


def _worker(world: World) -> Callable[..., Any]:
    """Make a worker and run one pass: the constructor's arguments are the entry point."""
    from serviceflow.desk import Worker  # noqa: PLC0415

    def run(**kwargs: Any) -> Any:
        return Worker(**kwargs).run_once()

    run.__signature__ = inspect.signature(Worker)  # type: ignore[attr-defined]
    return run


_INTAKE = {"requester": "acme/jane@acme.test", "channel": "email", "subject": "Printer jam"}
LATER = START + timedelta(hours=3)

ENTRY_POINTS: tuple[Entry, ...] = (
    Entry("desk.submit", _desk("submit"), lambda w: dict(_INTAKE)),
    Entry(
        "desk.classify",
        _desk("classify"),
        lambda w: {"case_id": w.fresh, "by": "agent:kim", "category": "billing"},
    ),
    Entry(
        "desk.prioritize",
        _desk("prioritize"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "impact": "high", "urgency": "high"},
    ),
    Entry(
        "desk.assign",
        _desk("assign"),
        lambda w: {"case_id": w.working, "to": "agent:kim", "by": "lead:ana"},
    ),
    Entry(
        "desk.acknowledge",
        _desk("acknowledge"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "message": "Hi"},
    ),
    Entry(
        "desk.reply",
        _desk("reply"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "message": "Update"},
    ),
    Entry(
        "desk.request_info",
        _desk("request_info"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "message": "Which?"},
    ),
    Entry(
        "desk.client_replied",
        _desk("client_replied"),
        lambda w: {"case_id": w.working, "message": "This"},
    ),
    Entry(
        "desk.resolve",
        _desk("resolve"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "resolution": "Done"},
    ),
    Entry("desk.validate", _desk("validate"), lambda w: {"case_id": w.resolved, "by": "qa:lee"}),
    Entry(
        "desk.reject",
        _desk("reject"),
        lambda w: {"case_id": w.resolved, "by": "qa:lee", "reason": "No"},
    ),
    Entry("desk.confirm", _desk("confirm"), lambda w: {"case_id": w.resolved}),
    Entry("desk.close_case", _desk("close_case"), lambda w: {"case_id": w.resolved}),
    Entry(
        "desk.reopen",
        _desk("reopen"),
        lambda w: {"case_id": w.resolved, "by": "agent:kim", "reason": "Again"},
    ),
    Entry(
        "desk.cancel",
        _desk("cancel"),
        lambda w: {"case_id": w.fresh, "by": "agent:kim", "reason": "Dup"},
    ),
    Entry(
        "desk.merge",
        _desk("merge"),
        lambda w: {"case_id": w.fresh, "into": w.working, "by": "agent:kim"},
    ),
    Entry(
        "desk.escalate",
        _desk("escalate"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "reason": "Stuck"},
    ),
    Entry(
        "desk.accept_escalation",
        _desk("accept_escalation"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "timeline": LATER},
    ),
    Entry(
        "desk.deescalate",
        _desk("deescalate"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "reason": "Back"},
    ),
    Entry(
        "desk.note",
        _desk("note"),
        lambda w: {"case_id": w.working, "by": "agent:kim", "text": "Note"},
    ),
    Entry(
        "desk.record_survey",
        _desk("record_survey"),
        lambda w: {"case_id": w.resolved, "survey": "csat", "score": 5},
    ),
    Entry(
        "desk.review_quality",
        _desk("review_quality"),
        lambda w: {"case_id": w.resolved, "by": "qa:lee", "rubric": "default", "scores": {"a": 1}},
    ),
    Entry("desk.case", _desk("case"), lambda w: {"case_id": w.working}),
    Entry("desk.cases", _desk("cases"), lambda w: {"state": "intake"}),
    Entry("desk.count", _desk("count"), lambda w: {"state": "intake"}),
    Entry("desk.history", _desk("history"), lambda w: {"case_id": w.working}),
    Entry("desk.replay", _desk("replay"), lambda w: {"case_id": w.working}),
    Entry("desk.explain_priority", _desk("explain_priority"), lambda w: {"case_id": w.working}),
    Entry("desk.audit", _desk("audit"), lambda w: {"day": START.date()}),
    Entry("desk.verify", _desk("verify"), lambda w: {"case_id": w.working}),
    Entry("desk.sla", _desk("sla"), lambda w: {"case_id": w.working, "at": LATER}),
    Entry("desk.escalation_clocks", _desk("escalation_clocks"), lambda w: {"case_id": w.working}),
    Entry("desk.escalation_audit", _desk("escalation_audit"), lambda w: {"start": START}),
    Entry("desk.tick", _desk("tick"), lambda w: {"now": LATER, "limit": 10}),
    Entry("desk.deliver", _desk("deliver"), lambda w: {"now": LATER, "limit": 10}),
    Entry("desk.reapply_policy", _desk("reapply_policy"), lambda w: {"policy": w.desk.policy}),
    Entry("desk.queue", _desk("queue"), lambda w: {"name": "default"}),
    Entry("desk.route", _desk("route"), lambda w: {"case_id": w.working}),
    Entry("desk.route_waiting", _desk("route_waiting"), lambda w: {}),
    Entry(
        "knowledge.draft",
        _on("knowledge", "draft"),
        lambda w: {"by": "agent:kim", "category": "billing", "title": "T", "body": "B"},
    ),
    Entry(
        "knowledge.edit",
        _on("knowledge", "edit"),
        lambda w: {"article_id": w.article, "by": "agent:kim", "title": "T2", "body": "B2"},
    ),
    Entry(
        "knowledge.submit_for_review",
        _on("knowledge", "submit_for_review"),
        lambda w: {"article_id": w.article, "by": "agent:kim"},
    ),
    Entry(
        "knowledge.approve",
        _on("knowledge", "approve"),
        lambda w: {"article_id": w.article, "by": "lead:ana"},
    ),
    Entry(
        "knowledge.reject",
        _on("knowledge", "reject"),
        lambda w: {"article_id": w.article, "by": "lead:ana", "reason": "No"},
    ),
    Entry(
        "knowledge.retire",
        _on("knowledge", "retire"),
        lambda w: {"article_id": w.article, "by": "lead:ana", "reason": "Old"},
    ),
    Entry(
        "knowledge.feedback",
        _on("knowledge", "feedback"),
        lambda w: {"article_id": w.article, "helpful": True, "by": "agent:kim"},
    ),
    Entry(
        "knowledge.link",
        _on("knowledge", "link"),
        lambda w: {"article_id": w.article, "case_id": w.working, "by": "agent:kim"},
    ),
    Entry("knowledge.get", _on("knowledge", "get"), lambda w: {"article_id": w.article}),
    Entry("knowledge.history", _on("knowledge", "history"), lambda w: {"article_id": w.article}),
    Entry("knowledge.search", _on("knowledge", "search"), lambda w: {"query": "invoice"}),
    Entry("knowledge.effectiveness", _on("knowledge", "effectiveness"), lambda w: {}),
    Entry("knowledge.suggestions", _on("knowledge", "suggestions"), lambda w: {"times": 3}),
    Entry(
        "knowledge.raise_due_reviews",
        _on("knowledge", "raise_due_reviews"),
        lambda w: {"now": LATER},
    ),
    Entry(
        "problems.define",
        _on("problems", "define"),
        lambda w: {"title": "T", "statement": "S", "by": "lead:ana", "case_ids": [w.fresh]},
    ),
    Entry(
        "problems.gather",
        _on("problems", "gather"),
        lambda w: {"problem_id": w.problem, "evidence": "E", "by": "lead:ana"},
    ),
    Entry(
        "problems.root_cause",
        _on("problems", "root_cause"),
        lambda w: {"problem_id": w.problem, "cause": "C", "evidence": "E", "by": "lead:ana"},
    ),
    Entry(
        "problems.known_error",
        _on("problems", "known_error"),
        lambda w: {"problem_id": w.problem, "error": "E", "workaround": "W", "by": "lead:ana"},
    ),
    Entry(
        "problems.corrective_action",
        _on("problems", "corrective_action"),
        lambda w: {"problem_id": w.problem, "action": "A", "evidence": "E", "by": "lead:ana"},
    ),
    Entry(
        "problems.monitor",
        _on("problems", "monitor"),
        lambda w: {"problem_id": w.problem, "by": "lead:ana"},
    ),
    Entry(
        "problems.close",
        _on("problems", "close"),
        lambda w: {"problem_id": w.problem, "by": "lead:ana", "evidence": "E"},
    ),
    Entry(
        "problems.link",
        _on("problems", "link"),
        lambda w: {"problem_id": w.problem, "case_ids": [w.fresh], "by": "lead:ana"},
    ),
    Entry(
        "problems.recur",
        _on("problems", "recur"),
        lambda w: {
            "problem_id": w.problem,
            "case_ids": [w.fresh],
            "by": "lead:ana",
            "evidence": "E",
        },
    ),
    Entry(
        "problems.check_recurrence",
        _on("problems", "check_recurrence"),
        lambda w: {"problem_id": w.problem},
    ),
    Entry("problems.get", _on("problems", "get"), lambda w: {"problem_id": w.problem}),
    Entry("problems.candidates", _on("problems", "candidates"), lambda w: {}),
    Entry("problems.unlinked", _on("problems", "unlinked"), lambda w: {}),
    Entry("problems.report", _on("problems", "report"), lambda w: {"now": LATER}),
    Entry("problems.workarounds", _on("problems", "workarounds"), lambda w: {"case_id": w.working}),
    Entry("problems.sweep", _on("problems", "sweep"), lambda w: {}),
    Entry(
        "improvement.plan",
        _on("improvement", "plan"),
        lambda w: {
            "kpi": _kpi(),
            "target": 3600.0,
            "baseline": (START - timedelta(days=7), START + timedelta(minutes=30)),
            "by": "lead:ana",
        },
    ),
    Entry("improvement.get", _on("improvement", "get"), lambda w: {"cycle_id": w.cycle}),
    Entry(
        "improvement.dry_run",
        _on("improvement", "dry_run"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana"},
    ),
    Entry(
        "improvement.do",
        _on("improvement", "do"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana"},
    ),
    Entry(
        "improvement.check",
        _on("improvement", "check"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana", "resamples": 50},
    ),
    Entry(
        "improvement.cancel",
        _on("improvement", "cancel"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana", "reason": "R"},
    ),
    Entry(
        "improvement.standardise",
        _on("improvement", "standardise"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana", "sop": "S"},
    ),
    Entry(
        "improvement.roll_back",
        _on("improvement", "roll_back"),
        lambda w: {"cycle_id": w.cycle, "by": "lead:ana", "reason": "R"},
    ),
    Entry("worker", _worker, lambda w: {"desk": w.desk, "poll": 0.01, "batch": 10}),
)
"""Every public entry point with arguments it accepts in a ``World``."""
