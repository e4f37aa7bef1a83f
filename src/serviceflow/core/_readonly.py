"""Read-only mappings for frozen types: a frozen policy or calendar must not change under a desk.

Unlike ``types.MappingProxyType`` these can be pickled (policies travel to worker
processes), copied and hashed.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ReadOnlyMap(Mapping[K, V], Generic[K, V]):
    """A mapping with no way to change it after it is built."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # the dict's own lookups, not Mapping's, which go through __getitem__ in Python
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReadOnlyMap):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"ReadOnlyMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyMap, (self._data,))


def read_only(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """``value`` as a ``ReadOnlyMap`` (itself if it already is one): an attrs converter."""
    return value if isinstance(value, ReadOnlyMap) else ReadOnlyMap(value)


def freeze_nested(data: Mapping[Any, Any]) -> ReadOnlyMap[Any, Any]:
    """A read-only copy of ``data``, with mappings inside it made read-only too."""
    return ReadOnlyMap(
        {k: freeze_nested(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    )
