"""``serviceflow kb``: list, show and search knowledge articles; effectiveness; suggestions.

A click group that ``serviceflow.cli`` adds to the ``serviceflow`` command. It opens the
desk with the root command's ``--db`` and ``--policy`` and prints with the same tables
(``_tables``).
"""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option, jsonable
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing, plain
from serviceflow.knowledge._article import Article
from serviceflow.knowledge._service import Knowledge

__all__ = ["kb"]


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _summary(article: Article) -> dict[str, Any]:
    """An article as ``kb list --json`` lists it (``kb show --json``: every field)."""
    return {
        "id": article.id,
        "state": article.state,
        "version": article.version,
        "category": article.category,
        "owner": article.owner,
        "title": article.title,
        "default_locale": article.default_locale,
        "updated_at": article.updated_at,
        "review_due_at": article.review_due_at,
    }


@click.group()
def kb() -> None:
    """The knowledge base: articles, search, effectiveness, what to write next."""


@kb.command("list")
@click.option("--state", "states", multiple=True, help="Only articles in these states.")
@json_option("the articles")
@click.pass_context
def list_articles(ctx: click.Context, states: tuple[str, ...], as_json: bool) -> None:
    """List articles by id."""

    with open_desk(ctx) as desk:
        if as_json:
            articles = Knowledge(desk).all()
            emit([_summary(a) for a in articles if not states or a.state in states])
            return
        listing = Listing(
            "id", "state", Col("version", "right"), "category", "owner", "title", things="articles"
        )
        for article in Knowledge(desk).all():
            if states and article.state not in states:
                continue
            listing.add_row(
                article.id,
                article.state,
                article.version,
                article.category,
                article.owner,
                article.title,
            )
    listing.print()


@kb.command("show")
@click.argument("article_id")
@click.option("--locale", help="The locale to show (default: the article's).")
@json_option("the article (every locale's text)")
@click.pass_context
def show(ctx: click.Context, article_id: str, locale: str | None, as_json: bool) -> None:
    """Show an article: its facts and its published text (or its draft)."""

    with open_desk(ctx) as desk:
        article = Knowledge(desk).get(article_id)
    revision = article.published or article.draft
    if as_json:
        if locale is not None and (revision is None or locale not in revision.texts):
            raise click.ClickException(f"article {article.id} has no text in locale {locale!r}")
        emit(
            {
                **jsonable(article),
                "version": article.version,
                "title": article.title,
                "review_due_at": article.review_due_at,
            }
        )
        return
    facts = Listing("field", "value", show_header=False, title=f"Article {article.id}")
    due = article.review_due_at
    for name, value in (
        ("state", article.state),
        ("version", article.version),
        ("owner", article.owner),
        ("category", article.category),
        ("locales", plain(sorted(revision.texts) if revision else None)),
        ("review due", plain(due)),
        ("used in cases", len(article.uses)),
        ("feedback", f"{article.helpful} helpful, {article.not_helpful} not"),
    ):
        facts.add_row(name, value)
    facts.print()
    shown = locale or article.default_locale
    text = revision.texts.get(shown) if revision else None
    if text is None:
        raise click.ClickException(f"article {article.id} has no text in locale {shown!r}")
    label = "published" if article.published else "draft"
    console.print(f"\n[bold]{escape(text.title)}[/] [dim]({label}, {shown})[/]\n")
    console.print(escape(text.body))


@kb.command("search")
@click.argument("query")
@click.option("--locale", help="Search only this locale's texts.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True)
@json_option("the matching articles")
@click.pass_context
def search(ctx: click.Context, query: str, locale: str | None, limit: int, as_json: bool) -> None:
    """Search published articles, best first."""

    with open_desk(ctx) as desk:
        hits = Knowledge(desk).search(query, locale=locale, limit=limit)
    if as_json:
        emit(hits)
        return
    found = Listing(
        "id",
        Col("version", "right"),
        "locale",
        Col("score", "right"),
        "title",
        things="matching articles",
    )
    for hit in hits:
        found.add_row(hit.article_id, hit.version, hit.locale, f"{hit.score:.2f}", hit.title)
    found.print()


@kb.command("effectiveness")
@json_option("the report")
@click.pass_context
def effectiveness(ctx: click.Context, as_json: bool) -> None:
    """How well each article helps: linked cases, resolution and reopen rates, feedback."""

    with open_desk(ctx) as desk:
        reports = Knowledge(desk).effectiveness()
    if as_json:
        rows = [
            {
                "article": r.article_id,
                "state": r.state,
                "cases": r.cases,
                "resolution_rate": r.resolution_rate,
                "reopen_rate": r.reopen_rate,
                "helpful": r.helpful,
                "not_helpful": r.not_helpful,
                "flags": list(r.flags),
                "title": r.title,
                "version": r.version,
                "resolved": r.resolved,
                "reopened": r.reopened,
                "helpful_rate": r.helpful_rate,
                "last_used": r.last_used,
            }
            for r in reports
        ]
        emit(rows)
        return
    shown = Listing(
        "id",
        "state",
        Col("cases", "right"),
        Col("resolved", "right"),
        Col("reopened", "right"),
        "feedback",
        "flags",
        things="articles",
    )
    for r in reports:
        shown.add_row(
            r.article_id,
            r.state,
            r.cases,
            _rate(r.resolution_rate),
            _rate(r.reopen_rate),
            f"{r.helpful}+ / {r.not_helpful}-",
            ", ".join(r.flags) or "-",
        )
    shown.print()


@kb.command("suggestions")
@click.option(
    "--times", type=click.IntRange(min=2), default=3, show_default=True, help="How many repeats."
)
@json_option("the suggestions")
@click.pass_context
def suggestions(ctx: click.Context, times: int, as_json: bool) -> None:
    """Resolutions that keep coming back without an article: write them down."""

    with open_desk(ctx) as desk:
        found = Knowledge(desk).suggestions(times=times)
    if as_json:
        emit(found)
        return
    shown = Listing(
        "write",
        "category",
        "cases",
        "terms",
        "resolution",
        things=f"resolutions repeated at least {times} times without an article",
    )
    for s in found:
        terms = " ".join(s.terms)
        shown.add_row(s.kind, s.category or "-", ", ".join(s.cases), terms, s.resolution)
    shown.print()
