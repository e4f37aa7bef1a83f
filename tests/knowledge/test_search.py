"""Search over live articles: ranked in memory, FTS5 on SQLite, and the plugin hook first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from serviceflow import ManualClock, ServiceDesk, hookimpl
from serviceflow.errors import ValidationError
from serviceflow.knowledge._search import ArticleHit, FtsIndex, ranked, words
from serviceflow.knowledge._service import Knowledge

REVIEWER = "lead:ana"


def _publish(kb: Knowledge, title: str, body: str, article_id: str | None = None) -> str:
    article = kb.draft(
        by="agent:kim", category="howto", title=title, body=body, article_id=article_id
    )
    kb.submit_for_review(article.id, by="agent:kim")
    kb.approve(article.id, by=REVIEWER)
    return article.id


def _library(kb: Knowledge) -> None:
    _publish(kb, "Reset a password", "Open settings, choose password, reset it.")
    _publish(kb, "VPN drops", "When the VPN drops, renew the certificate. The VPN then holds.")
    _publish(kb, "Printer jam", "Open the tray and remove the paper.")
    kb.draft(by="agent:kim", category="howto", title="VPN secrets", body="vpn vpn vpn vpn")


def test_search_ranks_live_articles_on_every_store(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    _library(kb)
    assert [h.article_id for h in kb.search("vpn")] == ["KB-2"], "drafts are not found"
    assert next(h.article_id for h in kb.search("open password")) == "KB-1"
    assert {h.article_id for h in kb.search("open")} == {"KB-1", "KB-3"}
    assert kb.search("nothing matches this") == []
    assert kb.search("  ") == []
    assert len(kb.search("open", limit=1)) == 1
    hit = kb.search("vpn")[0]
    assert (hit.version, hit.locale, hit.title) == (1, "en", "VPN drops")
    kb.retire("KB-2", by=REVIEWER, reason="new VPN")
    assert kb.search("vpn") == []


def test_search_follows_new_versions_and_locales(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _publish(kb, "Reset a password", "Settings, then password.")
    assert kb.search("reset")
    kb.edit(article_id, by="agent:sam", title="Change a passphrase", body="Use the portal.")
    kb.edit(article_id, by="agent:sam", locale="de", title="Passwort", body="Im Portal ändern.")
    assert [h.title for h in kb.search("reset")] == ["Reset a password"], "v1 stays live"
    kb.submit_for_review(article_id, by="agent:sam")
    kb.approve(article_id, by=REVIEWER)
    assert kb.search("reset") == []
    assert [(h.version, h.locale) for h in kb.search("passphrase portal")] == [(2, "en")]
    assert [h.locale for h in kb.search("passwort")] == ["de"]
    assert kb.search("passwort", locale="en") == []
    assert len(kb.search("portal")) == 1, "one row per article, in its best locale"


def test_bad_search_input_is_a_validation_error(desk: ServiceDesk) -> None:
    with pytest.raises(ValidationError, match="limit"):
        Knowledge(desk).search("x", limit=0)


def test_fts5_index_lives_in_the_store_file(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "kb.db"
    with ServiceDesk.open(f"sqlite:///{path}", clock=clock, entry_points=False) as desk:
        kb = Knowledge(desk)
        _library(kb)
        assert [h.article_id for h in kb.search("VPN")] == ["KB-2"]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT article_id, version FROM kb_search ORDER BY article_id")
        assert rows.fetchall() == [("KB-1", 1), ("KB-2", 1), ("KB-3", 1)]
    index = FtsIndex(str(path))
    try:
        with ServiceDesk.open(f"sqlite:///{path}", clock=clock, entry_points=False) as desk:
            from serviceflow.knowledge._search import _with_versions

            assert index.sync(_with_versions(desk)) == 0, "in step: nothing to index again"
        hits = index.search("remove paper tray")
        assert [h.article_id for h in hits] == ["KB-3"]
        assert hits[0].score > 0
        assert index.search('"; DROP TABLE kb_search; --') == []
    finally:
        index.close()


def test_ranked_is_pure_and_breaks_ties_by_id(clock: ManualClock) -> None:
    with ServiceDesk.open("memory://", clock=clock, entry_points=False) as desk:
        kb = Knowledge(desk)
        _publish(kb, "Two", "alpha", article_id="b")
        _publish(kb, "One", "alpha", article_id="a")
        _publish(kb, "Alpha", "beta", article_id="c")
        articles = list(kb.all())
    hits = ranked(articles, "alpha")
    assert [h.article_id for h in hits] == ["c", "a", "b"], "title counts twice, then id"
    assert ranked(articles, "alpha", limit=2) == hits[:2]
    assert words("Don't  STOP_now") == ["don", "t", "stop", "now"]


def test_a_plugin_answers_first(clock: ManualClock) -> None:
    class Outside:
        @hookimpl
        def search_articles(
            self, desk: ServiceDesk, query: str, locale: str | None, limit: int
        ) -> list[ArticleHit] | None:
            if query != "elsewhere":
                return None
            return [ArticleHit("EXT-1", 3, "en", "From the wiki", 1.0)]

    with ServiceDesk.open(
        "memory://", clock=clock, plugins=[Outside()], entry_points=False
    ) as desk:
        kb = Knowledge(desk)
        _publish(kb, "Local", "elsewhere and here")
        assert [h.article_id for h in kb.search("elsewhere")] == ["EXT-1"]
        assert [h.article_id for h in kb.search("here")] == ["KB-1"], "None lets the built-in"


def test_words_are_lower_case_without_diacritics_and_keep_sharp_s() -> None:
    assert words("Straße CAFÉ cafe\u0301 Crème ﬁx ẞ") == [
        "straße",
        "cafe",
        "cafe",
        "creme",
        "fix",
        "ß",
    ]


QUERIES = [
    "Straße",
    "straße",
    "STRASSE",
    "strasse",
    "café",
    "cafe",
    "CAFÉ",
    "cafe\u0301",
    "crème brûlée",
    "creme",
    "ß",
    "naïve",
    "NAIVE",
]


def _accented(kb: Knowledge) -> None:
    _publish(kb, "Straße gesperrt", "Die Straße ist zu.")
    _publish(kb, "Café au lait", "Un café, s'il vous plaît.")
    _publish(kb, "CAFE PRICES", "The cafe\u0301 raised its prices; crème brûlée too.")
    _publish(kb, "Strasse", "Written without the sharp s, naive.")
    _publish(kb, "Naïve Bayes", "A NAÏVE model.")


def test_memory_and_sqlite_find_the_same_articles(tmp_path: Path, clock: ManualClock) -> None:
    found: dict[str, dict[str, set[str]]] = {}
    for url in ("memory://", f"sqlite:///{tmp_path / 'kb.db'}"):
        with ServiceDesk.open(url, clock=clock, entry_points=False) as desk:
            kb = Knowledge(desk)
            _accented(kb)
            found[url] = {q: {h.article_id for h in kb.search(q)} for q in QUERIES}
    memory, sqlite = found.values()
    assert memory == sqlite
    assert memory["Straße"] == memory["straße"] == {"KB-1"}, "ß is not ss"
    assert memory["STRASSE"] == memory["strasse"] == {"KB-4"}
    assert memory["café"] == memory["cafe"] == memory["CAFÉ"] == {"KB-2", "KB-3"}
    assert memory["cafe\u0301"] == memory["cafe"], "decomposed is composed"
    assert memory["creme"] == memory["crème brûlée"] == {"KB-3"}
    assert memory["NAIVE"] == memory["naïve"] == {"KB-4", "KB-5"}


def test_an_index_of_an_older_layout_is_built_again(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "kb.db"
    with ServiceDesk.open(f"sqlite:///{path}", clock=clock, entry_points=False) as desk:
        kb = Knowledge(desk)
        article_id = _publish(kb, "Café au lait", "Un café.")
        with sqlite3.connect(path) as db:  # the old layout, claiming to be in step
            db.executescript(
                """
                CREATE VIRTUAL TABLE kb_search USING fts5(
                    article_id UNINDEXED, locale UNINDEXED, version UNINDEXED, title, body,
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                CREATE TABLE kb_search_synced (
                    article_id TEXT PRIMARY KEY, stream_version INTEGER NOT NULL
                );
                INSERT INTO kb_search_synced VALUES ('KB-1', 3);
                """
            )
        hits = kb.search("CAFE")
        assert [(h.article_id, h.title) for h in hits] == [(article_id, "Café au lait")]
    with sqlite3.connect(path) as db:
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'kb_search'").fetchone()
        assert "shown_title" in sql
