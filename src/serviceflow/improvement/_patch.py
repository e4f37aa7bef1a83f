"""Policy patches: a patch laid over the policy's document makes the policy a cycle tries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import PolicyError

__all__ = ["apply_patch"]


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` laid over ``base``: tables merge key by key, everything else (lists
    included) is replaced."""
    merged = dict(base)
    for key, value in patch.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge(current, value)
        else:
            merged[key] = value
    return merged


def apply_patch(policy: Policy, patch: Mapping[str, Any]) -> Policy:
    """The policy ``patch`` makes of ``policy``; a bad patch is a ``PolicyError`` naming
    every problem with its path."""
    if not isinstance(patch, Mapping):
        raise PolicyError("policy patch", [f"$: expected a table, got {type(patch).__name__}"])
    return load_policy(merge(json.loads(policy.document()), patch))
