"""docs/plugins.md tells the truth: its example plugin works and passes the conformance suite."""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path

import pytest

from serviceflow import ServiceDesk
from serviceflow.plugins._manager import EVENTS

pytest_plugins = ["pytester"]

for _module in EVENTS:  # before pytester's in-process run, which drops the modules it imports
    importlib.import_module(_module)  # (imported again, they would register their events twice)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plugin_author"
GUIDE = ROOT / "docs" / "plugins.md"


def test_the_example_store_passes_the_conformance_suite(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(EXAMPLE / "src")
    pytester.makepyfile(test_conformance=(EXAMPLE / "tests" / "test_conformance.py").read_text())
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=101, skipped=13)  # the transaction checks: no transaction()
    result.stdout.fnmatch_lines(["*TestTracingOverMemory: trace+memory:// keeps nothing*"])


def test_the_example_plugin_runs_a_desk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    import serviceflow_tracing

    inbox = serviceflow_tracing.Inbox()
    url = f"trace+sqlite:///{tmp_path / 'desk.db'}"
    caplog.set_level(logging.INFO, logger="serviceflow.tracing")
    with ServiceDesk.open(url, plugins=[serviceflow_tracing, inbox], entry_points=False) as desk:
        case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice")
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
        desk.assign(case.id, to="agent:kim", by="lead:ana")
        desk.acknowledge(case.id, by="agent:kim", message="On it")
        assert isinstance(desk.store, serviceflow_tracing.TracingStore)
        assert desk.verify(case.id).ok
    assert f"append {case.id}@0" in caplog.text
    assert [n.case_id for n in inbox.messages.values()] == [case.id]
    with pytest.raises(Exception, match=r"trace\+nosuch://x: no plugin opens the inner store"):
        serviceflow_tracing.open_tracing("trace+nosuch://x")


def test_the_guide_names_what_exists() -> None:
    text = GUIDE.read_text()
    for path in re.findall(r"`(examples/plugin_author/[^`]+)`", text):
        assert (ROOT / path).exists(), f"docs/plugins.md names {path}, which does not exist"
    example = (EXAMPLE / "src" / "serviceflow_tracing" / "__init__.py").read_text() + (
        EXAMPLE / "tests" / "test_conformance.py"
    ).read_text()
    shown = [
        line
        for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
        for line in block.splitlines()
        if line.startswith(("class ", "def ", "    def ", "@hookimpl", "    @hookimpl"))
        and not line.startswith(("def test_", "def serviceflow_"))
    ]
    assert len(shown) >= 8
    for line in shown:
        assert line in example, f"docs/plugins.md shows {line!r}, which the example lacks"
