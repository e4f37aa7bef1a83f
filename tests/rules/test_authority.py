"""Roles decide who may run which command on which topics; refusals say what would do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import (
    ManualClock,
    NotAuthorized,
    NotFound,
    PolicyError,
    ServiceDesk,
    ServiceflowError,
    load_policy,
)
from serviceflow.domain._commands import (
    AddNote,
    Assign,
    Classify,
    ClientReply,
    Escalate,
    Reply,
    Resolve,
)
from serviceflow.rules._authority import Role, authorize, client_owns, role_of

from ..conftest import walk_to

ROLES = {
    "canned": {"greeting": "Thank you, we are looking into it.", "pass_up": "Passed to a lead."},
    "roles": [
        {"name": "lead", "actors": ["lead:*"]},
        {"name": "billing", "actors": ["agent:bill"], "categories": ["billing"]},
        {
            "name": "responder",
            "actors": ["responder:*"],
            "may": ["acknowledge", "reply", "note", "assign"],
            "canned_only": True,
        },
        {"name": "agent", "actors": ["agent:*", "qa:*"]},
    ],
}


def governed(clock: ManualClock, url: str = "memory://") -> ServiceDesk:
    return ServiceDesk.open(url, policy=load_policy(ROLES), clock=clock, entry_points=False)


def test_the_first_role_covering_an_actor_is_theirs() -> None:
    roles = load_policy(ROLES).roles
    assert [role_of(a, roles) for a in ("lead:ana", "agent:bill", "agent:bo")] == [
        roles[0],
        roles[1],
        roles[3],
    ]
    assert role_of("stranger", roles) is None
    assert Role("r", ("agent:*",)).covers("agent:")
    assert not Role("r", ("agent",)).covers("agent:x")


def test_without_roles_nobody_is_refused(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = walk_to(desk, "assigned")
    desk.note(case_id, by="anyone at all", text="fine")


def test_an_actor_without_a_role_is_refused_and_told_which_roles_exist(clock: ManualClock) -> None:
    desk = governed(clock)
    case_id = walk_to(desk, "assigned")
    with pytest.raises(NotAuthorized, match=r"stranger may not note; needs a role that covers"):
        desk.note(case_id, by="stranger", text="hello")
    assert desk.case(case_id).version == 4


def test_a_role_limited_to_categories_is_refused_elsewhere(clock: ManualClock) -> None:
    desk = governed(clock)
    billing = walk_to(desk, "assigned")
    access = walk_to(desk, "assigned", category="access")
    desk.note(billing, by="agent:bill", text="mine")
    with pytest.raises(NotAuthorized) as refused:
        desk.note(access, by="agent:bill", text="not mine")
    assert str(refused.value) == (
        "agent:bill may not note a case in category 'access'; "
        "needs role 'lead' or 'responder' or 'agent'"
    )
    with pytest.raises(NotAuthorized, match="classify a case in category 'access'"):
        desk.classify(billing, by="agent:bill", category="access", kind="incident")


def test_responders_send_canned_words_only_and_may_not_resolve(clock: ManualClock) -> None:
    desk = governed(clock)
    case_id = walk_to(desk, "assigned")
    desk.acknowledge(case_id, by="responder:ray", message="Thank you, we are looking into it.")
    with pytest.raises(NotAuthorized) as refused:
        desk.reply(case_id, by="responder:ray", message="Try turning it off and on")
    assert refused.value.needed == (
        "a template with no added text, one of the canned responses (greeting, pass_up), "
        "or a role without canned_only"
    )
    with pytest.raises(NotAuthorized, match="with words of their own"):
        desk.reply(case_id, by="responder:ray", template="escalation_update", message="my words")
    before = desk.case(case_id).version
    updated = desk.reply(case_id, by="responder:ray", template="escalation_update")
    assert updated.version == before + 1
    [*_, last] = desk.history(case_id)
    assert last.event.template == "escalation_update"  # type: ignore[attr-defined]
    assert f"your escalated case {case_id}" in last.event.message  # type: ignore[attr-defined]
    with pytest.raises(NotAuthorized, match="responder:ray may not resolve; needs role 'lead' or"):
        desk.resolve(case_id, by="responder:ray", resolution="done")
    passed = desk.assign(case_id, to="lead:ana", by="responder:ray")
    assert passed.assignee == "lead:ana"


def test_clients_act_only_on_their_own_cases(clock: ManualClock) -> None:
    desk = governed(clock)
    case_id = walk_to(desk, "waiting_on_client")
    with pytest.raises(NotAuthorized, match="needs to be its requester"):
        desk.client_replied(case_id, message="me too", by="client:mallory@evil.test")
    with pytest.raises(NotAuthorized, match=r"client:jane@acme\.test may not note"):
        desk.note(case_id, by="client:jane@acme.test", text="let me in")
    assert desk.client_replied(case_id, message="here it is").state == "in_progress"


def test_the_desk_itself_is_never_refused() -> None:
    roles = load_policy(ROLES).roles
    for actor in ("system:sla", "automation:router"):
        authorize(None, AddNote(case_id="C1", by=actor, text="t"), roles, {})


def test_pure_checks_cover_every_command_kind() -> None:
    roles = load_policy(ROLES).roles
    canned = load_policy(ROLES).canned
    authorize(None, Assign(case_id="C", by="lead:ana", to="agent:kim"), roles, canned)
    with pytest.raises(NotAuthorized):
        authorize(None, Resolve(case_id="C", by="responder:x", resolution="r"), roles, canned)
    authorize(None, Reply(case_id="C", by="responder:x", message=canned["pass_up"]), roles, canned)
    authorize(None, Classify(case_id="C", by="agent:bill", category="billing"), roles, canned)
    with pytest.raises(NotAuthorized, match="needs an agent's role"):
        authorize(None, Resolve(case_id="C", by="client:a@b", resolution="r"), roles, canned)
    authorize(None, ClientReply(case_id="C", by="client:a@b", message="m"), roles, canned)


def test_role_problems_are_reported_with_paths() -> None:
    with pytest.raises(PolicyError) as bad:
        load_policy(
            {
                "roles": [
                    {"name": "a", "actors": []},
                    {"name": "a", "actors": ["*", "system:x"], "may": ["fly"]},
                    {"name": "b", "actors": ["b:*"], "categories": ["nope"], "canned_only": True},
                ],
            }
        )
    assert bad.value.problems == (
        "$.roles[0].actors: at least one actor or prefix (e.g. 'agent:*') is required",
        "$.roles[1].name: 'a' is listed twice",
        "$.roles[1].actors: '*' would cover everyone; name a prefix",
        "$.roles[1].actors: 'system:x' is the desk itself or a client, not a role",
        "$.roles[1].may: unknown command 'fly' (commands: accept_escalation, acknowledge, "
        "apply_service_level, assign, cancel, classify, client_reply, close, confirm, deescalate, "
        "escalate, merge, note, prioritize, reject, reopen, reply, request_info, resolve, review, "
        "submit, survey, unassign, update_fields, validate)",
        "$.roles[2].categories: unknown category 'nope' "
        "(categories: outage, billing, access, functional, howto)",
        "$.roles[2].canned_only: the policy has no canned responses",
    )


def test_refusals_are_audited_and_change_no_case(clock: ManualClock) -> None:
    desk = governed(clock)
    case_id = walk_to(desk, "assigned")
    before = desk.history(case_id)
    with pytest.raises(NotAuthorized):
        desk.resolve(case_id, by="responder:ray", resolution="done")
    assert desk.history(case_id) == before
    (refused,) = desk.audit(date(2026, 3, 2))
    assert (refused.case_id, refused.command, refused.rule, refused.by) == (
        case_id,
        "resolve",
        "authority",
        "responder:ray",
    )
    assert refused.reason == (
        "responder:ray may not resolve; needs role 'lead' or 'billing' or 'agent'"
    )


STATES = ("intake", "classified", "prioritized", "assigned", "in_progress", "resolved", "closed")
ATTEMPTS: dict[str, Callable[[ServiceDesk, str, str], object]] = {
    "note": lambda d, c, a: d.note(c, by=a, text="t"),
    "resolve": lambda d, c, a: d.resolve(c, by=a, resolution="r"),
    "reply": lambda d, c, a: d.reply(c, by=a, message="words of my own"),
    "assign": lambda d, c, a: d.assign(c, to="agent:zed", by=a),
    "prioritize": lambda d, c, a: d.prioritize(c, by=a, priority="low", reason="why not"),
    "cancel": lambda d, c, a: d.cancel(c, by=a, reason="r"),
    "classify": lambda d, c, a: d.classify(c, by=a, category="access", kind="incident"),
}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(STATES),
    st.sampled_from(sorted(ATTEMPTS)),
    st.sampled_from(["stranger", "responder:ray", "agent:bill", "client:mallory@evil.test"]),
)
def test_no_refused_command_changes_any_case(state: str, attempt: str, actor: str) -> None:
    desk = governed(ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    case_id = walk_to(desk, state, category="access")
    before = (desk.case(case_id), desk.history(case_id))
    refused = len(desk.audit(date(2026, 3, 2)))
    try:
        ATTEMPTS[attempt](desk, case_id, actor)
    except NotAuthorized:
        assert (desk.case(case_id), desk.history(case_id)) == before
        assert len(desk.audit(date(2026, 3, 2))) == refused + 1
    except ServiceflowError:
        assert (desk.case(case_id), desk.history(case_id)) == before
        assert len(desk.audit(date(2026, 3, 2))) == refused
    else:
        assert actor == "responder:ray" or actor.startswith("agent:"), "only a role acts"


def test_reviewed_gaps_are_closed(clock: ManualClock) -> None:
    desk = governed(clock)
    billing = walk_to(desk, "in_progress")
    outage = walk_to(desk, "assigned", category="outage")
    with pytest.raises(NotAuthorized, match="merge a case in category 'outage'"):
        desk.merge(billing, into=outage, by="agent:bill")
    with pytest.raises(NotAuthorized, match="classify a case in category 'outage'"):
        desk.classify(outage, by="agent:bill", category="billing", kind="incident")
    scripted = {**ROLES, "roles": [{"name": "bot", "actors": ["bot:*"], "canned_only": True}]}
    canned = load_policy(scripted)
    with pytest.raises(NotAuthorized, match="resolve with words of their own"):
        authorize(None, Resolve(case_id="C", by="bot:x", resolution="mine"), canned.roles, {})
    with pytest.raises(NotAuthorized, match="needs to be that requester"):
        desk.submit(
            requester="acme/boss@acme.test",
            channel="web",
            subject="s",
            by="client:mallory@evil.test",
        )
    with pytest.raises(NotFound):
        desk.note("missing", by="stranger", text="t")
    assert [r.command for r in desk.audit(date(2026, 3, 2))] == ["merge", "classify", "submit"]


# --- issue 17: a client's group, tier and identity come from who they are -------------------

TIERS = [
    {"name": "standard"},
    {"name": "premium", "raise_priority": 1, "groups": ["globex"]},
]


def tiered(clock: ManualClock, *, roles: bool = True) -> ServiceDesk:
    document: dict[str, object] = {"tiers": TIERS, **(ROLES if roles else {})}
    return ServiceDesk.open(
        "memory://", policy=load_policy(document), clock=clock, entry_points=False
    )


def _submit(desk: ServiceDesk, requester: str, by: str, **more: object) -> object:
    return desk.submit(requester=requester, channel="web", subject="s", by=by, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize("roles", [True, False])
@pytest.mark.parametrize(
    "actor",
    [
        "client:jane@acme.test",  # no group: may not claim one
        "client:acme/jane@acme.test",  # another group
        "CLIENT:Jane@ACME.test",  # a client still, whatever the case
        "ｃｌｉｅｎｔ:jane@acme.test",  # full-width: a client still
        "client:mallory@evil.test",
    ],
)
def test_a_client_cannot_submit_into_another_group(
    clock: ManualClock, roles: bool, actor: str
) -> None:
    desk = tiered(clock, roles=roles)
    with pytest.raises(NotAuthorized, match=r"submit for globex/jane@acme\.test; needs to be that"):
        _submit(desk, "globex/jane@acme.test", actor)
    assert desk.count() == 0
    (refused,) = desk.audit(date(2026, 3, 2))
    assert (refused.command, refused.rule) == ("submit", "authority")


@pytest.mark.parametrize("roles", [True, False])
def test_a_client_gets_the_tier_of_the_group_they_are(clock: ManualClock, roles: bool) -> None:
    desk = tiered(clock, roles=roles)
    premium = _submit(desk, "globex/jane@acme.test", "client:globex/jane@acme.test")
    assert premium.tier == "premium"  # type: ignore[attr-defined]
    same = _submit(desk, "Globex/Jane@Acme.test", "client:globex/jane@acme.test")
    assert same.requester == "Globex/Jane@Acme.test"  # type: ignore[attr-defined]
    plain = _submit(desk, "jane@acme.test", "client:jane@acme.test")
    assert plain.tier == "standard"  # type: ignore[attr-defined]


@pytest.mark.parametrize("roles", [True, False])
@pytest.mark.parametrize("tier", ["premium", "standard"])
def test_a_client_never_chooses_a_tier(clock: ManualClock, roles: bool, tier: str) -> None:
    desk = tiered(clock, roles=roles)
    with pytest.raises(NotAuthorized, match=rf"may not choose the tier \('{tier}'\); needs staff"):
        _submit(desk, "globex/jane@acme.test", "client:globex/jane@acme.test", tier=tier)
    assert desk.count() == 0
    by_staff = _submit(desk, "jane@acme.test", "agent:kim", tier="premium")
    assert by_staff.tier == "premium"  # type: ignore[attr-defined]
    intake = desk.submit(requester="jane@acme.test", channel="web", subject="s", tier="premium")
    assert intake.tier == "premium"  # a blank by: the integration's own intake vouches for it


@pytest.mark.parametrize("roles", [True, False])
@pytest.mark.parametrize(
    ("to", "trigger"), [("management", "manual"), ("responsible", "manual"), ("next", "sla_breach")]
)
def test_a_client_asks_only_for_the_next_tier(
    clock: ManualClock, roles: bool, to: str, trigger: str
) -> None:
    desk = tiered(clock, roles=roles)
    case_id = walk_to(desk, "in_progress")
    for actor in ("client:jane@acme.test", "client:acme/jane@acme.test", ""):
        with pytest.raises(NotAuthorized, match="needs staff"):
            desk.execute(Escalate(case_id=case_id, by=actor, reason="r", to=to, trigger=trigger))
    assert desk.case(case_id).escalation is None


def test_later_commands_hold_a_client_to_their_group(clock: ManualClock) -> None:
    desk = tiered(clock)
    case_id = walk_to(desk, "waiting_on_client")  # requester acme/jane@acme.test
    for other in ("client:globex/jane@acme.test", "client:jane@globex.test"):
        with pytest.raises(NotAuthorized, match="needs to be its requester"):
            desk.client_replied(case_id, message="me", by=other)
    same_client = (
        "client:acme/jane@acme.test",
        "client:ACME/Jane@acme.TEST",
        "client:jane@acme.test",
    )
    for same in same_client:
        assert desk.client_replied(case_id, message="me", by=same).state == "in_progress"
        desk.request_info(case_id, by="agent:kim", message="More?")


@pytest.mark.parametrize("actor", ["client:", "client: ", "client:jane@acme.test"])
def test_no_client_owns_a_case_whose_requester_is_unknown(actor: str) -> None:
    assert not client_owns(actor, "")
