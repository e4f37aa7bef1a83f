"""One identity rule everywhere: invisible characters are refused, case and width variants
of an actor are that actor (four eyes, self-review, roles, client ownership, knowledge)."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import (
    GuardrailViolation,
    ManualClock,
    NotAuthorized,
    PolicyError,
    ServiceDesk,
    ValidationError,
    load_policy,
)
from serviceflow.core._identity import canonical_actor, identity_problems, invisible, same_actor
from serviceflow.domain import _commands as cmd
from serviceflow.improvement import _decide as improvement
from serviceflow.knowledge import _decide as article
from serviceflow.knowledge._service import Knowledge
from serviceflow.problems import _decide as problems
from serviceflow.rules._authority import client_owns, role_of

from ..conftest import walk_to

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = {
    "roles": [
        {"name": "lead", "actors": ["lead:*"]},
        {"name": "billing", "actors": ["agent:bill"], "categories": ["billing"]},
        {"name": "agent", "actors": ["Agent:*", "qa:*"]},
    ],
    "guardrails": [{"name": "four eyes", "commands": ["validate"], "require": ["four_eyes"]}],
    "quality": {
        "rubrics": [
            {
                "name": "email",
                "criteria": [{"name": "accurate", "weight": 1, "kind": "compliance", "max": 5}],
            }
        ]
    },
}
KIM = ("agent:KIM", "Agent:Kim", "ＡＧＥＮＴ:ｋｉｍ", "agent:ｋｉｍ", "  agent:kim ")
"""Spellings of ``agent:kim`` that are ``agent:kim``."""
_WIDE = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
"""ASCII to its full-width form."""

_INVISIBLE = st.one_of(
    st.sampled_from(
        ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u3164", "\ufe0f", "\u00a0"]
    ),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]),
)
_VISIBLE = st.text(string.ascii_letters + string.digits + "@._-/", min_size=1, max_size=12)


@st.composite
def hidden(draw: st.DrawFn) -> str:
    """A plausible identity with at least one invisible character somewhere in it."""
    name = "agent:" + draw(_VISIBLE)
    at = draw(st.integers(0, len(name)))
    return name[:at] + draw(_INVISIBLE) + name[at:]


def desk(clock: ManualClock) -> ServiceDesk:
    return ServiceDesk.open(
        "memory://", policy=load_policy(POLICY), clock=clock, entry_points=False
    )


def test_the_canonical_form_is_nfkc_case_folded_and_stripped() -> None:
    assert {canonical_actor(k) for k in KIM} == {"agent:kim"}
    assert canonical_actor("Client:ACME/Jane@Acme.TEST") == "client:acme/jane@acme.test"
    assert canonical_actor("agent:Straße") == "agent:strasse"
    assert not same_actor("agent:kim", "agent:kim2")
    assert not same_actor(None, None)


def test_an_invisible_character_is_named_with_its_field() -> None:
    assert identity_problems("by", "agent:kim\u200b") == [
        "by: 'agent:kim\\u200b' contains an invisible character U+200B ZERO WIDTH SPACE; "
        "name the actor in visible text"
    ]
    assert identity_problems("by", "agent:kim lee") == []
    assert identity_problems("by", "agent:Kïm") == []


@settings(max_examples=200)
@given(hidden(), st.sampled_from(["by", "requester", "to", "agent"]))
def test_every_identity_with_an_invisible_character_is_refused(text: str, field: str) -> None:
    command: cmd.Command = {
        "by": cmd.AddNote(case_id="C1", by=text, text="t"),
        "requester": cmd.Submit(case_id="C1", by="", requester=text, channel="web", subject="s"),
        "to": cmd.Assign(case_id="C1", by="lead:ana", to=text),
        "agent": cmd.ReviewQuality(
            case_id="C1", by="qa:lee", rubric="email", scores={}, agent=text
        ),
    }[field]
    problems_found = cmd.shape_problems(command)
    assert any(p.startswith(f"{field}: ") for p in problems_found), problems_found


@settings(max_examples=50)
@given(hidden())
def test_knowledge_problems_and_improvement_refuse_them_too(text: str) -> None:
    with pytest.raises(ValidationError, match="by: "):
        article.decide(
            None,
            article.Draft(article_id="KB-1", by=text, category="billing", title="t", body="b"),
            T0,
            "p",
        )
    with pytest.raises(ValidationError, match="owner: "):
        article.decide(
            None,
            article.Draft(
                article_id="KB-1",
                by="agent:kim",
                owner=text,
                category="billing",
                title="t",
                body="b",
            ),
            T0,
            "p",
        )
    define = problems.Define(problem_id="PRB-1", title="t", statement="s", by=text)
    with pytest.raises(ValidationError, match="by: "):
        problems.decide(None, define, now=T0, policy="p")
    with pytest.raises(ValidationError, match="by: "):
        improvement.decide(None, improvement.Cancel(by=text, reason="r"), now=T0, policy="p")


def test_the_desk_refuses_them_before_anything_is_stored(clock: ManualClock) -> None:
    desk_ = desk(clock)
    case_id = walk_to(desk_, "assigned")
    before = desk_.history(case_id)
    with pytest.raises(ValidationError, match=r"by: 'agent:kim\\u200b' contains an invisible"):
        desk_.note(case_id, by="agent:kim\u200b", text="hidden")
    with pytest.raises(ValidationError, match=r"requester: .* U\+202E RIGHT-TO-LEFT OVERRIDE"):
        desk_.submit(requester="acme/jane\u202e@acme.test", channel="web", subject="s")
    assert desk_.history(case_id) == before
    assert desk_.count() == 1


@pytest.mark.parametrize("variant", KIM)
def test_four_eyes_and_self_review_see_through_variants(clock: ManualClock, variant: str) -> None:
    desk_ = desk(clock)
    case_id = walk_to(desk_, "resolved")  # resolved by agent:kim
    with pytest.raises(GuardrailViolation, match="resolved the case and may not also pass it"):
        desk_.validate(case_id, by=variant)
    with pytest.raises(NotAuthorized, match="review their own handling"):
        desk_.review_quality(case_id, by=variant, rubric="email", scores={"accurate": 5})
    assert desk_.validate(case_id, by="qa:lee").state == "validated"
    assigned = walk_to(desk_, "assigned")  # to agent:kim
    with pytest.raises(ValidationError, match="already assigned"):
        desk_.assign(assigned, to=variant, by="lead:ana")


@given(
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=16, max_size=16),
    st.booleans(),
)
def test_case_and_width_variants_hold_the_same_role(
    name: str, upper: list[bool], wide: bool
) -> None:
    roles = load_policy(POLICY).roles
    plain = f"agent:{name}"
    variant = "".join(c.upper() if upper[i % len(upper)] else c for i, c in enumerate(plain))
    if wide:
        variant = variant.translate(_WIDE)
    assert same_actor(plain, variant)
    assert role_of(variant, roles) == role_of(plain, roles)
    assert role_of("AGENT:BILL", roles) == role_of("agent:bill", roles) == roles[1]
    group = f"acme/{name}@acme.test"
    assert client_owns(f"client:{group}", group.upper())
    assert client_owns(f"client:{group}".translate(_WIDE), group)


def test_client_ownership_is_compared_canonically(clock: ManualClock) -> None:
    desk_ = desk(clock)
    case_id = walk_to(desk_, "waiting_on_client")  # requester acme/jane@acme.test
    got = desk_.client_replied(case_id, message="ok", by="client:ACME/Jane@ＡＣＭＥ.test")
    assert got.state == "in_progress"
    with pytest.raises(NotAuthorized, match="needs to be its requester"):
        desk_.cancel(case_id, by="client:acme/jane@acme.tes", reason="r")


@pytest.mark.parametrize("variant", KIM)
def test_an_author_cannot_approve_under_another_spelling(clock: ManualClock, variant: str) -> None:
    kb = Knowledge(desk(clock))
    drafted = kb.draft(by="agent:kim", category="billing", title="Refunds", body="How to.")
    kb.edit(drafted.id, by=variant, title="Refunds", body="How to, again.")
    assert kb.get(drafted.id).draft.authors == ("agent:kim",)  # type: ignore[union-attr]
    kb.submit_for_review(drafted.id, by="agent:kim")
    with pytest.raises(NotAuthorized, match="a reviewer who wrote none of it"):
        kb.approve(drafted.id, by=variant)
    assert kb.approve(drafted.id, by="lead:ana").state == "published"


def test_invisible_is_what_shows_as_nothing() -> None:
    assert all(invisible(c) for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164\x07\u2028")
    assert not any(invisible(c) for c in "aZ9 @/:éß漢")


def test_a_role_pattern_with_an_invisible_character_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"\$\.roles\[0\]\.actors: 'agent:\\u200bkim'"):
        load_policy({"roles": [{"name": "a", "actors": ["agent:\u200bkim"]}]})
