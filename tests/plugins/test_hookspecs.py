"""One test per hook, plus loud failure for misspelt hooks and entry-point discovery."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import attrs
import pytest

from serviceflow import (
    Case,
    Classification,
    GuardrailViolation,
    ManualClock,
    Notification,
    PluginError,
    Policy,
    ServiceDesk,
    hookimpl,
    load_policy,
)
from serviceflow.backends.memory import MemoryStore
from serviceflow.domain._events import Event
from serviceflow.eventlog._outbox import notifier_names
from serviceflow.eventlog._store import Store
from serviceflow.knowledge import hookspecs as knowledge_hookspecs
from serviceflow.knowledge._service import Knowledge
from serviceflow.plugins import hookspecs
from serviceflow.plugins._manager import Unconfigured, plugin_manager

from ..conftest import require

AUTO = load_policy(
    {
        "automation": {
            "classify": True,
            "prioritize": True,
            "route": True,
            "confidence_threshold": 0.7,
        }
    }
)


def test_every_hookspec_has_a_one_line_doc() -> None:
    manager = plugin_manager(entry_points=False)
    names = {
        "open_store",
        "classify",
        "route",
        "guardrail",
        "observe",
        "notify",
        "escalate",
        "search_articles",
        "tick",
    }
    assert {n for n in dir(manager.hook) if not n.startswith("_")} == names
    for name in names:
        spec = getattr(hookspecs, name, None) or getattr(knowledge_hookspecs, name)
        doc = spec.__doc__
        assert doc, name
        assert "\n" not in doc.strip(), name


def test_builtins_are_registered_like_plugins() -> None:
    manager = plugin_manager(entry_points=False)
    assert {
        "serviceflow.backends.memory",
        "serviceflow.backends.sqlite",
        "serviceflow.article_search",
        "serviceflow.knowledge",
    } <= {name for name, _ in manager.list_name_plugin()}


def test_open_store_hook_is_firstresult() -> None:
    class Custom:
        @hookimpl
        def open_store(self, url: str) -> Store | None:
            return MemoryStore(url) if url.startswith("custom://") else None

    desk = ServiceDesk.open("custom://one", plugins=[Custom()], entry_points=False)
    assert desk.store.url == "custom://one"


def test_classify_hook_most_confident_above_threshold_wins(clock: ManualClock) -> None:
    class Weak:
        @hookimpl
        def classify(self, case: Case, policy: Policy) -> Classification | None:
            return Classification(category="howto", kind="question", confidence=0.6, source="weak")

    class Strong:
        @hookimpl
        def classify(self, case: Case, policy: Policy) -> Classification | None:
            if "down" not in case.subject:
                return None
            return Classification(
                category="outage",
                kind="incident",
                confidence=0.95,
                impact="high",
                urgency="high",
                source="keywords",
            )

    desk = ServiceDesk.open(
        "memory://", policy=AUTO, clock=clock, plugins=[Weak(), Strong()], entry_points=False
    )
    case = desk.submit(requester="a/b@c.test", channel="email", subject="Site down")
    assert (case.state, case.category, case.priority) == ("prioritized", "outage", "critical")
    assert desk.history(case.id)[1].event.by == "automation:keywords"
    unsure = desk.submit(requester="a/b@c.test", channel="email", subject="Hello")
    assert unsure.state == "intake", "below the threshold a person must triage"


def test_route_hook_assigns_prioritized_cases(clock: ManualClock) -> None:
    seen: list[str] = []

    class Router:
        @hookimpl
        def route(self, case: Case, policy: Policy) -> str | None:
            seen.append(case.state)
            return "agent:kim" if case.priority == "critical" else None

    desk = ServiceDesk.open(
        "memory://", policy=AUTO, clock=clock, plugins=[Router()], entry_points=False
    )
    routed = desk.submit(
        requester="a/b@c.test", channel="email", subject="s", category="outage", kind="incident"
    )
    assert routed.state == "intake", "no classifier answered, so automation stops at intake"
    desk.classify(routed.id, by="agent:sam")
    queued = desk.submit(
        requester="a/b@c.test",
        channel="email",
        subject="s",
        category="billing",
        kind="incident",
        impact="low",
        urgency="low",
    )
    assert queued.state == "intake"
    assert seen == []


def test_route_hook_runs_after_automatic_prioritization(clock: ManualClock) -> None:
    class Classifier:
        @hookimpl
        def classify(self, case: Case, policy: Policy) -> Classification | None:
            return Classification(
                category=case.category or "billing", kind="incident", confidence=1.0
            )

    class Router:
        @hookimpl
        def route(self, case: Case, policy: Policy) -> str | None:
            return "agent:kim" if case.priority == "critical" else None

    desk = ServiceDesk.open(
        "memory://", policy=AUTO, clock=clock, plugins=[Classifier(), Router()], entry_points=False
    )
    routed = desk.submit(requester="a/b@c.test", channel="email", subject="s", category="outage")
    assert (routed.state, routed.assignee) == ("assigned", "agent:kim")
    assert desk.history(routed.id)[-1].event.by == "automation:router"
    queued = desk.submit(
        requester="a/b@c.test", channel="email", subject="s", impact="low", urgency="low"
    )
    assert (queued.state, queued.priority) == ("prioritized", "low")
    no_impact = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    assert no_impact.state == "classified", "without impact and urgency a person must prioritize"


def test_observe_hook_sees_committed_events(clock: ManualClock) -> None:
    seen: list[tuple[str, int, tuple[str, ...]]] = []

    class Observer:
        @hookimpl
        def observe(self, case: Case, events: Sequence[Event]) -> None:
            seen.append((case.state, case.version, tuple(e.TYPE for e in events)))

    desk = ServiceDesk.open("memory://", clock=clock, plugins=[Observer()], entry_points=False)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    desk.note(case.id, by="a", text="t")
    assert seen == [("intake", 1, ("case.submitted",)), ("intake", 2, ("case.note_added",))]


def test_notify_hook_gets_client_messages_with_stable_keys(clock: ManualClock) -> None:
    sent: list[Notification] = []

    class Notifier:
        @hookimpl
        def notify(self, notification: Notification) -> None:
            sent.append(notification)

    desk = ServiceDesk.open("memory://", clock=clock, plugins=[Notifier()], entry_points=False)
    from ..conftest import walk_to

    case_id = walk_to(desk, "closed")
    assert [n.kind for n in sent] == [
        "case.acknowledged",
        "case.info_requested",
        "case.resolved",
        "case.closed",
    ]
    assert [n.key for n in sent] == [
        f"{case_id}/5",
        f"{case_id}/6",
        f"{case_id}/8",
        f"{case_id}/11",
    ]
    assert sent[0].to == "jane@acme.test"
    assert sent[0].text == "On it"
    assert sent[0].subject.startswith(f"[{case_id}] We are on it")


def test_failing_plugins_never_block_a_change_or_each_other(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[str] = []

    class Broken:
        @hookimpl
        def notify(self, notification: Notification) -> None:
            raise ConnectionError("smtp down")

        @hookimpl
        def observe(self, case: Case, events: Sequence[Event]) -> None:
            raise RuntimeError("observer bug")

    class Working:
        @hookimpl
        def notify(self, notification: Notification) -> None:
            got.append(notification.kind)

    desk = ServiceDesk.open(
        "memory://", clock=clock, plugins=[Broken(), Working()], entry_points=False
    )
    from ..conftest import walk_to

    with caplog.at_level(logging.WARNING):
        case_id = walk_to(desk, "in_progress")
    assert desk.case(case_id).state == "in_progress"
    assert got == ["case.acknowledged"]
    assert any("smtp down" in r.getMessage() for r in caplog.records)
    assert any("an observe plugin failed" in r.message for r in caplog.records)
    [waiting] = desk.outbox.pending()  # kept for the broken notifier alone, with backoff
    assert waiting.attempts == 1
    assert "Working" in " ".join(waiting.delivered_to)


def test_misspelt_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def notfy(self, notification: Notification) -> None:
            """Misspelt on purpose."""

    with pytest.raises(PluginError, match="unknown hook 'notfy'"):
        plugin_manager([Typo()], entry_points=False)


def test_wrong_argument_name_fails_loudly() -> None:
    class Wrong:
        @hookimpl
        def route(self, ticket: Case) -> str | None:
            return None

    with pytest.raises(PluginError, match="ticket"):
        plugin_manager([Wrong()], entry_points=False)


def test_entry_point_plugin_is_discovered() -> None:
    import importlib.util

    require(
        importlib.util.find_spec("serviceflow_testplugin") is not None,
        "install the test plugin: pip install -e tests/plugin (the README test command does)",
    )
    import serviceflow_testplugin

    manager = plugin_manager()
    assert "testplugin" in {name for name, _ in manager.list_name_plugin()}
    desk = ServiceDesk.open("testplugin://found-by-entry-point")
    assert serviceflow_testplugin.OPENED[-1] == "testplugin://found-by-entry-point"
    assert desk.submit(requester="a/b@c.test", channel="web", subject="s").state == "intake"
    with pytest.raises(Exception, match="no installed plugin opens"):
        ServiceDesk.open("testplugin://x", entry_points=False)


def test_automation_never_fails_a_committed_submit(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Confused:
        @hookimpl
        def classify(self, case: Case, policy: Policy) -> Classification | None:
            return Classification(category="astrology", kind="incident", confidence=0.99)

    class NonsenseRouter:
        @hookimpl
        def route(self, case: Case, policy: Policy) -> str | None:
            return 42  # type: ignore[return-value]

    trusting = load_policy(
        {"automation": {"classify": True, "trust_intake": True, "prioritize": True, "route": True}}
    )
    for plugin, state in ((Confused(), "intake"), (NonsenseRouter(), "prioritized")):
        desk = ServiceDesk.open(
            "memory://",
            policy=trusting if state != "intake" else AUTO,
            clock=clock,
            plugins=[plugin],
            entry_points=False,
        )
        with caplog.at_level(logging.ERROR, logger="serviceflow.desk"):
            case = desk.submit(
                requester="a/b@c.test",
                channel="web",
                subject="s",
                category="billing",
                kind="incident",
                impact="low",
                urgency="low",
            )
        assert case.state == state
        assert desk.count() == 1
        assert desk.verify(case.id).ok
    assert any("automation stopped" in r.message for r in caplog.records)


def test_trust_intake_classifies_from_complete_intake_data(clock: ManualClock) -> None:
    policy = load_policy(
        {"automation": {"classify": True, "trust_intake": True, "prioritize": True}}
    )
    desk = ServiceDesk.open("memory://", policy=policy, clock=clock, entry_points=False)
    full = desk.submit(
        requester="a/b@c.test",
        channel="web",
        subject="s",
        category="billing",
        kind="incident",
        impact="medium",
        urgency="medium",
    )
    assert (full.state, full.priority) == ("prioritized", "medium")
    assert desk.history(full.id)[1].event.by == "automation:intake"
    partial = desk.submit(requester="a/b@c.test", channel="web", subject="s", category="billing")
    assert partial.state == "intake"


def test_an_unconfigured_plugin_registers_under_its_name_and_implements_nothing() -> None:
    placeholder = Unconfigured("webhook", "SERVICEFLOW_WEBHOOK_URL")
    manager = plugin_manager([placeholder], entry_points=False)
    assert manager.get_plugin("webhook") is placeholder
    assert manager.get_hookcallers(placeholder) == []
    assert repr(placeholder) == "<webhook: not configured (SERVICEFLOW_WEBHOOK_URL is unset)>"


def test_tick_hook_runs_on_every_tick_after_the_timers(clock: ManualClock) -> None:
    seen: list[tuple[str, object]] = []

    class Periodic:
        @hookimpl
        def tick(self, desk: ServiceDesk, now: object) -> None:
            seen.append((desk.store.url, now))

    desk = ServiceDesk.open("memory://", plugins=[Periodic()], entry_points=False, clock=clock)
    desk.tick()
    later = clock.now().replace(year=2030)
    desk.tick(later)
    assert seen == [("memory://", clock.now()), ("memory://", later)]


# --- pluggy's semantics hold on every hook: tryfirst → normal → trylast, wrappers around ----


def ordered(hook: str, calls: list[str]) -> list[object]:
    """Three plugins answering nothing on ``hook`` (tryfirst, normal, trylast) and a wrapper,
    each noting when it runs; registered trylast first so registration order cannot help."""

    def plain(label: str, *, tryfirst: bool = False, trylast: bool = False) -> object:
        def answer() -> None:
            calls.append(label)

        marked = hookimpl(tryfirst=tryfirst, trylast=trylast)(answer)
        return type(label, (), {hook: staticmethod(marked)})()

    def around() -> Iterator[None]:
        calls.append("wrapper:before")
        result = yield
        calls.append("wrapper:after")
        return result

    wrapper = type("Around", (), {hook: staticmethod(hookimpl(wrapper=True)(around))})()
    return [
        plain("last", trylast=True),
        plain("normal"),
        plain("first", tryfirst=True),
        wrapper,
    ]


def run_hook(hook: str, desk: ServiceDesk, clock: ManualClock) -> None:
    """Make the desk call ``hook`` once, the way a user's code would."""
    if hook in ("classify", "route"):
        desk.submit(
            requester="a/b@c.test",
            channel="email",
            subject="s",
            category="billing",
            kind="incident",
            impact="low",
            urgency="low",
        )
    elif hook == "tick":
        desk.tick()
    elif hook == "search_articles":
        Knowledge(desk).search("vpn")
    elif hook == "guardrail":
        case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
        desk.note(case.id, by="agent:kim", text="t")
    elif hook == "escalate":
        from ..rules.escalation.test_governance import working

        desk.note(working(desk), by="agent:fay", text="t")
    elif hook == "notify":
        from ..conftest import walk_to

        walk_to(desk, "in_progress")
    else:
        desk.submit(requester="a/b@c.test", channel="email", subject="s")


