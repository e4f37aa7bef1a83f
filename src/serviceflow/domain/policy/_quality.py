"""Quality assurance as policy data: rubrics of weighted criteria, and calibration's tolerance.

A rubric scores how a case was handled: each criterion (compliance or soft skill) gets
0 to ``max`` points and weighs ``weight`` in the total out of 100. A ``critical`` criterion
scored 0 fails the whole review (total 0), as QA teams do for a breach that no courtesy
makes up for. ``quality`` (rules) applies it; this module holds the data and its checks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from attrs import frozen

COMPLIANCE = "compliance"
SOFT_SKILL = "soft_skill"
KINDS = (COMPLIANCE, SOFT_SKILL)
"""What a criterion assesses: following the process and rules, or the way with the client."""

_NAME = re.compile(r"[a-z][a-z0-9_-]*")


@frozen
class Criterion:
    """One thing a reviewer scores, 0 to ``max`` points, weighing ``weight`` in the total."""

    name: str
    weight: float
    kind: str
    max: int
    critical: bool = False
    description: str = ""


@frozen
class Rubric:
    """A named QA form: its criteria, in the order reviewers score them."""

    name: str
    criteria: tuple[Criterion, ...]
    description: str = ""

    def criterion(self, name: str) -> Criterion | None:
        """The criterion called ``name``, if the rubric has one."""
        return next((c for c in self.criteria if c.name == name), None)


@frozen
class QualityPolicy:
    """The QA rubrics (none by default: reviews are refused) and ``calibration_tolerance``,
    the points out of 100 within which two reviewers' totals agree."""

    rubrics: tuple[Rubric, ...] = ()
    calibration_tolerance: float = 10.0

    def rubric(self, name: str) -> Rubric | None:
        """The rubric called ``name``, if the policy has one."""
        return next((r for r in self.rubrics if r.name == name), None)


def quality_problems(policy: QualityPolicy) -> Iterator[str]:
    """Names well formed and unique, at least one criterion each, positive finite weights,
    a known kind, at least one point, and a tolerance between 0 and 100."""
    seen: set[str] = set()
    for i, rubric in enumerate(policy.rubrics):
        path = f"$.quality.rubrics[{i}]"
        if not _NAME.fullmatch(rubric.name):
            yield (
                f"{path}.name: {rubric.name!r} is not a rubric name "
                "(lowercase letters, digits, -, _)"
            )
        if rubric.name in seen:
            yield f"{path}.name: {rubric.name!r} is listed twice"
        seen.add(rubric.name)
        if not rubric.criteria:
            yield f"{path}.criteria: at least one criterion is required"
        yield from _criterion_problems(path, rubric)
    tolerance = policy.calibration_tolerance
    if not math.isfinite(tolerance) or not 0 <= tolerance <= 100:
        yield (
            "$.quality.calibration_tolerance: points out of 100 between 0 and 100, "
            f"got {tolerance!r}"
        )


def _criterion_problems(path: str, rubric: Rubric) -> Iterator[str]:
    names: set[str] = set()
    for j, criterion in enumerate(rubric.criteria):
        where = f"{path}.criteria[{j}]"
        if not _NAME.fullmatch(criterion.name):
            yield (
                f"{where}.name: {criterion.name!r} is not a criterion name "
                "(lowercase letters, digits, -, _)"
            )
        if criterion.name in names:
            yield f"{where}.name: {criterion.name!r} is listed twice in rubric {rubric.name!r}"
        names.add(criterion.name)
        if not math.isfinite(criterion.weight) or criterion.weight <= 0:
            yield f"{where}.weight: must be a number above 0, got {criterion.weight!r}"
        if criterion.kind not in KINDS:
            yield f"{where}.kind: expected one of {', '.join(KINDS)}, got {criterion.kind!r}"
        if criterion.max < 1:
            yield f"{where}.max: at least 1 point, got {criterion.max}"
