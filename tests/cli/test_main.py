"""The command line: demo, policy check, case inspection, verify and the diagram."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from serviceflow.cli._main import cli
from serviceflow.rules import _lifecycle as lifecycle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})


def test_demo_then_inspect(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    result = runner.invoke(cli, ["--db", db, "demo"])
    assert result.exit_code == 0, result.output
    assert re.search(r"12 cases, \d+ events, 5 commands refused", result.output)
    assert "Service levels" in result.output
    assert "12/12 hash chains verified" in result.output
    assert "cancelled" in result.output
    assert "merged" in result.output
    listed = runner.invoke(cli, ["--db", db, "cases", "--state", "closed"])
    assert listed.exit_code == 0
    case_id = next(line.split()[1] for line in listed.output.splitlines() if "critical" in line)
    shown = runner.invoke(cli, ["--db", db, "case", "show", case_id])
    assert shown.exit_code == 0
    assert "Checkout page is down" in shown.output
    history = runner.invoke(cli, ["--db", db, "history", case_id])
    assert history.exit_code == 0
    assert "acknowledged" in history.output
    assert "client_confirmed" in history.output
    explained = runner.invoke(cli, ["--db", db, "sla", case_id])
    assert explained.exit_code == 0, explained.output
    assert "explained under policy" not in explained.output, "the demo's policy is in force"
    assert "service level critical" in explained.output
    verified = runner.invoke(cli, ["--db", db, "verify"])
    assert verified.exit_code == 0
    assert "14/14 streams verified" in verified.output, "12 cases, the audit, the policy log"


def test_demo_quiet_prints_only_the_summary(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(tmp_path / "d.db"), "demo", "--quiet"])
    assert result.exit_code == 0
    assert "submitted by" not in result.output
    assert "Summary" in result.output


def test_verify_reports_tampering(runner: CliRunner, tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "d.db"
    runner.invoke(cli, ["--db", str(db), "demo", "--quiet"])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events SET data = replace(data, 'On it', 'Off it')")
    result = runner.invoke(cli, ["--db", str(db), "verify"])
    assert result.exit_code == 1
    assert "content does not match its hash" in result.output


def test_policy_check(runner: CliRunner, tmp_path: Path) -> None:
    ok = runner.invoke(cli, ["policy", "check", str(EXAMPLES / "policy.toml")])
    assert ok.exit_code == 0
    assert "ok" in ok.output
    assert "Acme support" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\n[priority.matrix.high]\nhigh = "urgent"\n[lifecycle]\nreopen = "3d"\n'
    )
    result = runner.invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "$.lifecycle: unknown field(s) reopen" in result.output
    assert "$.priority.levels: required field is missing" in result.output


def test_policy_check_reports_a_pattern_re2_cannot_run(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (EXAMPLES / "policy.toml").read_text()
        + "[[classification]]\n"
        + 'name = "reply"\n'
        + "when = { pattern = '(?<=Re: )refund|(a+)+$' }\n"
        + 'then = { category = "billing", kind = "question" }\n'
    )
    result = runner.invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert (
        "$.classification[0].when.pattern: not a valid regular expression: invalid perl "
        "operator: (?<= (lookahead and lookbehind are not supported"
    ) in result.output


def test_errors_are_one_clear_line_and_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    missing = runner.invoke(cli, ["--db", db, "case", "show", "NOPE"])
    assert missing.exit_code == 2, "a --db that names no database is a usage error"
    assert "Invalid value for '--db': no database at" in missing.output
    assert not Path(db).exists(), "a read-only command must not create the database"
    runner.invoke(cli, ["--db", db, "demo", "--quiet"])
    result = runner.invoke(cli, ["--db", db, "case", "show", "NOPE"])
    assert result.exit_code == 1
    assert "Error: case 'NOPE' does not exist" in result.output
    odd = runner.invoke(cli, ["--db", db, "case", "show", "[/x]"])
    assert odd.exit_code == 1
    assert "'[/x]' is not a valid id" in odd.output


def test_user_text_is_never_markup(runner: CliRunner, tmp_path: Path) -> None:
    from serviceflow import ServiceDesk

    db = tmp_path / "d.db"
    with ServiceDesk.open(f"sqlite:///{db}", entry_points=False) as desk:
        case = desk.submit(requester="a/[b]@c.test", channel="web", subject="Broken [/] [bold]x")
        desk.note(case.id, by="agent:[red]kim", text="[/x] still")
    for args in (["cases"], ["case", "show", case.id], ["history", case.id]):
        result = runner.invoke(cli, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
        assert "[bold]x" in result.output or "[/x]" in result.output


def test_diagram(runner: CliRunner, tmp_path: Path) -> None:
    assert (
        runner.invoke(cli, ["diagram", "--format", "mermaid"]).output == lifecycle.mermaid() + "\n"
    )
    out = tmp_path / "l.md"
    assert runner.invoke(cli, ["diagram", "--output", str(out)]).exit_code == 0
    assert out.read_text() == lifecycle.markdown()


def test_odd_file_names_are_printed_as_text(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "a["
    folder.mkdir()
    db = str(folder / "b].db")  # the path reads 'a[/b].db': a closing markup tag
    result = runner.invoke(cli, ["--db", db, "demo", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "a[/b].db" in result.output
    out = str(folder / "l].md")
    assert runner.invoke(cli, ["diagram", "--output", out]).exit_code == 0


ROUTING_POLICY = """
[automation]
classify = true
trust_intake = true
prioritize = true
route = true

