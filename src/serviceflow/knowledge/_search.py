"""Search over the published text of live articles: a built-in plugin of ``search_articles``.

Both backends see the same words (``words``): letters and digits, lower-cased, with
diacritics removed (Unicode NFKD without its combining marks: "Café" is "cafe", "Straße"
is "straße", not "strasse"). So a query finds the same articles on either; only the
ranking differs.

- Any store: a ranked search in memory. Each locale variant's score is the frequency of
  the query's words in its title (counted twice) and body; ties go by article id, then
  locale, so results are deterministic.
- A desk on a SQLite store: an FTS5 index (``kb_search``) in the same database file,
  through a connection of its own, ranked by bm25 (title weighs 5, body 1). It indexes
  the text already split into ``words`` with FTS5's ``ascii`` tokenizer, which keeps
  each of them whole, so SQLite folds nothing of its own. Before each search it is
  brought in step with the article streams: an article whose stream version differs from
  the one indexed is indexed again (its published text, or nothing once retired). An
  index of an older layout is dropped and built again.

Either way an article appears once, in its best-matching locale, or only in ``locale``
when one is asked for. Plugins that implement ``search_articles`` answer first.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from attrs import frozen

from serviceflow.desk._aggregate import Streams
from serviceflow.errors import ValidationError
from serviceflow.knowledge._article import Article
from serviceflow.knowledge._evolve import ARTICLES
from serviceflow.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

__all__ = [
    "ArticleHit",
    "FtsIndex",
    "normalise",
    "ranked",
    "search",
    "search_articles",
    "words",
]

_WORD = re.compile(r"[^\W_]+")
_TITLE_WEIGHT = 2


@frozen
class ArticleHit:
    """One search result: the article, its published version, the locale that matched."""

    article_id: str
    version: int
    locale: str
    title: str
    score: float
    """Higher is better; comparable only within one search."""


def normalise(text: str) -> str:
    """``text`` lower-cased and without diacritics: NFKD, combining marks dropped. Unlike
    ``casefold`` it keeps "ß" (a word of its own, not "ss")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (letters and digits), in order, repeats kept:
    what both the in-memory and the SQLite search match."""
    return _WORD.findall(normalise(text))


def ranked(
    articles: Iterable[Article], query: str, *, locale: str | None = None, limit: int = 10
) -> list[ArticleHit]:
    """The live articles matching ``query``, best first, by term frequency; pure."""
    wanted = set(words(query))
    if not wanted:
        return []
    best: dict[str, ArticleHit] = {}
    for article in articles:
        if not article.live or article.published is None:
            continue
        for loc, text in sorted(article.published.texts.items()):
            if locale is not None and loc != locale:
                continue
            title, body = Counter(words(text.title)), Counter(words(text.body))
            score = sum(_TITLE_WEIGHT * title[w] + body[w] for w in wanted)
            if score and (article.id not in best or score > best[article.id].score):
                best[article.id] = ArticleHit(article.id, article.version, loc, text.title, score)
    hits = sorted(best.values(), key=lambda h: (-h.score, h.article_id, h.locale))
    return hits[:limit]


_FTS_TABLE = """CREATE VIRTUAL TABLE kb_search USING fts5(
    article_id UNINDEXED, locale UNINDEXED, version UNINDEXED, shown_title UNINDEXED,
    title, body, tokenize = 'ascii'
)"""
"""The index: ``title`` and ``body`` hold the text's ``words`` joined by spaces, and
``shown_title`` the title as written."""
_SYNCED_TABLE = """CREATE TABLE kb_search_synced (
    article_id TEXT PRIMARY KEY, stream_version INTEGER NOT NULL
)"""


def _indexed(text: str) -> str:
    return " ".join(words(text))


class FtsIndex:
    """The FTS5 index of a SQLite store's live articles, in the store's own file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA busy_timeout = 30000")
        try:
            self._create()
        except BaseException:
            self._db.close()
            raise

    def _layout(self) -> str | None:
        found = self._db.execute("SELECT sql FROM sqlite_master WHERE name = 'kb_search'")
        row = found.fetchone()
        return None if row is None else str(row[0])

    def _create(self) -> None:
        """Create the tables, or build them again if they are of an older layout."""
        if self._layout() == _FTS_TABLE:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._layout() != _FTS_TABLE:  # another connection may have just built it
                self._db.execute("DROP TABLE IF EXISTS kb_search")
                self._db.execute("DROP TABLE IF EXISTS kb_search_synced")
                self._db.execute(_FTS_TABLE)
                self._db.execute(_SYNCED_TABLE)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the index's connection."""
        self._db.close()

    def sync(self, articles: Iterator[tuple[Article, int]]) -> int:
        """Index again every article whose stream version changed; how many were."""
        synced = dict(self._db.execute("SELECT article_id, stream_version FROM kb_search_synced"))
        changed = [(a, v) for a, v in articles if synced.get(a.id) != v]
        if not changed:
            return 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for article, version in changed:
                self._db.execute("DELETE FROM kb_search WHERE article_id = ?", (article.id,))
                if article.live and article.published is not None:
                    self._db.executemany(
                        "INSERT INTO kb_search "
                        "(article_id, locale, version, shown_title, title, body) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            (
                                article.id,
                                loc,
                                article.version,
                                text.title,
                                _indexed(text.title),
                                _indexed(text.body),
                            )
                            for loc, text in article.published.texts.items()
                        ],
                    )
                self._db.execute(
                    "INSERT OR REPLACE INTO kb_search_synced VALUES (?, ?)", (article.id, version)
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return len(changed)

    def search(self, query: str, *, locale: str | None = None, limit: int = 10) -> list[ArticleHit]:
        """The best ``limit`` articles for ``query`` by bm25, one row per article."""
        terms = sorted(set(words(query)))
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where = "kb_search MATCH ?" + (" AND locale = ?" if locale is not None else "")
        params: list[object] = [match] + ([locale] if locale is not None else []) + [limit]
        rows = self._db.execute(
            f"""
            SELECT article_id, version, locale, shown_title, rank FROM (
                SELECT article_id, version, locale, shown_title, rank,
                       row_number() OVER (PARTITION BY article_id ORDER BY rank, locale) AS n
                FROM (SELECT article_id, version, locale, shown_title,
                             bm25(kb_search, 0, 0, 0, 0, 5.0, 1.0) AS rank
                      FROM kb_search WHERE {where})
            ) WHERE n = 1 ORDER BY rank, article_id LIMIT ?
            """,
            params,
        ).fetchall()
        return [ArticleHit(str(a), int(v), str(loc), str(t), -float(r)) for a, v, loc, t, r in rows]


def _sqlite_path(desk: ServiceDesk) -> str | None:
    store = desk.store
    path = getattr(store, "path", None)
    url = getattr(store, "url", "")
    if isinstance(path, str) and path != ":memory:" and str(url).startswith("sqlite:"):
        return path
    return None


def _with_versions(desk: ServiceDesk) -> Iterator[tuple[Article, int]]:
    for stored in Streams(desk.store, ARTICLES).all():
        yield stored.state, stored.version


@hookimpl
def search_articles(
    desk: ServiceDesk, query: str, locale: str | None, limit: int
) -> list[ArticleHit] | None:
    """The built-in search: FTS5 on a SQLite store, the ranked search on any other."""
    path = _sqlite_path(desk)
    if path is None:
        return ranked(
            (s.state for s in Streams(desk.store, ARTICLES).all()),
            query,
            locale=locale,
            limit=limit,
        )
    index = FtsIndex(path)
    try:
        index.sync(_with_versions(desk))
        return index.search(query, locale=locale, limit=limit)
    finally:
        index.close()


def search(
    desk: ServiceDesk, query: str, *, locale: str | None = None, limit: int = 10
) -> list[ArticleHit]:
    """Search the desk's live articles through the ``search_articles`` hook (the first
    plugin that answers wins; without one, the built-in search of this module)."""
    if not isinstance(query, str):
        raise ValidationError("invalid search", [f"query: expected text, got {query!r:.60}"])
    if not isinstance(limit, int) or limit < 1:
        raise ValidationError(
            "invalid search", [f"limit: expected a positive number, got {limit!r}"]
        )
    hook = getattr(desk.plugins.hook, "search_articles", None)
    found = hook(desk=desk, query=query, locale=locale, limit=limit) if hook is not None else None
    if found is None:
        found = search_articles(desk=desk, query=query, locale=locale, limit=limit)
    return list(found or [])[:limit]
