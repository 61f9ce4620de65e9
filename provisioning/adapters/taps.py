"""The run's tap on an adapter (a recording or a replay): one stack per adapter, innermost wins."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class TapStack(Generic[T]):
    """The taps a run installed on one adapter; `current` is the innermost, or None outside any."""

    def __init__(self) -> None:
        self._taps: list[T] = []

    @property
    def current(self) -> T | None:
        return self._taps[-1] if self._taps else None

    @contextmanager
    def use(self, tap: T) -> Iterator[None]:
        """Send the adapter's calls through tap for the block."""
        self._taps.append(tap)
        try:
            yield
        finally:
            self._taps.remove(tap)