[[roles]]
name = "agent"
actors = ["agent:*"]

[[agents]]
id = "agent:ann"
skills = { billing = 3 }
capacity = { "*" = 1 }

[[queues]]
name = "billing"
when = { category = ["billing"] }

[[queues]]
name = "rest"
strategy = "manual"
"""


def test_route_queue_priority_and_audit(runner: CliRunner, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from serviceflow import NotAuthorized, ServiceDesk, load_policy

    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(ROUTING_POLICY)
    db = tmp_path / "desk.db"
    with ServiceDesk.open(f"sqlite:///{db}", policy=load_policy(policy_file)) as desk:
        intake: dict[str, Any] = {
            "channel": "email",
            "kind": "incident",
            "impact": "high",
            "urgency": "high",
        }
        first = desk.submit(requester="a/b@c.test", subject="one", category="billing", **intake)
        second = desk.submit(requester="a/b@c.test", subject="two", category="billing", **intake)
        desk.submit(requester="a/b@c.test", subject="odd", channel="web")
        with pytest.raises(NotAuthorized):
            desk.note(first.id, by="stranger", text="hi")
        assert desk.case(first.id).assignee == "agent:ann"
    base = ["--db", str(db), "--policy", str(policy_file)]
    waiting = runner.invoke(cli, [*base, "queue", "billing"])
    assert waiting.exit_code == 0, waiting.output
    assert second.id in waiting.output
    triage = runner.invoke(cli, [*base, "queue"])
    assert "odd" in triage.output
    routed = runner.invoke(cli, [*base, "route"])
    assert routed.exit_code == 0, routed.output
    assert "0 of 1 waiting cases routed" in routed.output
    assert "(waits)" in routed.output
    explained = runner.invoke(cli, [*base, "priority", first.id])
    assert "impact high × urgency high gives critical by the matrix" in explained.output
    refused = runner.invoke(cli, [*base, "audit", datetime.now(UTC).date().isoformat()])
    assert "stranger" in refused.output
    assert "authority" in refused.output
    bad = runner.invoke(cli, [*base, "audit", "yesterday"])
    assert bad.exit_code == 2
    assert "is not a date like 2026-03-02" in bad.output


ESCALATION_POLICY = """
[[agents]]
id = "agent:ann"
teams = ["front"]

[[agents]]
id = "agent:tom"
teams = ["tech"]

[[agents]]
id = "agent:max"
teams = ["mgmt"]

[[sla]]
name = "standard"
targets.first_response = { within = "1h", time = "calendar", warnings = [] }
targets.resolution = { within = "8h", time = "calendar", warnings = [] }

[escalation]
process_owner = "agent:olga"
max_bounces = 1
rules = [
    { on = "sla_breach", metric = "resolution", to = "next" },
    { on = "sla_breach", metric = "escalation_update", to = "next" },
]

[[escalation.tiers]]
name = "frontline"
level = 1
teams = ["front"]
acknowledge_within = "30m"
warnings = []

[[escalation.tiers]]
name = "technical"
level = 2
teams = ["tech"]
acknowledge_within = "30m"
update_every = "1h"
handoff_within = "8h"
warnings = []

