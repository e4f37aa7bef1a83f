"""Templates as policy data: known variables only, checked when the policy loads."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any

import pytest

from serviceflow import Policy, PolicyError, default_policy, load_policy
from serviceflow.domain.policy._policy import check_policy
from serviceflow.domain.policy._templates import (
    DEFAULT_TEMPLATES,
    FALLBACKS,
    STEP_TEMPLATES,
    VARIABLES,
    merge_templates,
    read_template_folder,
    template_problems,
)


def with_extra(name: str, variants: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The default templates plus one more."""
    templates = {n: dict(v) for n, v in DEFAULT_TEMPLATES.items()}
    templates[name] = dict(variants)
    return templates


def problems(templates: Mapping[str, Mapping[str, str]], **kwargs: Any) -> list[str]:
    return list(template_problems(templates, kwargs.pop("default_locale", "en"), **kwargs))


def test_defaults_are_sound_and_cover_every_step_in_english_and_french() -> None:
    assert problems(DEFAULT_TEMPLATES) == []
    assert set(STEP_TEMPLATES.values()) <= set(DEFAULT_TEMPLATES)
    for variants in DEFAULT_TEMPLATES.values():
        assert set(variants) == {"en", "fr"}
        for text in variants.values():
            assert set(Template(text).get_identifiers()) <= set(VARIABLES)


def test_every_variable_has_a_description_and_fallbacks() -> None:
    assert {"case_id", "requester_name", "agent_name", "due", "timeline", "desk"} <= set(VARIABLES)
    assert all(text.strip() for text in VARIABLES.values())
    for language in FALLBACKS.values():
        assert set(language) == set(VARIABLES)


def test_default_policy_carries_the_templates_and_its_version_covers_them() -> None:
    policy = default_policy()
    assert policy.templates == DEFAULT_TEMPLATES
    assert policy.default_locale == "en"
    assert Policy().version == policy.version
    assert '"templates"' in policy.document()
    changed = with_extra("welcome", {"en": "Welcome to $desk."})
    assert load_policy({"templates": changed}).version != policy.version


def test_templates_are_read_only() -> None:
    policy = load_policy({"templates": with_extra("welcome", {"en": "Hi"})})
    with pytest.raises(TypeError):
        policy.templates["welcome"]["en"] = "changed"  # type: ignore[index]


def test_unknown_variable_fails_at_load_with_its_path() -> None:
    templates = with_extra("welcome", {"en": "Hi", "fr": "Bonjour $fo"})
    with pytest.raises(PolicyError) as caught:
        load_policy({"templates": templates})
    [problem] = caught.value.problems
    assert problem.startswith("$.templates.welcome.fr: unknown variable $fo (variables: case_id,")


def test_a_policy_file_with_a_bad_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[templates.acknowledge]\nen = "Hello ${nobody}"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert "$.templates.acknowledge.en: unknown variable $nobody" in str(caught.value)
    assert "missing template" not in str(caught.value)  # the shipped ones fill the rest


def test_policy_built_in_code_is_checked_too() -> None:
    with pytest.raises(PolicyError, match=r"\$\.templates\.x\.en: unknown variable \$y"):
        check_policy(Policy(templates=with_extra("x", {"en": "$y"})))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pay $$5 for $case_id", None),
        ("Ref ${case_id}x", None),
        ("$case_id.__class__ stays text", None),
        ("   \n", "$.templates.t.en: the text must not be blank"),
        ("Cost: 5$", "$.templates.t.en: invalid placeholder at line 1, column 8"),
        ("ok\nthen $ 5", "$.templates.t.en: invalid placeholder at line 2, column 6"),
        ("${__class__}", "$.templates.t.en: unknown variable $__class__"),
        ("${case_id", "$.templates.t.en: invalid placeholder at line 1, column 1"),
    ],
)
def test_template_text(text: str, expected: str | None) -> None:
    found = problems(with_extra("t", {"en": text}))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].startswith(expected)


