"""Who is who: one rule for comparing actors and requesters, wherever identities meet.

An identity (``agent:kim``, ``client:acme/jane@acme.test``, ``acme/jane@acme.test``) may
not contain invisible characters: controls, format characters (zero-width spaces, bidi
marks), line separators, unassigned or private-use code points, Unicode's default-ignorable
characters, or spaces other than U+0020. Such an identity is refused where it enters.
Two identities are the same when their canonical forms are equal: NFKC, case-folded (the
whole identity, e-mail local part included), without surrounding spaces, so ``agent:KIM``
and the full-width ``agent:ｋｉｍ`` are ``agent:kim``. Stored events keep the text as given
(stripped); every rule compares with ``same_actor`` or ``canonical_actor``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["canonical_actor", "identity_problems", "invisible", "same_actor"]

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),  # braille blank: not ignorable, but shows as nothing
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties), plus blanks."""


def invisible(char: str) -> bool:
    """Is ``char`` one an identity may not hold (it shows as nothing, or not as itself)?"""
    category = unicodedata.category(char)
    if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE)


def identity_problems(field: str, text: str) -> list[str]:
    """What is wrong with ``text`` as the identity in ``field`` (one problem per character)."""
    if text.isascii() and text.isprintable():
        return []
    found = dict.fromkeys(c for c in text if invisible(c))
    return [
        f"{field}: {text!r:.80} contains an invisible character "
        f"U+{ord(c):04X} {unicodedata.name(c, '(unnamed)')}; name the actor in visible text"
        for c in found
    ]


def canonical_actor(text: str) -> str:
    """The form identities are compared in: NFKC, case-folded, without surrounding spaces."""
    if text.isascii():
        return text.strip().lower()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.strip()


def same_actor(a: str | None, b: str | None) -> bool:
    """Do ``a`` and ``b`` name the same actor (``None`` is nobody, never the same)?"""
    return a is not None and b is not None and canonical_actor(a) == canonical_actor(b)