[[escalation.tiers]]
name = "management"
level = 3
teams = ["mgmt"]
acknowledge_within = "1h"
warnings = []
"""


def test_audit_escalations(runner: CliRunner, tmp_path: Path) -> None:
    import json

    from serviceflow import ManualClock, ServiceDesk, load_policy

    from ..rules.escalation.test_audit import T0, play_day
    from ..rules.escalation.test_audit import policy as audit_policy

    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(ESCALATION_POLICY)
    policy = load_policy(policy_file)
    assert policy.version == audit_policy().version, "the same policy as the audit's tests"
    db = tmp_path / "desk.db"
    clock = ManualClock(T0)
    with ServiceDesk.open(
        f"sqlite:///{db}", policy=policy, clock=clock, entry_points=False
    ) as desk:
        ids = play_day(desk, clock)
    base = ["--db", str(db), "--policy", str(policy_file), "audit", "escalations"]
    window = ["--from", "2026-03-02T09:00:00+00:00", "--to", "2026-03-03T09:00Z"]
    shown = runner.invoke(cli, [*base, *window])
    assert shown.exit_code == 0, shown.output
    for title in (
        "Late acknowledgements",
        "Missed updates",
        "Without an owner",
        "Ping-pong",
        "Time held per tier",
        "Breaches per tier",
    ):
        assert title in shown.output
    assert "Escalation audit 2026-03-02 09:00 to 2026-03-03 09:00 UTC" in shown.output
    summary = dict(re.findall(r"│ ([a-z ,-]+?) +│ +(\d+) +│", shown.output.split("Summary")[-1]))
    assert summary == {
        "cases read": "7",
        "escalations": "7",
        "de-escalations": "2",
        "late acknowledgements": "2",
        "missed updates": "1",
        "without an owner": "1",
        "without an owner, overdue": "1",
        "ping-pong cases": "1",
        "flagged as ping-pong": "1",
        "breaches": "6",
    }
    assert "frontline → technical → frontline" in shown.output
    assert re.search(rf"{ids['C']}\s.*technical\s.*10m", shown.output)
    assert re.search(r"management\s.*1h 30m", shown.output)
    as_json = runner.invoke(cli, [*base, *window, "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["summary"]["escalations"] == 7
    assert data["unowned"][0]["case_id"] == ids["D"]
    whole_day = runner.invoke(cli, [*base, "--from", "2026-03-02", "--to", "2026-03-02", "--json"])
    assert json.loads(whole_day.output)["end"] == "2026-03-03T00:00:00.000000+00:00"
    bad = runner.invoke(cli, [*base, "--from", "monday"])
    assert bad.exit_code == 2
    assert "'monday' is not a date like 2026-03-02" in bad.output
    refusals = runner.invoke(cli, ["--db", str(db), "--policy", str(policy_file), "audit"])
    assert refusals.exit_code == 0, refusals.output
    assert "No refused commands today." in refusals.output, "the play day was 2026-03-02"
    extra = runner.invoke(cli, ["--db", str(db), "audit", "2026-03-02", "more"])
    assert extra.exit_code == 2
    assert "unexpected extra argument (more)" in extra.output
    helped = runner.invoke(cli, ["audit", "--help"])
    assert "[DAY] | escalations [OPTIONS]" in helped.output
    assert "escalations" in helped.output.split("Commands:")[1]


def _kpi_desk(tmp_path: Path) -> Path:
    """A SQLite desk with three cases on 2 March 2026: closed, resolved, in progress."""
    from datetime import timedelta

    from serviceflow import ManualClock, ServiceDesk

    from ..conftest import START, walk_to

    db = tmp_path / "desk.db"
    clock = ManualClock(START)
    with ServiceDesk.open(f"sqlite:///{db}", clock=clock, entry_points=False) as desk:
        walk_to(desk, "closed")
        clock.advance(timedelta(hours=1))
        walk_to(desk, "resolved", category="access")
        clock.advance(timedelta(hours=1))
        walk_to(desk, "in_progress")
    return db


def test_report_prints_kpi_tables_for_a_period(runner: CliRunner, tmp_path: Path) -> None:
    from datetime import datetime

    db = _kpi_desk(tmp_path)
    base = ["--db", str(db), "report", "--from", "2026-03-02", "--to", "2026-03-02"]
    shown = runner.invoke(cli, [*base, "--by", "category"])
    assert shown.exit_code == 0, shown.output
    assert "KPIs 2026-03-02 00:00 to 2026-03-03 00:00 UTC, by category" in shown.output
    assert "Cases 3 (3 submitted, 2 resolved)" in shown.output
    for title in ("Summary", "Time to respond and resolve", "SLA compliance", "By category"):
        assert title in shown.output
    assert re.search(r"first-contact resolution\s+│\s+0\s+│\s+2\s+│\s+0\.0%", shown.output)
    assert re.search(r"repeat issue\s+│\s+1\s+│\s+3\s+│\s+33\.3%", shown.output)
    assert re.search(r"│ access\s+│\s+1\s+│", shown.output)
    assert "Volume per day" not in shown.output, "the exports and the dashboard have it"
    nothing = runner.invoke(
        cli, ["--db", str(db), "report", "--from", "2025-01-01", "--to", "2025-01-31"]
    )
    assert nothing.exit_code == 0, nothing.output
    assert (
        "No case in 2025-01-01 – 2025-01-31; the 3 cases run from 2026-03-02 to 2026-03-02: "
        "try --from 2026-03-02 --to 2026-03-02" in nothing.output
    )
    recent = runner.invoke(cli, ["--db", str(db), "report"])
    since, until = re.findall(r"KPIs (\S+ \S+) to (\S+ \S+) UTC", recent.output)[0]
    days = datetime.fromisoformat(until) - datetime.fromisoformat(since)
    assert days.days == 30, "by default the last 30 days"
    assert "Cases 1 (0 submitted, 0 resolved)" in recent.output, "the open case is backlog"
    bad = runner.invoke(cli, [*base, "--by", "colour"])
    assert bad.exit_code == 2
    assert "Invalid value for '--by'" in bad.output
    backwards = runner.invoke(
        cli, ["--db", str(db), "report", "--from", "2026-03-03", "--to", "2026-03-01"]
    )
    assert backwards.exit_code == 2
    assert "Invalid value for '--from'" in backwards.output
    assert "is not before end" in backwards.output


def test_report_json_exports_and_dashboard(runner: CliRunner, tmp_path: Path) -> None:
    import csv
    import json

    db = _kpi_desk(tmp_path)
    base = ["--db", str(db), "report", "--from", "2026-03-02", "--to", "2026-03-02"]
    as_json = runner.invoke(
        cli, ["report", "--db", str(db), "--from", "2026-03-02", "--to", "2026-03-02", "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["overall"]["submitted"] == 3
    assert data["end"].startswith("2026-03-03T00:00:00")
    out, html = tmp_path / "out", tmp_path / "dash.html"
    both = runner.invoke(
        cli, [*base, "--by", "category", "--export", str(out), "--html", str(html), "--json"]
    )
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["by"] == "category", "stdout stays JSON"
    assert f"wrote {html}" in both.stderr
    assert "wrote 13 files to" in both.stderr, "11 tables as CSV, the report and tables as JSON"
    with (out / "slices.csv").open(encoding="utf-8", newline="") as f:
        slices = {row["category"]: row for row in csv.DictReader(f)}
    assert slices["billing"]["submitted"] == "2"
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["by"] == "category"
    page = html.read_text(encoding="utf-8")
    assert "SLA compliance by priority" in page, "a second report by priority feeds the charts"
    assert "<h3>By category</h3>" in page
    assert "<h3>By priority</h3>" in page
    assert "<script" not in page


def test_import_a_csv_log_then_again(runner: CliRunner, tmp_path: Path) -> None:
    import json

    mapping = tmp_path / "mine.toml"
    mapping.write_text(
        '[source]\nname = "mine"\ntimestamp = "%Y-%m-%d %H:%M"\n'
        '[columns]\ncase_id = "id"\nat = "time"\nstate = "status"\nrequester = "who"\n'
        'category = "cat"\npriority = "prio"\nassignee = "agent"\n'
        '[defaults]\nchannel = "email"\nkind = "incident"\n'
        '[values.state]\nNew = "intake"\nDone = "closed"\n'
        '[values.priority]\nP1 = "critical"\nP3 = "medium"\n',
        encoding="utf-8",
    )
    log = tmp_path / "log.csv"
    log.write_text(
        "id,time,status,who,cat,prio,agent\n"
        "A-1,2026-03-02 09:00,New,ann,billing,P3,kim\n"
        "A-1,2026-03-02 11:00,Done,ann,billing,P3,kim\n"
        "A-2,2026-03-02 09:30,New,bob,access,P7,\n"
        "A-1,2026-03-02 10:00,Done,ann,billing,P3,kim\n",
        encoding="utf-8",
    )
    db = tmp_path / "imported.db"
    base = ["--db", str(db), "import", str(log), "--mapping", str(mapping)]
    dry = runner.invoke(cli, [*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output
    assert not db.exists(), "a dry run creates no store"
    done = runner.invoke(cli, base)
    assert done.exit_code == 0, done.output
    assert re.search(r"cases created +│ +1 ", done.output)
    assert re.search(r"case\.closed +│ +1 ", done.output)
    assert re.search(r"prio +│ P7 +│ +1 │ 4 ", done.output), "the unknown value and its line"
    assert "the row is older than its case's last imported row" in done.output
    shown = runner.invoke(cli, ["--db", str(db), "case", "show", "A-1"])
    assert "closed" in shown.output
    again = runner.invoke(cli, ["import", str(log), "--mapping", str(mapping), "--db", str(db),
                                "--json", "--batch", "1"])  # fmt: skip
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert (report["cases_existing"], report["events"]) == (1, 0)
    assert report["skipped"] == {"case already in the store": 3, "unknown value": 1}
    wrong = runner.invoke(cli, [*base[:4], "--mapping", "servicenow"])
    assert wrong.exit_code == 1
    assert "$.columns.case_id: no column 'number' in the file" in wrong.output
    unknown = runner.invoke(cli, [*base[:4], "--mapping", "jira"])
    assert unknown.exit_code == 2, "an unknown mapping is a usage error"
    assert "Invalid value for '--mapping': no import mapping named 'jira'" in unknown.output


def _queued(db: Path, policy: Path) -> int:
    """Cases acknowledged a year ago in ``db`` (their SLA timers all due), messages pending."""
    from datetime import UTC, datetime

    from serviceflow import ManualClock, ServiceDesk, load_policy

    policy.write_text(
        '[[sla]]\nname = "all"\n[sla.targets.resolution]\nwithin = "1h"\ntime = "calendar"\n',
        encoding="utf-8",
    )
    clock = ManualClock(datetime(2025, 3, 2, 9, tzinfo=UTC))
    with ServiceDesk.open(
        f"sqlite:///{db}",
        policy=load_policy(policy),
        clock=clock,
        entry_points=False,
        deliver_at_once=False,
    ) as desk:
        for n in range(3):
            case = desk.submit(requester="acme/jane@acme.test", channel="email", subject=f"#{n}")
            desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
            desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
            desk.assign(case.id, to="agent:kim", by="lead:ana")
            desk.acknowledge(case.id, by="agent:kim", message="On it")
        return desk.outbox.counts()["pending"]


def test_worker_once_works_off_what_is_due_and_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    from serviceflow.backends.sqlite import SQLiteStore

    db, policy = tmp_path / "desk.db", tmp_path / "policy.toml"
    assert _queued(db, policy) == 3
    result = runner.invoke(
        cli, ["--policy", str(policy), "worker", "--db", str(db), "--once", "--batch", "2"]
    )
    assert result.exit_code == 0, result.output
    store = SQLiteStore(str(db))
    assert store.outbox_counts() == {"pending": 0, "delivered": 3, "failed": 0}
    assert store.due_timers("9999", 10) == [], "every SLA timer fired"
    fired = {"case.sla_warned", "case.sla_breached"}
    assert len([r for r in store.read(store.outbox()[0].case_id) if r.type in fired]) == 4


def test_worker_db_defaults_to_the_global_one(runner: CliRunner, tmp_path: Path) -> None:
    from serviceflow.backends.sqlite import SQLiteStore

    db, policy = tmp_path / "desk.db", tmp_path / "policy.toml"
    _queued(db, policy)
    result = runner.invoke(cli, ["--db", str(db), "--policy", str(policy), "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert SQLiteStore(str(db)).outbox_counts()["delivered"] == 3


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        (["--batch", "0"], "Invalid value for '--batch': 0 is not in the range x>=1"),
        (["--poll", "0"], "Invalid value for '--poll': 0.0 is not in the range x>0"),
        (["--lease", "-1"], "Invalid value for '--lease': -1.0 is not in the range x>0"),
    ],
)
def test_worker_options_are_checked(
    runner: CliRunner, tmp_path: Path, option: list[str], problem: str
) -> None:
    db = tmp_path / "desk.db"
    result = runner.invoke(cli, ["worker", "--db", str(db), "--once", *option])
    assert result.exit_code == 2
    assert problem in result.output
    assert not db.exists(), "nothing was opened"


def test_worker_on_an_unknown_store_is_one_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["worker", "--db", "nosuch://x", "--once"])
    assert result.exit_code == 2, "a store that cannot open is a usage error"
    assert "Invalid value for '--db'" in result.output
    assert "no installed plugin opens 'nosuch://x'" in result.output


def test_verify_checkpoint_prints_the_anchor_and_catches_a_cut_audit_day(
    runner: CliRunner, tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "d.db"
    runner.invoke(cli, ["--db", str(db), "demo", "--quiet"])
    written = runner.invoke(cli, ["--db", str(db), "verify", "--checkpoint"])
    assert written.exit_code == 0, written.output
    anchor = re.search(
        r"newest checkpoint \d+ at \S+ over \d+ streams: ([0-9a-f]{64})", written.output
    )
    assert anchor is not None, written.output
    again = runner.invoke(cli, ["--db", str(db), "verify", "--anchor", anchor.group(1)])
    assert again.exit_code == 0, again.output
    assert "14/14 streams verified" in again.output
    with sqlite3.connect(db) as conn:
        (stream, last) = conn.execute(
            "SELECT stream, MAX(seq) FROM events WHERE stream LIKE 'audit:%' GROUP BY stream"
        ).fetchone()
        conn.execute("DELETE FROM events WHERE stream = ? AND seq = ?", (stream, last))
    cut = runner.invoke(cli, ["--db", str(db), "verify"])
    assert cut.exit_code == 1
    assert f"FAIL {stream}" in cut.output
    assert "events deleted (truncated)" in cut.output


def test_verify_anchor_catches_a_replaced_newest_checkpoint(
    runner: CliRunner, tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "d.db"
    runner.invoke(cli, ["--db", str(db), "demo", "--quiet"])
    written = runner.invoke(cli, ["--db", str(db), "verify", "--checkpoint"])
    anchor = written.output.split()[-1]
    with sqlite3.connect(db) as conn:
        newest = conn.execute("SELECT MAX(seq) FROM checkpoints").fetchone()[0]
        conn.execute("DELETE FROM checkpoints WHERE seq = ?", (newest,))
        conn.execute("DELETE FROM checkpoint_heads WHERE checkpoint = ?", (newest,))
    rewritten = runner.invoke(cli, ["--db", str(db), "verify", "--checkpoint"])
    assert rewritten.exit_code == 0, "without the anchor a replaced checkpoint looks whole"
    caught = runner.invoke(cli, ["--db", str(db), "verify", "--anchor", anchor])
    assert caught.exit_code == 1
    assert "no stored checkpoint has this hash" in caught.output
    assert runner.invoke(cli, ["--db", str(db), "verify", "X", "--checkpoint"]).exit_code == 2


def test_report_without_a_service_level_shows_no_sla_rate_and_why(
    runner: CliRunner, tmp_path: Path
) -> None:
    import csv
    import json
    from datetime import timedelta

    from serviceflow import ManualClock, ServiceDesk, load_policy

    from ..conftest import START, walk_to

    policy = tmp_path / "no-sla.toml"
    policy.write_text("# no service level at all\n", encoding="utf-8")
    db = tmp_path / "desk.db"
    clock = ManualClock(START)
    with ServiceDesk.open(
        f"sqlite:///{db}", policy=load_policy(policy), clock=clock, entry_points=False
    ) as desk:
        for state in ("closed", "closed", "resolved"):
            walk_to(desk, state)
            clock.advance(timedelta(hours=1))
    base = ["--db", str(db), "--policy", str(policy), "report"]
    period = ["--from", "2026-03-02", "--to", "2026-03-02"]
    shown = runner.invoke(cli, [*base, *period])
    assert shown.exit_code == 0, shown.output
    assert "SLA compliance — (no service level applies)" in shown.output
    assert "100.0%" not in shown.output
    out = tmp_path / "out"
    as_json = runner.invoke(cli, [*base, *period, "--json", "--export", str(out)])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)["overall"]
    assert (data["sla"], data["sla_all"]["value"]) == ([], None)
    assert data["sla_all"]["reason"] == "no service level applies"
    with (out / "summary.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["kpi"]: row for row in csv.DictReader(f)}
    assert rows["SLA compliance (all clocks)"]["rate"] == ""
