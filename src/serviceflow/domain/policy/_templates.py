"""Communication templates as policy data: named texts per locale, using known variables only.

Texts are ``string.Template`` strings (``$name`` or ``${name}``, ``$$`` for a dollar): no
expressions, no attribute access, no code. A template that names an unknown variable is a
policy error when the policy loads, never a failure when a message is sent. ``communication``
(rules) fills the variables from a case and renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from string import Template

from serviceflow.core._readonly import ReadOnlyMap, freeze_nested
from serviceflow.core._toml import decode_file, why_unreadable
from serviceflow.errors import PolicyError

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
"""A template name: lowercase letters, digits and ``_``, starting with a letter."""
LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*\Z")
"""A locale tag as written in a policy: a language code, then optional parts (``fr-CA``)."""

VARIABLES: Mapping[str, str] = ReadOnlyMap(
    {
        "case_id": "the case's reference (e.g. 20260302-0001)",
        "subject": "the case's subject as the client wrote it",
        "requester": "the client's address",
        "requester_name": "the client's name (field `name`), else their address's local part",
        "priority": "the case's priority",
        "category": "the case's category",
        "agent": "the id of the agent who owns the case",
        "agent_name": "the owner's name from the roster, else their id",
        "due": "when the client can expect the next answer, in the client's time zone",
        "timezone": "the client's time zone (IANA name)",
        "escalation_tier": "the tier the case was escalated to",
        "timeline": "the committed resolution time of an escalation, in the client's time zone",
        "reason": "why the case was escalated or de-escalated",
        "message": "free text an agent adds to the message",
        "desk": "the name of the service desk (the policy's name)",
        "surveys": (
            "the questions of the surveys offered, one per line with its scale, "
            "in the message's language"
        ),
    }
)
"""Every variable a template may use, with what it holds."""

FALLBACKS: Mapping[str, Mapping[str, str]] = freeze_nested(
    {
        "en": {
            "case_id": "(no reference)",
            "subject": "your request",
            "requester": "(unknown address)",
            "requester_name": "there",
            "priority": "to be assessed",
            "category": "to be assessed",
            "agent": "our team",
            "agent_name": "our team",
            "due": "as soon as we can",
            "timezone": "UTC",
            "escalation_tier": "our specialist team",
            "timeline": "as soon as we can",
            "reason": "it needs more specialised attention",
            "message": "",
            "desk": "our service desk",
            "surveys": "",
        },
        "fr": {
            "case_id": "(sans référence)",
            "subject": "votre demande",
            "requester": "(adresse inconnue)",
            "requester_name": "Madame, Monsieur",
            "priority": "à évaluer",
            "category": "à évaluer",
            "agent": "notre équipe",
            "agent_name": "notre équipe",
            "due": "dès que possible",
            "timezone": "UTC",
            "escalation_tier": "notre équipe spécialisée",
            "timeline": "dès que possible",
            "reason": "elle demande une attention plus spécialisée",
            "message": "",
            "desk": "notre service client",
            "surveys": "",
        },
    }
)
"""Per language, the text of each variable whose value is unknown for a case (English else)."""

STEP_TEMPLATES: Mapping[str, str] = ReadOnlyMap(
    {
        "acknowledge": "acknowledge",
        "clarify": "clarify",
        "resolve": "resolve",
        "confirm": "confirm",
        "escalation_acknowledge": "escalation_acknowledge",
        "escalation_timeline": "escalation_timeline",
        "escalation_update": "escalation_update",
        "deescalation": "deescalation",
        "survey": "survey",
    }
)
"""Each communication step and the template it sends; every policy must define them all."""

_EN = {
    "acknowledge": (
        "Hello $requester_name,\n\n"
        'Thank you for contacting $desk. We have received your request "$subject" '
        "and registered it as case $case_id.\n\n"
        "$agent_name will look after it. Expected reply: $due.\n\n"
        "Kind regards,\n$desk"
    ),
    "clarify": (
        "Hello $requester_name,\n\n"
        "To move forward with case $case_id, we need a little more information from you:\n\n"
        "$message\n\n"
        "Simply reply to this message; we will continue as soon as we hear from you.\n\n"
        "Kind regards,\n$agent_name, $desk"
    ),
    "resolve": (
        "Hello $requester_name,\n\n"
        'We believe your request "$subject" (case $case_id) is now resolved.\n\n'
        "$message\n\n"
        "Please let us know whether this solves the problem for you. If it does not, just "
        "reply and we will pick it up again.\n\n"
        "Kind regards,\n$agent_name, $desk"
    ),
    "confirm": (
        "Hello $requester_name,\n\n"
        "Case $case_id is now closed. Thank you for your confirmation and for your patience.\n\n"
        "If anything else comes up, we are here to help.\n\n"
        "Kind regards,\n$desk"
    ),
    "escalation_acknowledge": (
        "Hello $requester_name,\n\n"
        "We have escalated case $case_id to $escalation_tier because $reason.\n\n"
        "An owner will take charge of it and confirm a resolution timeline with you. "
        "Expected contact: $due.\n\n"
        "$message\n\n"
        "Kind regards,\n$desk"
    ),
    "escalation_timeline": (
        "Hello $requester_name,\n\n"
        "$agent_name ($escalation_tier) now owns case $case_id and will see it through.\n\n"
        "Committed resolution: $timeline.\n\n"
        "$message\n\n"
        "Kind regards,\n$agent_name, $desk"
    ),
    "escalation_update": (
        "Hello $requester_name,\n\n"
        "Here is an update on your escalated case $case_id:\n\n"
        "$message\n\n"
        "Committed resolution: $timeline. Next update: $due.\n\n"
        "Kind regards,\n$agent_name, $desk"
    ),
    "deescalation": (
        "Hello $requester_name,\n\n"
        "Case $case_id no longer needs the escalation team: $reason. "
        "$agent_name will take it from here, with the usual service.\n\n"
        "$message\n\n"
        "Kind regards,\n$desk"
    ),
    "survey": (
        "Hello $requester_name,\n\n"
        'We recently handled your request "$subject" (case $case_id). Could you spare a '
        "minute to tell us how we did?\n\n"
        "$surveys\n\n"
        "Simply reply to this message with your scores, and a comment if you like. Every "
        "answer helps us improve.\n\n"
        "Thank you,\n$desk"
    ),
}

_FR = {
    "acknowledge": (
        "Bonjour $requester_name,\n\n"
        "Merci d'avoir contacté $desk. Nous avons bien reçu votre demande « $subject » "
        "et l'avons enregistrée sous la référence $case_id.\n\n"
        "$agent_name s'en occupe. Réponse prévue : $due.\n\n"
        "Cordialement,\n$desk"
    ),
    "clarify": (
        "Bonjour $requester_name,\n\n"
        "Pour avancer sur le dossier $case_id, nous avons besoin de quelques précisions :\n\n"
        "$message\n\n"
        "Il vous suffit de répondre à ce message ; nous reprendrons dès votre réponse.\n\n"
        "Cordialement,\n$agent_name, $desk"
    ),
    "resolve": (
        "Bonjour $requester_name,\n\n"
        "Nous pensons avoir résolu votre demande « $subject » (dossier $case_id).\n\n"
        "$message\n\n"
        "Merci de nous confirmer que le problème est réglé. Dans le cas contraire, "
        "répondez simplement à ce message et nous reprendrons le dossier.\n\n"
        "Cordialement,\n$agent_name, $desk"
    ),
    "confirm": (
        "Bonjour $requester_name,\n\n"
        "Le dossier $case_id est maintenant clos. Merci pour votre confirmation "
        "et pour votre patience.\n\n"
        "Pour toute autre question, nous restons à votre disposition.\n\n"
        "Cordialement,\n$desk"
    ),
    "escalation_acknowledge": (
        "Bonjour $requester_name,\n\n"
        "Nous avons transmis le dossier $case_id à $escalation_tier, car $reason.\n\n"
        "Un responsable va le prendre en charge et vous confirmer un délai de résolution. "
        "Prise de contact prévue : $due.\n\n"
        "$message\n\n"
        "Cordialement,\n$desk"
    ),
    "escalation_timeline": (
        "Bonjour $requester_name,\n\n"
        "$agent_name ($escalation_tier) est désormais responsable du dossier $case_id "
        "et le suivra jusqu'à sa résolution.\n\n"
        "Résolution prévue : $timeline.\n\n"
        "$message\n\n"
        "Cordialement,\n$agent_name, $desk"
    ),
    "escalation_update": (
        "Bonjour $requester_name,\n\n"
        "Voici des nouvelles de votre dossier $case_id :\n\n"
        "$message\n\n"
        "Résolution prévue : $timeline. Prochain point : $due.\n\n"
        "Cordialement,\n$agent_name, $desk"
    ),
    "deescalation": (
        "Bonjour $requester_name,\n\n"
        "Le dossier $case_id ne relève plus de l'équipe d'escalade : $reason. "
        "$agent_name le reprend, avec le service habituel.\n\n"
        "$message\n\n"
        "Cordialement,\n$desk"
    ),
    "survey": (
        "Bonjour $requester_name,\n\n"
        "Nous avons récemment traité votre demande « $subject » (dossier $case_id). "
        "Pourriez-vous prendre une minute pour nous dire ce que vous en avez pensé ?\n\n"
        "$surveys\n\n"
        "Il vous suffit de répondre à ce message avec vos notes, et un commentaire si vous "
        "le souhaitez. Chaque réponse nous aide à nous améliorer.\n\n"
        "Merci,\n$desk"
    ),
}

DEFAULT_TEMPLATES: Mapping[str, Mapping[str, str]] = freeze_nested(
    {name: {"en": _EN[name], "fr": _FR[name]} for name in STEP_TEMPLATES.values()}
)
"""The shipped templates: one per communication step, in English and French."""


def fallbacks(locale: str) -> Mapping[str, str]:
    """The fallback texts for ``locale``'s language (English when there are none for it)."""
    return FALLBACKS.get(language_of(locale)) or FALLBACKS["en"]