TRUSTING = load_policy(
    {"automation": {"classify": True, "prioritize": True, "route": True, "trust_intake": True}}
)
EVERY_CALL = ["wrapper:before", "first", "normal", "last", "wrapper:after"]


@pytest.mark.parametrize(
    "hook", ["observe", "guardrail", "escalate", "notify", "tick", "classify", "route"]
)
def test_each_hook_runs_in_pluggys_order_inside_its_wrappers(hook: str, clock: ManualClock) -> None:
    from ..rules.escalation.test_governance import policy as escalating

    calls: list[str] = []
    chosen = (
        escalating(rules=[{"on": "plugin", "to": "management"}]) if hook == "escalate" else TRUSTING
    )
    desk = ServiceDesk.open(
        "memory://", policy=chosen, clock=clock, plugins=ordered(hook, calls), entry_points=False
    )
    run_hook(hook, desk, clock)
    expected = EVERY_CALL * (calls.count("first") or 1)
    if hook == "notify":  # one delivery per notifier, the built-in log's among them
        each = ("first", "normal", "log", "last")
        expected = [c for n in each for c in ("wrapper:before", n, "wrapper:after") if c != "log"]
    assert calls == expected
    assert calls, f"{hook} was never called"


def test_open_store_and_search_stop_at_the_first_answer_inside_their_wrappers(
    clock: ManualClock,
) -> None:
    calls: list[str] = []
    ServiceDesk.open("memory://", plugins=ordered("open_store", calls), entry_points=False)
    assert calls == ["wrapper:before", "first", "normal", "wrapper:after"], "memory answered"
    calls.clear()
    desk = ServiceDesk.open(
        "memory://", clock=clock, plugins=ordered("search_articles", calls), entry_points=False
    )
    run_hook("search_articles", desk, clock)
    assert calls == ["wrapper:before", "first", "normal", "wrapper:after"], "built-in answered"


