"""``serviceflow kb``: list, show, search, effectiveness, suggestions on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ManualClock, ServiceDesk
from serviceflow.cli._knowledge import kb
from serviceflow.cli._main import cli
from serviceflow.knowledge._service import Knowledge

from ..conftest import walk_to

cli.add_command(kb)  # as serviceflow.cli wires it


@pytest.fixture
def db(tmp_path: Path, clock: ManualClock) -> str:
    path = tmp_path / "kb.db"
    with ServiceDesk.open(f"sqlite:///{path}", clock=clock, entry_points=False) as desk:
        knowledge = Knowledge(desk)
        article = knowledge.draft(
            by="agent:kim", category="billing", title="Fix an invoice", body="Issue a credit note."
        )
        knowledge.edit(article.id, by="agent:kim", locale="fr", title="Facture", body="Avoir.")
        knowledge.submit_for_review(article.id, by="agent:kim")
        knowledge.approve(article.id, by="lead:ana")
        knowledge.link(article.id, walk_to(desk, "resolved"), by="agent:kim")
        knowledge.draft(by="agent:sam", category="access", title="VPN [draft]", body="Soon.")
        for _ in range(3):
            walk_to(desk, "resolved")
    return str(path)


def _run(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": "240"}).invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_and_show(db: str) -> None:
    listed = _run("--db", db, "kb", "list")
    assert "KB-1" in listed
    assert "published" in listed
    assert "VPN [draft]" in listed
    assert "KB-2" not in _run("--db", db, "kb", "list", "--state", "published")
    shown = _run("--db", db, "kb", "show", "KB-1")
    assert "Issue a credit note." in shown
    assert "en, fr" in shown
    assert "Avoir." in _run("--db", db, "kb", "show", "KB-1", "--locale", "fr")


def test_search(db: str) -> None:
    assert "Fix an invoice" in _run("--db", db, "kb", "search", "credit invoice")
    assert "No matching articles." in _run("--db", db, "kb", "search", "vpn")


def test_effectiveness_and_suggestions(db: str) -> None:
    shown = _run("--db", db, "kb", "effectiveness")
    assert "KB-1" in shown
    assert "100%" in shown
    [row, _] = json.loads(_run("--db", db, "kb", "effectiveness", "--json"))
    assert (row["article"], row["cases"], row["resolution_rate"]) == ("KB-1", 1, 1.0)
    suggested = _run("--db", db, "kb", "suggestions")
    assert "template" in suggested
    assert "Fixed" in suggested
    assert "No resolutions repeated at least 9 times" in _run(
        "--db", db, "kb", "suggestions", "--times", "9"
    )


def test_errors_are_one_clear_message(db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "kb", "show", "KB-9"])
    assert result.exit_code == 1
    assert "article 'KB-9' does not exist" in result.output
