"""The knowledge base's hook: a plugin may answer article searches (added by the manager)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from serviceflow.plugins.hookspecs import hookspec

if TYPE_CHECKING:
    from serviceflow.desk import ServiceDesk
    from serviceflow.knowledge._search import ArticleHit


@hookspec(firstresult=True)
def search_articles(
    desk: ServiceDesk, query: str, locale: str | None, limit: int
) -> Sequence[ArticleHit] | None:
    """Find live knowledge articles for ``query``, best first, or ``None`` to let others."""