def language_of(locale: str) -> str:
    """The language part of a locale tag: ``fr`` for ``fr-CA`` or ``fr_CA``."""
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower()


def template_problems(
    templates: Mapping[str, Mapping[str, str]],
    default_locale: str,
    *,
    locales: tuple[str, ...] = (),
) -> Iterator[str]:
    """Problems with the templates section, each with its path; ``locales`` are the allowed
    locales (the policy's languages; empty: any), shipped default texts excepted."""
    if not LOCALE.match(default_locale):
        yield f"$.default_locale: expected a locale like 'en' or 'fr-CA', got {default_locale!r}"
    elif locales and default_locale not in locales:
        yield (
            f"$.default_locale: {default_locale!r} is not among the policy's languages "
            f"({', '.join(locales)})"
        )
    for name, variants in templates.items():
        path = f"$.templates.{name}"
        if not NAME.match(name):
            yield (
                f"{path}: bad template name {name!r} (lowercase letters, digits and _, "
                "starting with a letter)"
            )
        if default_locale not in variants:
            yield (
                f"{path}: no text in the default locale {default_locale!r} "
                f"(locales given: {', '.join(variants) or 'none'})"
            )
        shipped = DEFAULT_TEMPLATES.get(name, {})
        for locale, text in variants.items():
            # A shipped text in a language the desk does not serve is never chosen: harmless.
            allowed = () if shipped.get(locale) == text else locales
            yield from _variant_problems(f"{path}.{locale}", locale, text, allowed)
    missing = [name for name in STEP_TEMPLATES.values() if name not in templates]
    if missing:
        yield (
            f"$.templates: missing template(s) {', '.join(missing)} "
            "(every communication step needs one)"
        )


