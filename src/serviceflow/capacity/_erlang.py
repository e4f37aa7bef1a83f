"""Erlang C for one interval: what N agents give a queue, and how many agents it needs.

The model is M/M/N: Poisson arrivals, exponential handle times, first come first served,
nobody abandons. Erlang B comes from its recursion ``B(n) = A·B(n−1) / (n + A·B(n−1))``
and Erlang C from B, so there are no factorials or powers: the figures stay finite and
exact to rounding for thousands of agents. With ``N ≤ A`` the queue grows without bound;
the figures say so (``stable`` false, service level 0, ASA infinite) instead of failing.
"""

from __future__ import annotations

import math
from typing import Literal

from attrs import frozen

from serviceflow.errors import ValidationError

_SLACK = 1e-9
"""Rounding slack for ``ceil``: ``14 / 0.7`` is 20.000000000000004 in floats, and means 20."""

Binding = Literal["no_demand", "service_level", "asa", "occupancy", "minimum"]
"""What set an interval's number of agents: nothing to answer, or the target that needed most."""


def _check(what: str, problems: list[str]) -> None:
    if problems:
        raise ValidationError(what, problems)


def _number_problem(name: str, value: float, *, low: float = 0.0) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [f"{name}: expected a finite number, got {value!r}"]
    if value < low:
        return [f"{name}: expected a number ≥ {low:g}, got {value!r}"]
    return []


def _agents_problem(agents: int) -> list[str]:
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        return [f"agents: expected a whole number ≥ 0, got {agents!r}"]
    return []


def traffic_intensity(arrivals: float, interval_seconds: float, handle_seconds: float) -> float:
    """Offered load in Erlangs: the arrival rate (arrivals / interval) times the handle time."""
    _check(
        "cannot compute traffic intensity",
        _number_problem("arrivals", arrivals)
        + _number_problem("interval_seconds", interval_seconds, low=1e-9)
        + _number_problem("handle_seconds", handle_seconds),
    )
    return arrivals / interval_seconds * handle_seconds


def erlang_b(agents: int, intensity: float) -> float:
    """The blocking probability of N servers under load A (Erlang B), by the stable recursion."""
    _check(
        "cannot compute Erlang B", _agents_problem(agents) + _number_problem("intensity", intensity)
    )
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = intensity * blocking / (n + intensity * blocking)
    return blocking


def _erlang_c(agents: int, intensity: float, blocking: float) -> float:
    """Erlang C from Erlang B at the same N (only for ``agents > intensity``)."""
    return agents * blocking / (agents - intensity * (1.0 - blocking))


@frozen
class Performance:
    """What ``agents`` give a queue with offered load ``intensity`` (Erlang C figures).

    ``stable`` is false when ``agents ≤ intensity`` and there is demand: the queue then grows
    without bound, so every call waits (``wait_probability`` 1), none is answered within
    the target (``service_level`` 0), the average speed of answer is ``math.inf`` and the
    agents are busy all the time (``occupancy`` 1).
    """

    agents: int
    intensity: float
    stable: bool
    wait_probability: float
    service_level: float
    answer_seconds: float
    average_speed_of_answer: float
    occupancy: float

    @property
    def answered_immediately(self) -> float:
        """The share of calls answered without waiting: ``1 − P(wait)``."""
        return 1.0 - self.wait_probability


def _performance(
    agents: int, intensity: float, blocking: float, handle_seconds: float, answer_seconds: float
) -> Performance:
    if intensity == 0.0:
        return Performance(agents, 0.0, True, 0.0, 1.0, answer_seconds, 0.0, 0.0)
    if agents <= intensity:
        return Performance(agents, intensity, False, 1.0, 0.0, answer_seconds, math.inf, 1.0)
    waiting = _erlang_c(agents, intensity, blocking)
    spare = agents - intensity
    return Performance(
        agents=agents,
        intensity=intensity,
        stable=True,
        wait_probability=waiting,
        service_level=1.0 - waiting * math.exp(-spare * answer_seconds / handle_seconds),
        answer_seconds=answer_seconds,
        average_speed_of_answer=waiting * handle_seconds / spare,
        occupancy=intensity / agents,
    )


def _inputs(intensity: float, handle_seconds: float, answer_seconds: float) -> list[str]:
    problems = _number_problem("intensity", intensity)
    problems += _number_problem("handle_seconds", handle_seconds)
    problems += _number_problem("answer_seconds", answer_seconds)
    if not problems and intensity > 0 and handle_seconds <= 0:
        problems.append(
            f"handle_seconds: expected a number > 0 with demand, got {handle_seconds!r}"
        )
    return problems


def performance(
    agents: int, intensity: float, *, handle_seconds: float, answer_seconds: float
) -> Performance:
    """Every Erlang C figure of ``agents`` under load ``intensity`` (see ``Performance``)."""
    _check(
        "cannot compute Erlang C",
        _agents_problem(agents) + _inputs(intensity, handle_seconds, answer_seconds),
    )
    blocking = erlang_b(agents, intensity)
    return _performance(agents, intensity, blocking, handle_seconds, answer_seconds)


def wait_probability(agents: int, intensity: float) -> float:
    """Erlang C: the probability that a call waits (1 for an overloaded queue, 0 without demand)."""
    return performance(agents, intensity, handle_seconds=1.0, answer_seconds=0.0).wait_probability


def service_level(
    agents: int, intensity: float, *, handle_seconds: float, answer_seconds: float
) -> float:
    """The share of calls answered within ``answer_seconds``: ``1 − C·e^{−(N−A)·t/AHT}``."""
    return performance(
        agents, intensity, handle_seconds=handle_seconds, answer_seconds=answer_seconds
    ).service_level


