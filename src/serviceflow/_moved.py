"""The import paths of 0.1, kept working for one release: each warns and gives the new module.

0.2 moved the flat modules into packages (``serviceflow.sla_policy`` is now
``serviceflow.domain.policy``, its code in ``serviceflow.domain.policy._sla``). A finder on
``sys.meta_path`` answers only the old names below and hands out the module itself, so old
and new paths share every object.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

MOVED: dict[str, str] = {
    "serviceflow._convert": "serviceflow.core._convert",
    "serviceflow.aggregate": "serviceflow.desk._aggregate",
    "serviceflow.arguments": "serviceflow.core._arguments",
    "serviceflow.article": "serviceflow.knowledge",
    "serviceflow.article_effectiveness": "serviceflow.knowledge._effectiveness",
    "serviceflow.article_events": "serviceflow.knowledge._events",
    "serviceflow.article_search": "serviceflow.knowledge._search",
    "serviceflow.audit": "serviceflow.eventlog._audit",
    "serviceflow.authority": "serviceflow.rules._authority",
    "serviceflow.authority_policy": "serviceflow.domain.policy._authority",
    "serviceflow.calendar": "serviceflow.core._calendar",
    "serviceflow.calibration": "serviceflow.analytics._calibration",
    "serviceflow.case": "serviceflow.domain._case",
    "serviceflow.case_facts": "serviceflow.analytics._case_facts",
    "serviceflow.chain": "serviceflow.eventlog._chain",
    "serviceflow.charts": "serviceflow.analytics._charts",
    "serviceflow.checkpoint": "serviceflow.eventlog._checkpoint",
    "serviceflow.checkpointing": "serviceflow.eventlog._checkpointing",
    "serviceflow.classification": "serviceflow.plugins._classification",
    "serviceflow.classifier": "serviceflow.domain.policy._classification",
    "serviceflow.cli_improve": "serviceflow.cli._improve",
    "serviceflow.cli_knowledge": "serviceflow.cli._knowledge",
    "serviceflow.cli_problems": "serviceflow.cli._problems",
    "serviceflow.cli_simulate": "serviceflow.cli._simulate",
    "serviceflow.cli_staff": "serviceflow.cli._staff",
    "serviceflow.cli_support": "serviceflow.cli._support",
    "serviceflow.commands": "serviceflow.domain._commands",
    "serviceflow.communication": "serviceflow.rules._communication",
    "serviceflow.conditions": "serviceflow.domain._conditions",
    "serviceflow.dashboard": "serviceflow.analytics._dashboard",
    "serviceflow.decide": "serviceflow.rules._decide",
    "serviceflow.delivery_policy": "serviceflow.domain.policy._delivery",
    "serviceflow.demo": "serviceflow.simulation._demo",
    "serviceflow.dispatch": "serviceflow.desk._dispatch",
    "serviceflow.distribution": "serviceflow.analytics._distribution",
    "serviceflow.duration": "serviceflow.core._duration",
    "serviceflow.effect": "serviceflow.analytics._effect",
    "serviceflow.escalation": "serviceflow.rules.escalation._governance",
    "serviceflow.escalation_audit": "serviceflow.rules.escalation._audit",
    "serviceflow.escalation_clock": "serviceflow.rules.escalation._clocks",
    "serviceflow.escalation_policy": "serviceflow.domain.policy._escalation",
    "serviceflow.events": "serviceflow.domain._events",
    "serviceflow.evolve": "serviceflow.rules._evolve",
    "serviceflow.fingerprint": "serviceflow.rules._fingerprint",
    "serviceflow.firing": "serviceflow.eventlog._firing",
    "serviceflow.guardrail_policy": "serviceflow.domain.policy._guardrails",
    "serviceflow.guardrails": "serviceflow.rules._guardrails",
    "serviceflow.hookspecs": "serviceflow.plugins.hookspecs",
    "serviceflow.identity": "serviceflow.core._identity",
    "serviceflow.ids": "serviceflow.core._ids",
    "serviceflow.import_mapping": "serviceflow.importing._mapping",
    "serviceflow.importer": "serviceflow.importing._importer",
    "serviceflow.improvement_events": "serviceflow.improvement._events",
    "serviceflow.isolation": "serviceflow.plugins._isolation",
    "serviceflow.kept_facts": "serviceflow.analytics._kept_facts",
    "serviceflow.kpi_sample": "serviceflow.analytics._kpi_sample",
    "serviceflow.lifecycle": "serviceflow.rules._lifecycle",
    "serviceflow.limits": "serviceflow.rules._limits",
    "serviceflow.limits_policy": "serviceflow.domain.policy._limits",
    "serviceflow.messages": "serviceflow.domain._messages",
    "serviceflow.metrics": "serviceflow.analytics._metrics",
    "serviceflow.notices": "serviceflow.rules._notices",
    "serviceflow.notifiers": "serviceflow.plugins._notifiers",
    "serviceflow.outbox": "serviceflow.eventlog._outbox",
    "serviceflow.policy": "serviceflow.domain.policy._policy",
    "serviceflow.policy_log": "serviceflow.eventlog._policy_log",
    "serviceflow.priority": "serviceflow.rules._priority",
    "serviceflow.problem_events": "serviceflow.problems._events",
    "serviceflow.quality": "serviceflow.rules._quality",
    "serviceflow.quality_policy": "serviceflow.domain.policy._quality",
    "serviceflow.readonly": "serviceflow.core._readonly",
    "serviceflow.report": "serviceflow.analytics._report",
    "serviceflow.retry": "serviceflow.core._retry",
    "serviceflow.routing": "serviceflow.rules._routing",
    "serviceflow.routing_policy": "serviceflow.domain.policy._routing",
    "serviceflow.scenario": "serviceflow.simulation._scenario",
    "serviceflow.scorecard": "serviceflow.analytics._scorecard",
    "serviceflow.serialization": "serviceflow.domain._serialization",
    "serviceflow.sim_whatif": "serviceflow.simulation._whatif",
    "serviceflow.sla": "serviceflow.rules._sla",
    "serviceflow.sla_policy": "serviceflow.domain.policy._sla",
    "serviceflow.staffing": "serviceflow.capacity._staffing",
    "serviceflow.states": "serviceflow.domain._states",
    "serviceflow.storable": "serviceflow.core._storable",
    "serviceflow.store": "serviceflow.eventlog._store",
    "serviceflow.survey": "serviceflow.rules._survey",
    "serviceflow.survey_policy": "serviceflow.domain.policy._surveys",
    "serviceflow.template_policy": "serviceflow.domain.policy._templates",
    "serviceflow.toml_file": "serviceflow.core._toml",
    "serviceflow.worker": "serviceflow.desk._worker",
    "serviceflow.workflow": "serviceflow.rules._workflow",
}
"""Old dotted path → the module that holds its code now."""


def _caller_level() -> int:
    """The ``stacklevel`` that names the code asking for the old path.

    ``warnings`` skips importlib's bootstrap frames itself, so only the others are counted
    on the way up: this module's and ``importlib.import_module``'s.
    """
    frame = sys._getframe(2)  # the finder's create_module
    level = 1
    while frame.f_back is not None and _passing(frame):
        frame = frame.f_back
        if not _bootstrap(frame):
            level += 1
    return level


def _bootstrap(frame: FrameType) -> bool:
    name = frame.f_code.co_filename
    return "importlib" in name and "_bootstrap" in name


def _passing(frame: FrameType) -> bool:
    name = frame.f_code.co_filename
    return _bootstrap(frame) or name in (__file__, importlib.__file__)


class MovedFinder:
    """Finds an old path and loads it as the moved module, with a ``DeprecationWarning``
    (a meta path finder and its loader; importlib's ABCs are not imported, to stay cheap)."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for an old path (loaded by this finder); ``None`` for every other name."""
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, cast("Loader", self))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The moved module itself, after the warning that names where it went."""
        new = MOVED[spec.name]
        face = new.rsplit("._", 1)[0] if "._" in new else new
        warnings.warn(
            f"{spec.name} moved to {face} (serviceflow 0.2); the old path goes in 0.3",
            DeprecationWarning,
            stacklevel=_caller_level(),
        )
        module = importlib.import_module(new)
        self._specs[new] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is loaded already; its own spec is put back."""
        module.__spec__ = self._specs.get(module.__name__, module.__spec__)


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())
