"""``serviceflow policy check FILE``: validate a policy file and say what it holds.

Registered by ``_main.py`` (``cli.add_command(policy)``); it never opens a desk.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.domain.policy._policy import load_policy


@click.group()
def policy() -> None:
    """Check and inspect policy files."""


@policy.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def policy_check(file: str) -> None:
    """Validate FILE; list every problem with its path."""
    loaded = load_policy(Path(file))
    console.print(
        f"[green]ok[/] {escape(file)}: policy {escape(repr(loaded.name))}, "
        f"version {loaded.version}, "
        f"{len(loaded.priority.levels)} priorities, {len(loaded.categories)} categories, "
        f"{len(loaded.tiers)} tiers"
    )
