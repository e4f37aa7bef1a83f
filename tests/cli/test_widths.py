"""Every command reads well at 80 and at 200 columns, piped (rich then uses ``COLUMNS``).

The walk of the click tree finds every command (a new one fails here until it is given its
arguments below, or a reason to be left out). Each runs on one demo desk (``serviceflow
demo``, then knowledge articles, a problem and an improvement cycle; a calibration session
and a day of escalations in desks of their own) at 80 and 200 columns and at a reference
width where nothing wraps:

* it exits with status 0;
* no line of its output is wider than the console;
* no word is broken across lines: every word of the reference output (a case id, a
  category, a priority, an agent, a word of a subject...) is still there, whole, as often.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from serviceflow import ManualClock, ServiceDesk
from serviceflow.analytics._kpi_sample import Kpi
from serviceflow.cli._consoles import console
from serviceflow.cli._main import cli
from serviceflow.domain.policy._policy import load_policy
from serviceflow.improvement._service import Improvement
from serviceflow.knowledge._service import Knowledge
from serviceflow.problems._service import Problems
from serviceflow.simulation._demo import DAY, DEMO_POLICY

from ..conftest import walk_to
from ..rules.escalation.test_audit import T0, play_day
from .commands import walk
from .test_main import ESCALATION_POLICY
from .test_simulate import SCENARIO

WIDTHS = (80, 200)
REFERENCE = 2000
"""Wide enough that no table wraps: the words every narrower output must keep whole."""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

LEFT_OUT = {
    ("worker",): "logs to stderr through logging (set up once per process); prints no table",
}
DOCUMENTS = {("diagram",)}
"""Commands that print a document (markdown, mermaid): its lines are the format's."""

RUBRIC = """
[[quality.rubrics]]
name = "email"
criteria = [
  { name = "accurate", weight = 1, kind = "compliance", max = 10 },
  { name = "empathy_shown_to_the_client", weight = 1, kind = "soft_skill", max = 10 },
]
"""

MAPPING = (
    '[source]\nname = "mine"\ntimestamp = "%Y-%m-%d %H:%M"\n'
    '[columns]\ncase_id = "id"\nat = "time"\nstate = "status"\nrequester = "who"\n'
    'category = "cat"\npriority = "prio"\nassignee = "agent"\n'
    '[defaults]\nchannel = "email"\nkind = "incident"\n'
    '[values.state]\nNew = "intake"\nDone = "closed"\n'
    '[values.priority]\nP1 = "critical"\nP3 = "medium"\n'
)
LOG = (
    "id,time,status,who,cat,prio,agent\n"
    "A-1,2026-03-02 09:00,New,ann,billing,P3,kim\n"
    "A-1,2026-03-02 11:00,Done,ann,billing,P3,kim\n"
    "A-2,2026-03-02 09:30,New,bob,access,P7,\n"
    "A-1,2026-03-02 10:00,Done,ann,billing,P3,kim\n"
)


COMMANDS = [words for words, _ in walk() if words not in LEFT_OUT]


@dataclass(frozen=True)
class Demo:
    """The demo desk and what the commands are asked about."""

    folder: Path
    db: Path
    case_id: str  # the critical case: it was merged into, escalated, resolved, closed
    refusal_day: date
    article_id: str
    problem_id: str
    cycle_id: str
    known: frozenset[str]  # values the tables show: ids, states, categories, agents...


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build_demo(tmp_path_factory.mktemp("widths"))


