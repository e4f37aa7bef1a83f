"""Every Python snippet of the docs runs, so the docs cannot drift from the code.

Each page (``README.md`` and ``docs/*.md``) is one test. Its blocks run in order, in one
namespace, in a fresh working directory that holds a copy of ``examples/``, so relative
paths (``examples/policy.toml``, ``sqlite:///desk.db``) work as the page writes them:

* a `````python`` block runs as it is shown;
* an HTML comment ``<!-- invisible-code-block: python`` ... ``-->`` is Python the site does
  not show: it sets up what a snippet takes for granted (a desk with cases, a secret) and
  may check what a snippet claims;
  Hidden blocks see ``monkeypatch`` (pytest's, undone after the page);
* a `````console`` block right after ``<!-- run: cli -->`` runs each ``$ serviceflow ...``
  line through the real command (``click.testing.CliRunner``), which must succeed, and
  every output line the page shows under it (but ``...``) must be in what it printed;
* a fenced block right after ``<!-- write: FILE -->`` (a policy's TOML, say) is written to
  ``FILE`` in the working directory when the page reaches it;
* a `````python`` block right after ``<!-- not run: REASON -->`` is skipped; the reason is
  required. Keep these rare.

Other fences (``toml``, ``text``, ``sh``, unmarked ``console``) are not Python and not run.
A failure names the page and line: code objects carry the page's path and line numbers.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ServiceDesk
from serviceflow.cli._main import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>.*?)\s*-->$")
RUN_CLI = re.compile(r"^<!--\s*run:\s*cli\s*-->$")
WRITE = re.compile(r"^<!--\s*write:\s*(?P<file>[\w./-]+)\s*-->$")
INVISIBLE = "<!-- invisible-code-block: python"
FENCE = re.compile(r"^(?P<ticks>`{3,})(?P<lang>[\w-]*)")


@dataclass(frozen=True)
class Block:
    """One piece of a page to run: Python (shown or not) or a console session."""

    page: Path
    line: int  # the first line of the code, 1-based
    kind: str  # "python", "hidden", "console" or "file"
    code: str
    skip: str | None = None
    file: str = ""


def blocks(page: Path) -> list[Block]:
    """The page's Python blocks, hidden set-ups and marked console sessions, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    marker = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() == INVISIBLE:
            end = next(j for j in range(index + 1, len(lines)) if lines[j].strip() == "-->")
            found.append(Block(page, index + 2, "hidden", "\n".join(lines[index + 1 : end])))
            index, marker = end + 1, ""
            continue
        fence = FENCE.match(line)
        if fence is None:
            if line.strip():
                marker = line.strip()
            index += 1
            continue
        ticks, lang = fence["ticks"], fence["lang"]
        end = next(j for j in range(index + 1, len(lines)) if lines[j].strip() == ticks)
        code = "\n".join(lines[index + 1 : end])
        skipped = NOT_RUN.match(marker)
        written = WRITE.match(marker)
        if written is not None:
            found.append(Block(page, index + 2, "file", code, file=written["file"]))
        elif lang == "python":
            if skipped is not None:
                assert skipped["reason"], f"{page.name}:{index + 1}: 'not run' needs a reason"
            found.append(
                Block(page, index + 2, "python", code, skipped["reason"] if skipped else None)
            )
        elif lang == "console" and RUN_CLI.match(marker):
            found.append(Block(page, index + 2, "console", code))
        else:
            assert skipped is None, f"{page.name}:{index + 1}: 'not run' marks a {lang} block"
        index, marker = end + 1, ""
    return found


def commands(session: str) -> list[tuple[list[str], list[str]]]:
    """The ``$ serviceflow ...`` lines of a console session (continuations joined), each with
    the output lines the page shows under it."""
    found: list[tuple[list[str], list[str]]] = []
    pending = ""
    for line in session.splitlines():
        if pending:
            pending += " " + line.strip()
        elif line.startswith("$ "):
            pending = line[2:].strip()
        else:
            if found and line.strip() not in ("", "..."):
                found[-1][1].append(line)
            continue
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        found.append((shlex.split(pending, comments=True), []))
        pending = ""
    return found


def run_python(block: Block, namespace: dict[str, object]) -> None:
    """Run one block as if it sat at its line of the page."""
    source = "\n" * (block.line - 1) + block.code
    exec(compile(source, str(block.page), "exec"), namespace)


def words(text: str) -> str:
    """Text with every run of white space made one space (tables wrap with the terminal)."""
    return " ".join(text.split())


def run_console(block: Block) -> None:
    """Run each command of the session; each must succeed and print what the page shows."""
    for argv, shown in commands(block.code):
        where = f"{block.page.name}:{block.line}: `{shlex.join(argv)}`"
        assert argv[0] == "serviceflow", f"{where}: only serviceflow commands run"
        result = CliRunner().invoke(cli, argv[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{where} exited with {result.exit_code}:\n{result.output}"
        for line in shown:
            assert words(line) in words(result.output), (
                f"{where} did not print {line!r}; it printed:\n{result.output}"
            )


RUNNABLE = [page for page in PAGES if any(b.skip is None for b in blocks(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_the_page_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    hidden: dict[str, object] = {"monkeypatch": monkeypatch}
    try:
        for block in blocks(page):
            if block.skip is not None:
                continue
            if block.kind == "console":
                run_console(block)
            elif block.kind == "file":
                Path(block.file).write_text(block.code + "\n", encoding="utf-8")
            else:
                if block.kind == "hidden":
                    namespace.update(hidden)
                run_python(block, namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, ServiceDesk):
                value.close()


def test_the_snippets_left_out_are_few() -> None:
    skipped = [b for page in PAGES for b in blocks(page) if b.skip is not None]
    assert len(skipped) <= 8, "keep the snippets that do not run rare"
