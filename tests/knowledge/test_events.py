"""Article events are registered: they encode, decode and fold like case events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from serviceflow.domain._events import EVENT_TYPES, Event
from serviceflow.domain._serialization import decode_event, decode_stored, encode_event
from serviceflow.knowledge._events import (
    ArticleApproved,
    ArticleDrafted,
    ArticleEdited,
    ArticleRejected,
    ArticleRetired,
    ArticleSubmitted,
    ArticleUsed,
    FeedbackGiven,
    ReviewDue,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE: dict[str, Any] = {"at": T0, "by": "agent:kim", "policy": "p"}

EXAMPLES: list[Event] = [
    ArticleDrafted(
        article_id="KB-1",
        owner="agent:kim",
        category="billing",
        locale="en",
        title="T",
        body="B",
        review_every=86_400,
        **BASE,
    ),
    ArticleEdited(locale="fr", title="T", body="B", **BASE),
    ArticleSubmitted(**BASE),
    ArticleApproved(version=2, note="ok", **BASE),
    ArticleRejected(reason="vague", **BASE),
    ReviewDue(**BASE),
    ArticleRetired(reason="old", **BASE),
    ArticleUsed(case_id="C-1", version=1, reopens=1, **BASE),
    FeedbackGiven(helpful=False, version=1, comment="meh", case_id=None, **BASE),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.TYPE)
def test_every_article_event_round_trips(event: Event) -> None:
    assert EVENT_TYPES[event.TYPE] is type(event)
    assert event.TYPE.startswith("article.")
    assert event.TRIGGER
    text = encode_event(event)
    assert decode_event(text) == event
    assert decode_stored(text) == event
