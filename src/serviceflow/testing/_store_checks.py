"""The base of the store contract's check groups: what a subclass gives (a store, where it
lives, whether it lasts), the fixtures, and what several groups use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, TypeVar

import pytest

from serviceflow.eventlog._store import Store

__all__ = ["MANY", "THREADS", "StoreChecks", "T", "together", "version_of"]

MANY = 1203
"""Enough cases to cross two pages of 500, the page size of the built-in stores."""

THREADS = 4

T = TypeVar("T")


class StoreChecks:
    """What every group of checks needs; ``StoreContract`` says how to fill it in."""

    durable: ClassVar[bool] = True
    not_durable_reason: ClassVar[str] = "this store keeps nothing once closed"

    def make_store(self, where: Path) -> Store:
        """A store on ``where``: empty at first, the same data when called again."""
        raise NotImplementedError(
            f"{type(self).__name__} must define make_store(self, where) -> Store"
        )

    def process_url(self, where: Path) -> str | None:
        """The URL another process opens to share the store made on ``where``, if any."""
        return None

    @pytest.fixture
    def where(self, tmp_path: Path) -> Path:
        """The folder of one test's store."""
        return tmp_path

    @pytest.fixture
    def store(self, where: Path) -> Iterator[Store]:
        """A fresh store, closed after the test."""
        opened = self.make_store(where)
        try:
            yield opened
        finally:
            opened.close()


def version_of(store: Store, stream: str) -> int:
    found = store.load(stream)
    assert found is not None, f"no row for {stream}"
    return found.version


def together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads started at the same moment; re-raise a failure."""
    start = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[n] for n in range(count)]
