"""Package faces that load on first use: a name's module is imported when the name is read.

A feature package's face lists its public names; importing one private module of the
package (its events, say) then costs that module alone, not the whole package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_face(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``'s face: ``names`` maps each public name
    to the module that defines it; a name once read is kept on the package."""

    def attribute(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def names_of() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return attribute, names_of
