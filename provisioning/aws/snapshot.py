"""Read once, check many: one reading of a phase's state serves every scenario until something changes.

A reading is kept with the run's count of mutating API calls at the time it was taken; it is
reused while that count is unchanged, so any call that changes state (a scenario that stops
an instance, a repair, a teardown) invalidates every snapshot without anyone having to say
so. A reading during which a mutating call was made is returned but not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from provisioning.aws.client import ClientFactory

T = TypeVar("T")


class Snapshots:
    """Named state readings of one run, valid until the run's next mutating API call."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients
        self._kept: dict[Hashable, tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, name: Hashable, read: Callable[[], T]) -> T:
        """The kept reading called name, or read() now (kept when nothing changed while reading)."""
        before = self._clients.calls.mutating()
        with self._lock:
            kept = self._kept.get(name)
        if kept is not None and kept[0] == before:
            reused: T = kept[1]
            return reused
        value = read()
        if self._clients.calls.mutating() == before:
            with self._lock:
                self._kept[name] = (before, value)
        return value

    def invalidate(self, name: Hashable | None = None) -> None:
        """Forget one reading (or all): for changes made outside the run's API calls."""
        with self._lock:
            if name is None:
                self._kept.clear()
            else:
                self._kept.pop(name, None)
