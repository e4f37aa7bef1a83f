"""The two consoles every command prints to: standard output, and standard error for
errors, notes and progress (so ``--json`` output stays one document)."""

from __future__ import annotations

from rich.console import Console

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)
