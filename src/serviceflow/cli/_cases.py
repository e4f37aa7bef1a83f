"""Inspecting cases: ``case show``, ``history``, ``cases`` and ``priority``.

Registered by ``_main.py``; each opens the desk of the root group's ``--db``/``--policy``.
"""

from __future__ import annotations

from typing import Any

import click
from attrs import asdict
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing, plain
from serviceflow.desk._tick import RecordedEvent
from serviceflow.domain._case import Case
from serviceflow.problems._service import workarounds
from serviceflow.rules import _lifecycle as lifecycle


@click.group()
def case() -> None:
    """Inspect cases."""


@case.command("show")
@click.argument("case_id")
@json_option("the case and its workarounds")
@click.pass_context
def case_show(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Show the current state of a case, and the known-error workarounds that apply."""
    with open_desk(ctx) as desk:
        shown_case = desk.case(case_id)
        known = workarounds(desk, case_id)
    if as_json:
        emit({**_fields(shown_case), "workarounds": known})
        return
    _print_case(shown_case)
    if known:  # a case without a known error says nothing of it
        shown = Listing("problem", "linked", "known error", "workaround", title="Workarounds")
        for found in known:
            linked = "yes" if found.linked else f"similar ({found.similarity:.0%})"
            shown.add_row(found.problem_id, linked, found.error, found.workaround)
        shown.print()


@click.command()
@click.argument("case_id")
@json_option("the events")
@click.pass_context
def history(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """List the events of a case, in order."""
    with open_desk(ctx) as desk:
        if as_json:
            emit([_event(recorded) for recorded in desk.history(case_id)])
            return
        events = Listing(
            Col("#", "right"), "time", "event", "by", "details", title=f"Case {case_id}"
        )
        for recorded in desk.history(case_id):
            event = recorded.event
            details = (
                f"{k}={plain(v)}"
                for k, v in _fields(event).items()
                if k not in {"at", "by", "policy"} and plain(v) != "none"
            )
            events.add_row(
                recorded.seq,
                plain(event.at),
                event.TYPE.removeprefix("case."),
                event.by,
                "; ".join(details),
            )
        events.print()


@click.command()
@click.option("--state", "states", multiple=True, type=click.Choice(lifecycle.STATES))
@click.option("--assignee")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True)
@json_option("the cases")
@click.pass_context
def cases(
    ctx: click.Context, states: tuple[str, ...], assignee: str | None, limit: int, as_json: bool
) -> None:
    """List cases, oldest first."""
    with open_desk(ctx) as desk:
        if as_json:
            emit(desk.cases(state=states or None, assignee=assignee, limit=limit))
            return
        listing = Listing(
            "id", "state", "priority", "assignee", "requester", "subject", things="cases"
        )
        for found in desk.cases(state=states or None, assignee=assignee, limit=limit):
            listing.add_row(
                found.id,
                found.state,
                found.priority or "",
                found.assignee or "",
                found.requester,
                found.subject,
            )
        listing.print()


@click.command()
@click.argument("case_id")
@json_option("the explanation")
@click.pass_context
def priority(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Explain a case's priority: every decision, its rule and its reason."""
    with open_desk(ctx) as desk:
        explained = desk.explain_priority(case_id)
    if as_json:
        emit(explained)
        return
    console.print(escape(explained.text()))


def _fields(obj: object) -> dict[str, Any]:
    return asdict(obj, recurse=False)  # type: ignore[arg-type]


def _event(recorded: RecordedEvent) -> dict[str, Any]:
    """One event of a case's history: its place, its type, who and when, its own fields
    (``data``) and its hash."""
    event = recorded.event
    data = {k: v for k, v in _fields(event).items() if k not in _COMMON}
    return {
        "seq": recorded.seq,
        "type": event.TYPE,
        "at": event.at,
        "by": event.by,
        "policy": event.policy,
        "source": event.source,
        "data": data,
        "hash": recorded.hash,
    }


_COMMON = frozenset({"at", "by", "policy", "source"})


def _print_case(found: Case) -> None:
    """Every field of the case as a value: a mapping as ``key: value``, a list as a comma
    list, a moment as ``YYYY-MM-DD HH:MM``, an empty one as ``none``."""
    fields = Listing("field", "value", title=f"Case {found.id}", show_header=False)
    for name, value in _fields(found).items():
        fields.add_row(name, plain(value))
    fields.print()
