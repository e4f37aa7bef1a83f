"""The command tree, walked: what the CLI tests run every command of."""

from __future__ import annotations

from collections.abc import Iterator

import click

from serviceflow.cli._main import cli

Walked = tuple[tuple[str, ...], click.Command]
"""A command's words (``("kb", "show")``) and the command."""


def walk(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[Walked]:
    """Every command that runs, with its words: subcommands, and groups that run alone."""
    if path and group.invoke_without_command:
        yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))
        else:
            yield (*path, name), command
