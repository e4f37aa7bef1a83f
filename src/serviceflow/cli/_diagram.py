"""``serviceflow diagram``: a workflow drawn from its own state machine (Markdown or Mermaid).

Registered by ``_main.py`` (``cli.add_command(diagram)``); it never opens a desk.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._paths import OutputPath
from serviceflow.improvement._workflow import WORKFLOW as IMPROVEMENT_WORKFLOW
from serviceflow.knowledge._workflow import WORKFLOW as ARTICLE_WORKFLOW
from serviceflow.problems._workflow import WORKFLOW as PROBLEM_WORKFLOW
from serviceflow.rules import _lifecycle as lifecycle

WORKFLOWS = {
    "article": ARTICLE_WORKFLOW,
    "problem": PROBLEM_WORKFLOW,
    "improvement": IMPROVEMENT_WORKFLOW,
}


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "mermaid"]),
    default="markdown",
    show_default=True,
)
@click.option("--output", type=OutputPath(), help="Write to this file.")
@click.option(
    "--workflow",
    type=click.Choice(["case", *WORKFLOWS]),
    default="case",
    show_default=True,
    help="Which machine: the case lifecycle, or an article's, problem's or PDCA cycle's.",
)
def diagram(fmt: str, output: str | None, workflow: str) -> None:
    """Render a workflow, generated from its state machine itself."""
    if workflow == "case":
        text = lifecycle.markdown() if fmt == "markdown" else lifecycle.mermaid() + "\n"
    else:
        machine = WORKFLOWS[workflow]
        text = machine.markdown() if fmt == "markdown" else machine.mermaid() + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(output)}", soft_wrap=True)
    else:
        click.echo(text, nl=False)
