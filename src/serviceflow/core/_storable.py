"""Text every store keeps alike: no NUL (PostgreSQL cannot hold one), no lone surrogate
(UTF-8 cannot encode one). Refused at the edges, so every store accepts the same inputs."""

from __future__ import annotations

__all__ = ["text_problem"]


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored alike on every store, or ``None`` when it can."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"contains a lone surrogate (U+{ord(value[exc.start]):04X}), which is not text"
    if "\x00" in value:
        return "contains a NUL character (U+0000), which no store keeps alike"
    return None
