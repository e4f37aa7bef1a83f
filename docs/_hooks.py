"""MkDocs hooks (mkdocs.yml ``hooks``): the README is the home page, and links leave no page.

* ``docs/index.md`` is a placeholder: its markdown is replaced by ``README.md``, so the
  site's home page is the README, word for word.
* A relative link that leaves ``docs/`` (the README's ``CHANGELOG.md``, a page's
  ``../plugins/README.md#hooks``) points at that file in the repository on GitHub; the
  README's ``docs/x.md`` links point at the page ``x.md``. MkDocs then checks every link
  and anchor that stays on the site (``validation`` in mkdocs.yml, strict).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\((?P<target>[^)\s#]*)(?P<anchor>#[^)\s]*)?\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Give the home page the README's text; send links out of ``docs/`` to the repository."""
    source = page.file.src_uri
    if source == "index.md":
        markdown = (ROOT / "README.md").read_text(encoding="utf-8")
        folder = ""  # the README's links are relative to the repository's root
    else:
        folder = posixpath.join("docs", posixpath.dirname(source))
    blob = config["repo_url"].rstrip("/") + "/blob/main/"

    def rewrite(match: re.Match[str]) -> str:
        target, anchor = match["target"], match["anchor"] or ""
        if not target or EXTERNAL.match(target) or target.startswith("/"):
            return match.group(0)
        path = posixpath.normpath(posixpath.join(folder, target))
        if path.startswith("docs/"):
            page_dir = posixpath.join("docs", posixpath.dirname(source))
            return f"]({posixpath.relpath(path, page_dir)}{anchor})"
        return f"]({blob}{path}{anchor})"

    return LINK.sub(rewrite, markdown)