def _variant_problems(path: str, locale: str, text: str, locales: tuple[str, ...]) -> Iterator[str]:
    if not LOCALE.match(locale):
        yield f"{path}: bad locale {locale!r} (expected a locale like 'en' or 'fr-CA')"
    elif locales and locale not in locales:
        known = ", ".join(locales)
        yield f"{path}: locale {locale!r} is not among the policy's languages ({known})"
    if not text.strip():
        yield f"{path}: the text must not be blank"
        return
    template = Template(text)
    for match in template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line, column = _position(text, match.start())
            yield (
                f"{path}: invalid placeholder at line {line}, column {column} "
                "(write $name or ${name}; $$ for a literal $)"
            )
    known = ", ".join(VARIABLES)
    for identifier in dict.fromkeys(template.get_identifiers()):
        if identifier not in VARIABLES:
            yield f"{path}: unknown variable ${identifier} (variables: {known})"


def _position(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def read_template_folder(folder: Path) -> dict[str, dict[str, str]]:
    """Templates from files named ``<name>.<locale>.txt`` (UTF-8); hidden files are skipped.

    Raises ``PolicyError`` naming the folder or every file that is badly named or unreadable.
    """
    if not folder.is_dir():
        reason = "does not exist" if not folder.exists() else "is not a folder"
        raise PolicyError(f"cannot read template folder {folder}", [f"{folder}: {reason}"])
    found: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        parts = path.name.split(".")
        if (
            len(parts) != 3
            or parts[2] != "txt"
            or not NAME.match(parts[0])
            or not LOCALE.match(parts[1])
            or not path.is_file()
        ):
            problems.append(
                f"{path}: expected a file named <name>.<locale>.txt "
                "(name: lowercase letters, digits and _; locale: like en or fr-CA)"
            )
            continue
        try:
            text = decode_file(path)
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: {why_unreadable(exc)}")
            continue
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            problems.append(f"{path}: cannot read ({why_unreadable(exc)})")
            continue
        found.setdefault(parts[0], {})[parts[1]] = text
    if problems:
        raise PolicyError(f"template folder {folder} is invalid", problems)
    return found


def merge_templates(
    templates: Mapping[str, Mapping[str, str]],
    folder: Path,
    *,
    source: str = "the policy",
) -> dict[str, dict[str, str]]:
    """The policy's ``templates`` plus those read from ``folder``.

    A name and locale defined in both is a ``PolicyError`` naming both places.
    """
    merged = {name: dict(variants) for name, variants in templates.items()}
    clashes: list[str] = []
    for name, variants in read_template_folder(folder).items():
        own = merged.setdefault(name, {})
        for locale, text in variants.items():
            if locale in own:
                clashes.append(
                    f"$.templates.{name}.{locale}: defined twice, in {source} and in "
                    f"{folder / f'{name}.{locale}.txt'}"
                )
            own[locale] = text
    if clashes:
        raise PolicyError("templates are defined twice", clashes)
    return merged