def average_speed_of_answer(agents: int, intensity: float, *, handle_seconds: float) -> float:
    """The mean wait over all calls in seconds, ``C·AHT / (N − A)``; ``math.inf`` if overloaded."""
    return performance(
        agents, intensity, handle_seconds=handle_seconds, answer_seconds=0.0
    ).average_speed_of_answer


def occupancy(agents: int, intensity: float) -> float:
    """The share of time agents are busy: ``A / N``, at most 1."""
    return performance(agents, intensity, handle_seconds=1.0, answer_seconds=0.0).occupancy


@frozen
class StaffingTarget:
    """What an interval must achieve, and what staffing costs beyond the agents on the queue.

    ``service_level`` of calls answered within ``answer_seconds`` (a share below 1, such as
    0.8 for 80/20); optionally an average speed of answer of at most ``max_asa_seconds``;
    agents busy at most ``max_occupancy`` of the time; ``shrinkage`` the share of rostered
    time not spent on the queue (breaks, training, absence); at least ``min_agents``.
    """

    service_level: float = 0.8
    answer_seconds: float = 20.0
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    max_asa_seconds: float | None = None
    min_agents: int = 0

    def __attrs_post_init__(self) -> None:
        _check("invalid staffing target", self.problems())

    def problems(self) -> list[str]:
        """Each field that cannot work, as ``field: problem`` (empty when the target is sound)."""
        found = _share("service_level", self.service_level, upper_open=True, lower_open=True)
        found += _number_problem("answer_seconds", self.answer_seconds)
        found += _share("max_occupancy", self.max_occupancy, upper_open=False, lower_open=True)
        found += _share("shrinkage", self.shrinkage, upper_open=True, lower_open=False)
        if self.max_asa_seconds is not None:
            asa = self.max_asa_seconds
            own = _number_problem("max_asa_seconds", asa)
            found += own or (
                [] if asa > 0 else [f"max_asa_seconds: expected a number > 0, got {asa!r}"]
            )
        if _agents_problem(self.min_agents):
            found.append(f"min_agents: expected a whole number ≥ 0, got {self.min_agents!r}")
        return found


def _share(name: str, value: float, *, upper_open: bool, lower_open: bool) -> list[str]:
    problems = _number_problem(name, value)
    if problems:
        return problems
    low_ok = value > 0 if lower_open else value >= 0
    high_ok = value < 1 if upper_open else value <= 1
    if low_ok and high_ok:
        return []
    bounds = f"{'(' if lower_open else '['}0, 1{')' if upper_open else ']'}"
    hint = f" (write {value / 100:g} for {value:g} %)" if 1 < value <= 100 else ""
    return [f"{name}: expected a share in {bounds}, got {value!r}{hint}"]


@frozen
class Staffing:
    """The agents one interval needs and what they give.

    ``agents`` answer the queue (the smallest number meeting every target); ``rostered``
    is what to schedule once shrinkage is added: ``ceil(agents / (1 − shrinkage))``.
    ``binding`` names the target that set the number; ``performance`` has the figures.
    """

    intensity: float
    handle_seconds: float
    agents: int
    rostered: int
    binding: Binding
    performance: Performance


def rostered(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` are on the queue after ``shrinkage``."""
    return math.ceil(agents / (1.0 - shrinkage) - _SLACK) if agents else 0


def agents_needed(intensity: float, *, handle_seconds: float, target: StaffingTarget) -> Staffing:
    """The smallest N meeting the service level (and ASA) target, raised to respect the
    occupancy cap and the minimum, then grossed up for shrinkage.

    The search starts at the first stable N (the smallest whole number above A) and steps
    the Erlang B recursion one agent at a time, so each candidate costs a few operations.
    """
    _check(
        "cannot compute agents needed", _inputs(intensity, handle_seconds, target.answer_seconds)
    )
    answer = target.answer_seconds
    if intensity == 0.0:
        agents = target.min_agents
        idle: Binding = "minimum" if agents else "no_demand"
        figures = _performance(agents, 0.0, 0.0, handle_seconds, answer)
        return Staffing(
            0.0, handle_seconds, agents, rostered(agents, target.shrinkage), idle, figures
        )
    agents = math.floor(intensity) + 1
    blocking = erlang_b(agents, intensity)
    level_met_earlier = False
    while True:
        waiting = _erlang_c(agents, intensity, blocking)
        spare = agents - intensity
        level_ok = (
            1.0 - waiting * math.exp(-spare * answer / handle_seconds) >= target.service_level
        )
        asa_ok = target.max_asa_seconds is None or (
            waiting * handle_seconds / spare <= target.max_asa_seconds
        )
        if level_ok and asa_ok:
            break
        level_met_earlier = level_met_earlier or level_ok
        agents += 1
        blocking = intensity * blocking / (agents + intensity * blocking)
    binding: Binding = "asa" if level_met_earlier else "service_level"
    floors: tuple[tuple[int, Binding], ...] = (
        (math.ceil(intensity / target.max_occupancy - _SLACK), "occupancy"),
        (target.min_agents, "minimum"),
    )
    for needed, reason in floors:
        while agents < needed:
            agents += 1
            blocking = intensity * blocking / (agents + intensity * blocking)
            binding = reason
    figures = _performance(agents, intensity, blocking, handle_seconds, answer)
    return Staffing(
        intensity, handle_seconds, agents, rostered(agents, target.shrinkage), binding, figures
    )
