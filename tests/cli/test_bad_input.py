"""Every command, found by walking the click tree, answers a bad path or value with click's
usage error: ``Error: ...`` naming the option, exit status 2, no traceback, nothing written.

A new command or option is covered as soon as it is registered: paths it writes take
``OutputPath``/``StoreTarget``, numbers a range, dates ``Instant``, names a ``Choice``.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from serviceflow.cli._main import cli
from serviceflow.cli._paths import OutputPath, StoreTarget
from serviceflow.cli._period import Instant

from .commands import Walked, walk

FILLERS = {"--mapping": "servicenow"}
"""Values for required options that are not under test (the rest get ``X``)."""

EXTRA: dict[tuple[str, ...], list[str]] = {("worker",): ["--once"]}
"""Options that keep a command from running for ever should a check ever let it through."""


COMMANDS = [*walk()]
ROOT: Walked = ((), cli)


def _name(param: click.Parameter) -> str:
    return param.opts[0] if isinstance(param, click.Option) else (param.name or "")


def _bad_values(param: click.Parameter, tmp: Path) -> list[str]:
    """Values ``param`` must refuse at parse time (none: nothing to check generically)."""
    kind = param.type
    if isinstance(kind, OutputPath):
        missing = str(tmp / "missing" / "out")
        wrong = str(tmp / "file.csv") if kind.folder else str(tmp)
        return [missing, wrong]
    if isinstance(kind, StoreTarget):
        return [str(tmp / "missing" / "desk.db"), str(tmp)]
    if isinstance(kind, Instant):
        return ["2026-13-45", "yesterday", "0001-01-01", "9999-12-31"]
    if isinstance(kind, click.Choice):
        return ["no-such-choice"]
    if isinstance(kind, click.IntRange | click.FloatRange):
        low = kind.min if kind.min is not None else kind.max
        step = -1 if kind.min is not None else 1
        return ["abc", str(low + step * 1000 if low is not None else "abc")]
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return ["abc", "1e999x"]
    if isinstance(kind, click.Path) and kind.exists:
        return [str(tmp / "missing.file")]
    return []


def _cases() -> list[tuple[str, tuple[str, ...], str, int]]:
    """(id, command words, option or argument name, index of the bad value) to run."""
    found = []
    for words, command in [ROOT, *COMMANDS]:
        for param in command.params:
            for index, _value in enumerate(_bad_values(param, Path("/tmp"))):
                name = _name(param)
                label = f"{' '.join(words) or 'serviceflow'} {name} #{index}"
                found.append((label, words, name, index))
    return found


CASES = _cases()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a demo desk (``desk.db``) and a small input file (``file.csv``)."""
    folder = tmp_path_factory.mktemp("bad_input")
    done = CliRunner().invoke(cli, ["--db", str(folder / "desk.db"), "demo", "--quiet"])
    assert done.exit_code == 0, done.output
    (folder / "file.csv").write_text("number,opened_at\nINC1,2026-03-02 09:00:00\n")
    return folder


def _command(words: tuple[str, ...]) -> click.Command:
    return cli if not words else dict(COMMANDS)[words]


def _filled(command: click.Command, skip: str, folder: Path) -> tuple[list[str], list[str]]:
    """The required arguments in order, and the required options, with harmless values
    (all but ``skip``, the one under test)."""
    arguments: list[str] = []
    options: list[str] = []
    for param in command.params:
        if _name(param) == skip:
            continue
        kind = param.type
        value = FILLERS.get(_name(param), "X")
        if isinstance(kind, click.Path) and kind.exists:
            value = str(folder / "file.csv")
        elif isinstance(kind, click.Choice):
            value = str(kind.choices[0])
        if isinstance(param, click.Argument) and param.required:
            arguments.append(value)
        elif isinstance(param, click.Option) and param.required:
            options += [_name(param), value]
    return arguments, options


def _args(words: tuple[str, ...], name: str, bad: str, folder: Path) -> list[str]:
    """The command line: the bad value first (click checks it first), then the rest."""
    root = ["--db", str(folder / "desk.db")]
    if not words:  # a root option: the demo writes, so it reaches every check
        return [*(root if name != "--db" else []), name, bad, "demo", "--quiet"]
    command = _command(words)
    param = next(p for p in command.params if _name(p) == name)
    arguments, options = _filled(command, name, folder)
    options += EXTRA.get(words, [])
    if isinstance(param, click.Option):
        return [*root, *words, name, bad, *arguments, *options]
    positional: list[click.Parameter] = [p for p in command.params if isinstance(p, click.Argument)]
    before = positional.index(param)  # the fillers of earlier arguments come first
    return [*root, *words, *arguments[:before], bad, *arguments[before:], *options]


