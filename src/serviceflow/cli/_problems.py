"""The ``serviceflow problem`` commands: list problems, show one, find candidates.

Needs the ``cli`` extra; ``serviceflow.cli`` adds the ``problem`` group to its command.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option, jsonable
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing, plain
from serviceflow.problems._problem import Problem
from serviceflow.problems._service import Problems
from serviceflow.rules._fingerprint import SIMILAR

__all__ = ["problem"]


@click.group()
def problem() -> None:
    """Problem management: recurring incidents, root causes, known errors."""


@problem.command("list")
@click.option("--all", "everything", is_flag=True, help="Include closed problems.")
@json_option("the problems")
@click.pass_context
def list_problems(ctx: click.Context, everything: bool, as_json: bool) -> None:
    """List problems, oldest first (open ones unless --all)."""
    with open_desk(ctx) as desk:
        if as_json:
            emit([_problem(p) for p in Problems(desk).all() if p.is_open or everything])
            return
        listing = Listing(
            "id",
            "state",
            Col("cases", "right"),
            "known error",
            Col("recurrences", "right"),
            "title",
            things="problems" if everything else "open problems",
        )
        for found in Problems(desk).all():
            if found.is_open or everything:
                listing.add_row(
                    found.id,
                    found.state,
                    len(found.case_ids),
                    "yes" if found.known_error else "",
                    len(found.recurrences),
                    found.title,
                )
        listing.print()


@problem.command()
@click.argument("problem_id")
@json_option("the problem")
@click.pass_context
def show(ctx: click.Context, problem_id: str, as_json: bool) -> None:
    """Show a problem: its definition, fingerprint, incidents, known error and every step."""
    with open_desk(ctx) as desk:
        found = Problems(desk).get(problem_id)
        if as_json:
            emit(_problem(found))
            return
        console.print(f"[bold]{escape(found.id)}[/] {escape(found.title)} [cyan]{found.state}[/]")
        console.print(escape(found.statement))
        print_ = found.fingerprint
        console.print(
            f"fingerprint: category {escape(str(print_.category))}, "
            f"item {escape(str(print_.item))}, terms {escape(', '.join(sorted(print_.terms)))}"
        )
        console.print(f"incidents: {escape(plain(found.case_ids))}")
        if found.root_cause:
            console.print(f"root cause: {escape(found.root_cause)}")
        if found.known_error:
            known = found.known_error
            console.print(
                f"known error: {escape(known.error)}; workaround: {escape(known.workaround)}"
            )
        if found.quiet_until is not None:
            console.print(f"monitoring until {found.quiet_until:%Y-%m-%d %H:%M} UTC")
        steps = Listing("at", "step", "by", "what", "evidence", title="Steps", things="steps")
        for step in found.steps:
            steps.add_row(plain(step.at), step.step, step.by, step.what, step.evidence)
        steps.print()


def _problem(found: Problem) -> dict[str, Any]:
    """A problem's fields, and until when it is monitored (``quiet_until``)."""
    return {**jsonable(found), "quiet_until": found.quiet_until}


@problem.command()
@click.option(
    "--days",
    type=click.IntRange(1, 36_500),
    default=30,
    show_default=True,
    help="Look back this many days.",
)
@click.option(
    "--min-cases",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="Smallest group to report.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=SIMILAR,
    show_default=True,
    help="Similarity needed (0 to 1).",
)
@json_option("the candidates and the unlinked incidents")
@click.pass_context
def candidates(
    ctx: click.Context, days: int, min_cases: int, threshold: float, as_json: bool
) -> None:
    """Groups of similar recent incidents not yet linked to nor like an open problem, then
    the recent incidents that match an open problem but are not linked to it."""
    with open_desk(ctx) as desk:
        problems = Problems(desk)
        window = timedelta(days=days)
        found = problems.candidates(window=window, min_cases=min_cases, threshold=threshold)
        unlinked = problems.unlinked(window=window, threshold=threshold)
        if as_json:
            emit(
                {
                    "candidates": [
                        {
                            "case_ids": c.case_ids,
                            "category": c.fingerprint.category,
                            "item": c.fingerprint.item,
                            "terms": c.fingerprint.terms,
                            "first_at": c.first_at,
                            "last_at": c.last_at,
                            "cohesion": c.cohesion,
                        }
                        for c in found
                    ],
                    "unlinked": [{**jsonable(match), "advice": match.advice} for match in unlinked],
                }
            )
            return
        listing = Listing(
            Col("#", "right"),
            "cases",
            "category",
            "item",
            "terms",
            "first",
            "last",
            Col("cohesion", "right"),
            things="recurring incidents",
        )
        for number, candidate in enumerate(found, 1):
            print_ = candidate.fingerprint
            listing.add_row(
                number,
                ", ".join(candidate.case_ids),
                print_.category or "",
                print_.item or "",
                " ".join(sorted(print_.terms)),
                f"{candidate.first_at:%Y-%m-%d}",
                f"{candidate.last_at:%Y-%m-%d}",
                f"{candidate.cohesion:.2f}",
            )
        listing.print()
        for match in unlinked:
            console.print(
                f"{escape(match.advice)} ({escape(match.title)}): "
                f"{escape(', '.join(match.case_ids))}"
            )
