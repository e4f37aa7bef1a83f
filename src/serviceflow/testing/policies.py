"""Build a policy for a test: the shipped default with some sections replaced.

The result goes through the real loader, so a test can never run on a policy an adopter
could not load; a bad override is the loader's ``PolicyError``, with every problem's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serviceflow.core._toml import parse_toml
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import PolicyError


def build_policy(overrides: str | Mapping[str, Any] | None = None, /, **sections: Any) -> Policy:
    """The default policy with the top-level sections of ``overrides`` (TOML text or a mapping)
    and then of ``sections`` in place of its own; a section left out keeps the default's."""
    document: dict[str, Any] = {}
    if isinstance(overrides, str):
        document.update(
            parse_toml(overrides, "policy overrides are not valid TOML", error=PolicyError)
        )
    elif overrides is not None:
        document.update(overrides)
    document.update(sections)
    return load_policy(document)