def _refused(result: Result, name: str, bad: str) -> None:
    """Click's usage error, naming what was wrong, and no traceback."""
    output = result.output
    assert result.exit_code == 2, output
    assert "Error:" in output, output
    assert "Traceback" not in output, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    named = name if name.startswith("-") else name.upper()
    assert named in output or "Invalid value" in output, output


def test_the_walk_finds_every_command() -> None:
    found = {" ".join(words) for words, _ in COMMANDS}
    assert {"report", "import", "simulate", "diagram", "staff", "worker", "kb search"} <= found
    assert {"audit", "audit escalations", "policy check", "quality calibration"} <= found


def test_every_path_option_is_checked_before_the_work() -> None:
    """A path typed as a plain ``click.Path`` (not an input that must exist) writes
    unchecked: it must be an ``OutputPath`` (or, for a store, a ``StoreTarget``)."""
    for words, command in [ROOT, *COMMANDS]:
        for param in command.params:
            kind = param.type
            plain = isinstance(kind, click.Path) and not kind.exists
            writes = param.name in {"db", "output", "html", "csv", "export"} or (
                isinstance(param, click.Option) and param.metavar in {"PATH", "FOLDER"}
            )
            where = f"{' '.join(words)} {_name(param)}"
            assert not plain, f"{where}: use OutputPath (a path to write) or exists=True"
            if writes:
                assert isinstance(kind, OutputPath | StoreTarget), f"{where} is not checked"


@pytest.mark.parametrize(
    ("words", "name", "index"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_bad_value_is_a_usage_error(
    files: Path, tmp_path: Path, words: tuple[str, ...], name: str, index: int
) -> None:
    command = _command(words)
    param = next(p for p in command.params if _name(p) == name)
    (tmp_path / "file.csv").write_text("x\n")
    bad = _bad_values(param, tmp_path)[index]
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, _args(words, name, bad, files))
    _refused(result, name, bad)
    if isinstance(param.type, OutputPath | StoreTarget):
        assert bad in result.output, result.output
        assert sorted(tmp_path.rglob("*")) == before, "nothing written"


@pytest.mark.parametrize(
    ("words", "option"),
    [(w, "--db") for w, c in [ROOT, *COMMANDS] if any(_name(p) == "--db" for p in c.params)],
    ids=lambda v: (" ".join(v) or "serviceflow") if isinstance(v, tuple) else v,
)
def test_a_store_that_cannot_open_is_a_usage_error(
    files: Path, words: tuple[str, ...], option: str
) -> None:
    result = CliRunner().invoke(cli, _args(words, option, "nosuch://x", files))
    _refused(result, option, "nosuch://x")
    assert "nosuch://x" in result.output


@pytest.mark.parametrize("content", ["garbage [[[", 'name = 3\n[priority]\nlevels = "x"\n'])
def test_a_policy_that_does_not_parse_is_a_usage_error(
    files: Path, tmp_path: Path, content: str
) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(content)
    for args in (
        ["cases"],
        ["report"],
        ["import", str(files / "file.csv"), "--mapping", "servicenow"],
    ):
        result = CliRunner().invoke(
            cli, ["--db", str(files / "desk.db"), "--policy", str(bad), *args]
        )
        _refused(result, "--policy", str(bad))
        assert "Invalid value for '--policy'" in result.output


def test_an_unknown_mapping_is_a_usage_error(files: Path) -> None:
    args = ["--db", str(files / "desk.db"), "import", str(files / "file.csv"), "--mapping"]
    result = CliRunner().invoke(cli, [*args, "no-such-mapping"])
    _refused(result, "--mapping", "no-such-mapping")
    assert "Invalid value for '--mapping'" in result.output


def test_a_period_that_ends_before_it_starts_is_a_usage_error(files: Path) -> None:
    args = ["--db", str(files / "desk.db"), "report", "--from", "2026-03-03", "--to", "2026-03-01"]
    _refused(CliRunner().invoke(cli, args), "--from", "2026-03-03")


def test_a_malformed_audit_day_is_a_usage_error(files: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(files / "desk.db"), "audit", "2026-99-01"])
    _refused(result, "DAY", "2026-99-01")


def test_a_read_command_on_a_missing_database_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "cases"])
    _refused(result, "--db", str(db))
    assert not db.exists()