def build_demo(folder: Path) -> Demo:
    """The demo desk in ``folder`` (with its calibration and escalation desks, and the
    files the commands read); test_json.py builds its own with it."""
    db = folder / "demo.db"
    done = CliRunner().invoke(cli, ["--db", str(db), "demo", "--quiet"])
    assert done.exit_code == 0, done.output
    clock = ManualClock(DAY + timedelta(days=5))
    url = f"sqlite:///{db}"
    with ServiceDesk.open(url, policy=DEMO_POLICY, clock=clock, entry_points=False) as desk:
        cases = desk.cases(limit=100)
        critical = next(c.id for c in cases if c.priority == "critical")
        day = max(
            (DAY.date() + timedelta(days=n) for n in range(5)), key=lambda d: len(desk.audit(d))
        )
        knowledge = Knowledge(desk)
        article = knowledge.draft(
            by="agent:kim",
            category="billing",
            title="Correct an invoice that shows the wrong VAT rate for the client's country",
            body="Issue a credit note, then a new invoice with the rate of the client's country.",
        )
        knowledge.submit_for_review(article.id, by="agent:kim")
        knowledge.approve(article.id, by="lead:ana")
        resolved = walk_to(desk, "resolved")
        knowledge.link(article.id, resolved, by="agent:kim")
        for _ in range(3):  # the same resolution, three times, without an article
            walk_to(desk, "resolved", category="access")
        problems = Problems(desk)
        defined = problems.define(
            "Checkout fails after each release of the payment service",
            "Card payments fail for some minutes after every deployment of the payment service.",
            case_ids=[critical],
            by="lead:ana",
        )
        problems.known_error(
            defined.id,
            error="The payment service restarts without draining its connections",
            workaround="Roll back the release and retry the payment",
            by="lead:ana",
        )
        improvement = Improvement(desk)
        cycle = improvement.plan(
            kpi=Kpi("first_response", "p90", "calendar"),
            scope={"channel": "email"},
            baseline=(DAY, DAY + timedelta(days=4)),
            target=1800,
            patch={"lifecycle": {"reopen_window": "7d"}},
            hypothesis="a longer reopen window keeps clients from opening new cases",
            note="staffing: one more agent on weekday mornings",
            by="lead:ana",
        )
        improvement.do(cycle.id, by="lead:ana")
        clock.advance(timedelta(hours=1))
        improvement.check(cycle.id, by="lead:ana", resamples=200)
        improvement.roll_back(cycle.id, by="lead:ana", reason="no change in a week")
        everything = desk.cases(limit=100)
        known = {
            value
            for c in everything
            for value in (c.id, c.state, c.priority, c.category, c.assignee, c.requester)
            if value
        }
        known |= {article.id, defined.id, cycle.id, "agent:kim", "lead:ana", "billing"}
    _calibration(folder)
    _escalations(folder)
    (folder / "log.csv").write_text(LOG, encoding="utf-8")
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    return Demo(folder, db, critical, day, article.id, defined.id, cycle.id, frozenset(known))


def _calibration(folder: Path) -> None:
    """A desk of its own whose policy has a rubric: three reviewers score two cases."""
    (folder / "rubric.toml").write_text(RUBRIC, encoding="utf-8")
    policy = load_policy(folder / "rubric.toml")
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    url = f"sqlite:///{folder / 'quality.db'}"
    with ServiceDesk.open(url, policy=policy, clock=clock, entry_points=False) as desk:
        for _ in range(2):
            case = walk_to(desk, "assigned")
            for reviewer, points in (("qa:ann", 8), ("qa:bob", 6), ("qa:cid", 9)):
                desk.review_quality(
                    case,
                    by=reviewer,
                    rubric="email",
                    scores={"accurate": points, "empathy_shown_to_the_client": points - 1},
                    session="s1",
                )


def _escalations(folder: Path) -> None:
    """A desk of its own whose policy has escalation tiers, and a day of escalations."""
    (folder / "escalation.toml").write_text(ESCALATION_POLICY, encoding="utf-8")
    policy = load_policy(folder / "escalation.toml")
    url = f"sqlite:///{folder / 'escalation.db'}"
    clock = ManualClock(T0)
    with ServiceDesk.open(url, policy=policy, clock=clock, entry_points=False) as desk:
        play_day(desk, clock)