def test_a_plugins_wrapper_sees_and_may_replace_the_answer(clock: ManualClock) -> None:
    class Veto:
        @hookimpl
        def guardrail(self) -> str | None:
            return "never on Sundays"

    class Pardon:
        @hookimpl(wrapper=True)
        def guardrail(self) -> Generator[None, list[str | None], list[str | None]]:
            objections = yield
            return [o for o in objections if o != "never on Sundays"]

    desk = ServiceDesk.open(
        "memory://", clock=clock, plugins=[Veto(), Pardon()], entry_points=False
    )
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    assert desk.note(case.id, by="agent:kim", text="t").version == 2
    strict = ServiceDesk.open("memory://", clock=clock, plugins=[Veto()], entry_points=False)
    case = strict.submit(requester="a/b@c.test", channel="email", subject="s")
    with pytest.raises(GuardrailViolation, match="never on Sundays"):
        strict.note(case.id, by="agent:kim", text="t")


def test_a_desk_in_a_fresh_process_reads_every_built_in_kind_of_stream(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kinds.db'}"
    write = (
        "from serviceflow import Improvement, Knowledge, Problems, ServiceDesk\n"
        f"d = ServiceDesk.open({url!r}, entry_points=False)\n"
        "c = d.submit(requester='a/b@c.test', channel='web', subject='s')\n"
        "Problems(d).define(title='t', statement='s', by='lead:ana', case_ids=[c.id])\n"
        "Knowledge(d).draft(by='agent:kim', category='billing', title='t', body='b')\n"
    )
    read = (
        "from serviceflow import ServiceDesk\n"
        f"d = ServiceDesk.open({url!r}, entry_points=False)\n"
        "print([v.problems for v in d.verify_all() if not v.ok])\n"
    )
    for code in (write, read):
        run = [sys.executable, "-c", code]
        done = subprocess.run(run, check=False, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_an_empty_answer_never_silences_the_guardrails_after_it(clock: ManualClock) -> None:
    class Lenient:
        @hookimpl(tryfirst=True)
        def guardrail(self) -> str | None:
            return ""  # "no objection", written as an empty text

    class Strict:
        @hookimpl
        def guardrail(self) -> str | None:
            return "closed for audit"

    desk = ServiceDesk.open(
        "memory://", clock=clock, plugins=[Strict(), Lenient()], entry_points=False
    )
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    with pytest.raises(GuardrailViolation, match="closed for audit"):
        desk.note(case.id, by="agent:kim", text="t")


def test_a_notifier_that_cannot_be_hashed_is_delivered_to(clock: ManualClock) -> None:
    @attrs.define
    class Inbox:
        got: list[str] = attrs.Factory(list)

        @hookimpl
        def notify(self, notification: Notification) -> None:
            self.got.append(notification.kind)

    inbox = Inbox()
    desk = ServiceDesk.open("memory://", clock=clock, plugins=[inbox], entry_points=False)
    from ..conftest import walk_to

    walk_to(desk, "in_progress")
    assert inbox.got == ["case.acknowledged"]
    assert desk.outbox.pending() == []


def test_notifiers_of_one_name_keep_their_01_names(clock: ManualClock) -> None:
    class Twin:
        def __init__(self, got: list[str]) -> None:
            self.got = got

        @hookimpl
        def notify(self, notification: Notification) -> None:
            self.got.append(notification.key)

    first: list[str] = []
    second: list[str] = []
    manager = plugin_manager([Twin(first), Twin(second)], entry_points=False)
    names = dict(notifier_names(manager))
    twin = f"{Twin.__module__}.{Twin.__qualname__}"
    assert {twin, f"{twin}#2"} <= set(names)
    names[twin](notification=SimpleNamespace(key="K1"))
    names[f"{twin}#2"](notification=SimpleNamespace(key="K2"))
    assert (first, second) == (["K1"], ["K2"]), "the first registered keeps the plain name"