def test_names_locales_and_default_locale() -> None:
    found = problems(
        with_extra("Bad-Name", {"fr": "ok", "not a locale": "ok"}), locales=("en", "fr")
    )
    assert found == [
        "$.templates.Bad-Name: bad template name 'Bad-Name' (lowercase letters, digits and _, "
        "starting with a letter)",
        "$.templates.Bad-Name: no text in the default locale 'en' "
        "(locales given: fr, not a locale)",
        "$.templates.Bad-Name.not a locale: bad locale 'not a locale' "
        "(expected a locale like 'en' or 'fr-CA')",
    ]
    found = problems(with_extra("t", {"en": "ok", "de": "ok"}), locales=("en", "fr"))
    assert found == ["$.templates.t.de: locale 'de' is not among the policy's languages (en, fr)"]
    assert problems(with_extra("t", {"en": "ok", "de": "ok"})) == []
    assert problems(DEFAULT_TEMPLATES, default_locale="de", locales=("en",)) == [
        "$.default_locale: 'de' is not among the policy's languages (en)",
        *(
            f"$.templates.{name}: no text in the default locale 'de' (locales given: en, fr)"
            for name in DEFAULT_TEMPLATES
        ),
    ]


def test_shipped_french_texts_do_not_trouble_an_english_only_desk() -> None:
    assert load_policy({"languages": ["en", "de"]}).templates == DEFAULT_TEMPLATES
    custom = with_extra("acknowledge", {"en": "Hi", "fr": "Salut"})
    with pytest.raises(PolicyError, match=r"acknowledge\.fr: locale 'fr' is not among"):
        load_policy({"languages": ["en"], "templates": custom})


def test_every_step_template_is_required() -> None:
    assert problems({"acknowledge": {"en": "Hi"}}) == [
        "$.templates: missing template(s) clarify, resolve, confirm, escalation_acknowledge, "
        "escalation_timeline, escalation_update, deescalation, survey (every communication step "
        "needs one)"
    ]


def test_structure_errors_keep_their_paths() -> None:
    with pytest.raises(
        PolicyError, match=r"\$\.templates\['acknowledge'\]\['en'\]: expected text, got 3"
    ):
        load_policy({"templates": {"acknowledge": {"en": 3}}})


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_folder_reading(tmp_path: Path) -> None:
    write(tmp_path, "welcome.en.txt", "Welcome, $requester_name!\n")
    write(tmp_path, "welcome.fr-CA.txt", "Bienvenue, $requester_name!\n")
    write(tmp_path, "outage_2.en.txt", "We are on it.")
    write(tmp_path, ".welcome.en.txt.swp", "editor junk")
    assert read_template_folder(tmp_path) == {
        "outage_2": {"en": "We are on it."},
        "welcome": {"en": "Welcome, $requester_name!\n", "fr-CA": "Bienvenue, $requester_name!\n"},
    }


@pytest.mark.parametrize("name", ["welcome.txt", "Welcome.en.txt", "welcome.en.md", "a.b.c.txt"])
def test_folder_with_a_badly_named_file(tmp_path: Path, name: str) -> None:
    write(tmp_path, "fine.en.txt", "ok")
    write(tmp_path, name, "x")
    with pytest.raises(PolicyError) as caught:
        read_template_folder(tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{tmp_path / name}: expected a file named <name>.<locale>.txt")


def test_folder_with_non_utf8_text(tmp_path: Path) -> None:
    (tmp_path / "x.en.txt").write_bytes(b"caf\xe9")
    with pytest.raises(PolicyError, match="not UTF-8"):
        read_template_folder(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        read_template_folder(tmp_path / "nope")
    write(tmp_path, "f.en.txt", "x")
    with pytest.raises(PolicyError, match="is not a folder"):
        read_template_folder(tmp_path / "f.en.txt")


def test_merging_a_folder_into_the_policy(tmp_path: Path) -> None:
    write(tmp_path, "welcome.en.txt", "Welcome to $desk")
    merged = merge_templates(DEFAULT_TEMPLATES, tmp_path)
    assert merged["welcome"] == {"en": "Welcome to $desk"}
    assert load_policy({"templates": merged}).templates["welcome"]["en"] == "Welcome to $desk"
    write(tmp_path, "acknowledge.fr.txt", "Bonjour")
    with pytest.raises(PolicyError) as caught:
        merge_templates(DEFAULT_TEMPLATES, tmp_path, source="policy.toml")
    assert caught.value.problems == (
        "$.templates.acknowledge.fr: defined twice, in policy.toml and in "
        f"{tmp_path / 'acknowledge.fr.txt'}",
    )