def argv(words: tuple[str, ...], demo: Demo, scratch: Path) -> list[str]:
    """The command line of ``words`` on the demo. A command that writes gets a copy of its
    own in ``scratch``, the working folder: its path, printed whole, is short."""
    db = str(demo.db)
    copy = scratch / "copy.db"
    if not copy.exists():
        shutil.copy(demo.db, copy)
    folder = demo.folder
    window = ["--from", f"{DAY:%Y-%m-%d}", "--to", f"{DAY + timedelta(days=4):%Y-%m-%d}"]
    arguments: dict[tuple[str, ...], list[str]] = {
        ("audit",): [demo.refusal_day.isoformat()],
        ("audit", "escalations"): ["--from", f"{T0:%Y-%m-%d}", "--to", f"{T0:%Y-%m-%d}"],
        ("case", "show"): [demo.case_id],
        ("cases",): [],
        ("demo",): [],
        ("diagram",): [],
        ("history",): [demo.case_id],
        ("import",): [str(folder / "log.csv"), "--mapping", str(folder / "mapping.toml")],
        ("improve", "list"): [],
        ("improve", "show"): [demo.cycle_id],
        ("kb", "effectiveness"): [],
        ("kb", "list"): [],
        ("kb", "search"): ["invoice VAT"],
        ("kb", "show"): [demo.article_id],
        ("kb", "suggestions"): [],
        ("policy", "check"): [str(EXAMPLES / "policy.toml")],
        ("priority",): [demo.case_id],
        ("problem", "candidates"): ["--days", "36500", "--min-cases", "2"],
        ("problem", "list"): ["--all"],
        ("problem", "show"): [demo.problem_id],
        ("quality", "calibration"): ["s1", "--db", str(folder / "quality.db")],
        ("queue",): [],
        ("report",): window,
        ("review",): ["weekly", "--at", f"{DAY + timedelta(days=4):%Y-%m-%d}"],
        ("route",): [],
        ("simulate",): [
            str(folder / "scenario.toml"),
            *("--db", "memory://", "--html", "", "--quiet"),
            *("--compare", str(folder / "scenario.toml"), "--seed", "7"),
        ],
        ("sla",): [demo.case_id],
        ("staff",): [str(EXAMPLES / "forecast_week.toml")],
        ("tick",): [],
        ("verify",): [],
    }
    assert words in arguments, f"`{' '.join(words)}` is new: give it arguments or a reason"
    root = ["--db", db]
    if words in {("route",), ("tick",), ("import",)}:
        root = ["--db", copy.name]
    elif words == ("demo",):
        root = ["--db", f"demo-{len(list(scratch.iterdir()))}.db"]
    elif words == ("audit", "escalations"):
        root = ["--db", str(folder / "escalation.db"), "--policy", str(folder / "escalation.toml")]
    elif words == ("quality", "calibration"):
        root = ["--policy", str(folder / "rubric.toml")]
    return [*root, *words, *arguments[words]]


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BOX = re.compile(r"[\u2500-\u257f]+")
ULID = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{16}(?![0-9A-Z])")


def _words(output: str, longest: int, *, same: bool = True) -> Counter[str]:
    """The words of an output (box lines, ANSI codes and tables' header rows taken out: a
    record leaves out an empty cell and its header; a record's key loses its colon), those
    no longer than ``longest`` (a longer one has to fold). What changes from
    run to run is left out: a simulation's speed, an import's time, and the ids of cases
    that a command creates (any id, whole, counts as ``ULID``) unless not ``same``."""
    plain = ANSI.sub("", output)
    rows = (line for line in plain.splitlines() if "┃" not in line)  # a header: data below
    text = BOX.sub(" ", "\n".join(rows))
    for volatile in VOLATILE if same else ():
        text = volatile.sub(" ", text)
    text = ULID.sub("ULID", text) if same else text
    return Counter(
        word.rstrip(":") for word in text.split() if cell_len(word) <= longest and word.rstrip(":")
    )


@pytest.fixture(autouse=True)
def _width_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console measures ``COLUMNS`` when it prints (as a fresh process would)."""
    monkeypatch.setattr(console, "_width", None)


VOLATILE = (
    re.compile(r"in\s+[\d.]+\s+s\s+\([\d,]+\s+commands/s\)"),  # a simulation's speed
    re.compile(r"seconds(\W+)[\d.]+"),  # an import's
)


def _run(line: list[str], width: int) -> str:
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(cli, line)
    assert result.exit_code == 0, f"{' '.join(line)} at {width}:\n{result.output}"
    assert "Traceback" not in result.output
    return result.stdout


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(w) for w in COMMANDS])
def test_every_command_reads_well_at_80_and_200_columns(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: tuple[str, ...]
) -> None:
    outputs = {}
    for width in (REFERENCE, *WIDTHS):
        scratch = tmp_path / str(width)
        scratch.mkdir()
        monkeypatch.chdir(scratch)
        outputs[width] = _run(argv(words, demo, scratch), width)
    reference = outputs[REFERENCE]
    assert reference.strip(), "it prints something"
    for width in WIDTHS:
        output = outputs[width]
        lines = ANSI.sub("", output).splitlines()
        if words not in DOCUMENTS:
            wide = [line for line in lines if cell_len(line) > width]
            assert not wide, f"wider than {width}:\n" + "\n".join(wide)
        expected = _words(reference, width // 2)
        found = _words(output, width // 2)
        broken = {w: n for w, n in expected.items() if found[w] < n}
        assert not broken, f"broken across lines at {width} columns: {broken}\n{output}"
        shown = _words(reference, width // 2, same=False)
        known = {w for w in demo.known if w in shown}
        missing = known - set(_words(output, width // 2, same=False))
        assert not missing, f"known values not whole at {width} columns: {missing}\n{output}"


def test_the_walk_leaves_out_only_what_it_says() -> None:
    assert {words for words, _ in walk()} - set(COMMANDS) == set(LEFT_OUT)
    assert {("cases",), ("kb", "suggestions"), ("audit",), ("review",)} <= set(COMMANDS)


@pytest.mark.parametrize("width", WIDTHS)
def test_kb_suggestions_shows_every_column(demo: Demo, width: int) -> None:
    output = _run(["--db", str(demo.db), "kb", "suggestions"], width)
    for header in ("write", "category", "cases", "terms", "resolution"):
        assert re.search(rf"\b{header}\b", output), f"{header} at {width}:\n{output}"
    assert "Fixed" in output, "the resolution itself"
    assert "access" in output, "its category"


def test_cases_list_every_case_whole_at_80_columns(demo: Demo) -> None:
    output = _run(["--db", str(demo.db), "cases"], 80)
    with ServiceDesk.open(f"sqlite:///{demo.db}", entry_points=False) as desk:
        ids = [c.id for c in desk.cases(limit=100)]
    for case_id in ids:
        assert re.search(rf"(?<!\w){case_id}(?!\w)", output), case_id
    assert "Checko" not in output.replace("Checkout", ""), "no subject folded"


def test_case_show_and_history_print_values_not_reprs(demo: Demo) -> None:
    shown = _run(["--db", str(demo.db), "case", "show", demo.case_id], 80)
    history = _run(["--db", str(demo.db), "history", demo.case_id], 200)
    for output in (shown, history):
        assert "ReadOnlyMap" not in output
        assert "()" not in output
        assert "Checkout page is down" in output
    assert re.search(r"fields\s+│ none", shown), shown
    assert re.search(r"submitted_at\s+│ 2026-03-02 08:55", shown), shown
    assert "tags=" not in history, "an empty value is left out of the details"
    assert "category=outage" in history


def test_an_empty_listing_says_so_in_words(demo: Demo, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    ServiceDesk.open(f"sqlite:///{empty}", entry_points=False).close()
    for words, sentence in (
        (["cases"], "No cases."),
        (["kb", "list"], "No articles."),
        (["problem", "list"], "No open problems."),
        (["improve", "list"], "No improvement cycles."),
        (["queue"], "No cases waiting in triage."),
    ):
        output = _run(["--db", str(empty), *words], 80)
        assert output == sentence + "\n", output
