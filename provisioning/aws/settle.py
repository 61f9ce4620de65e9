"""Retry NotFound, for a bounded time, on calls that name an id this run created moments ago.

EC2 is eventually consistent ("Eventual consistency in the Amazon EC2 API"): right after a
create, a call naming the new id may answer `*.NotFound` although the id exists; the guide's
advice is to retry with backoff. This is the one place that does it: the client factory
attaches NewIds to every client, which
  - remembers every new id a Create/Run/Allocate/Import call returned (not the ids its request
    named: the subnet and image of a RunInstances are not new), with the time,
  - forgets the ids a Delete/Terminate/Release call names (gone on purpose is not "not yet"),
  - answers botocore's needs-retry with a backoff delay when a call got a NotFound code and
    names an id younger than `window_s` (so the retrying ends at most window_s after the create).
Every other NotFound passes through at once: "not found" still means gone for destroy and reads.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)
ID_RE = re.compile(r"^[a-z]+-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
CREATING = ("Create", "Run", "Allocate", "Import")
DELETING = ("Delete", "Terminate", "Release")
NOT_A_RESOURCE = {"InvalidPermission.NotFound"}  # a rule, not an id: never "not yet"
FIRST_DELAY_S, MAX_DELAY_S = 0.05, 2.0
NAMED_KEY = "tdg_named_ids"


def ids_in(value: Any) -> Iterator[str]:
    """Every AWS-id-shaped string anywhere in a parsed response or request parameters."""
    if isinstance(value, str):
        if ID_RE.match(value):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from ids_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from ids_in(v)


class NewIds:
    """The run's young ids and the botocore handlers that retry NotFound while they settle."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._born: dict[str, float] = {}
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        """Register the handlers on one boto3 client."""
        if self.window_s <= 0:
            return
        client.meta.events.register("after-call", self._after_call)
        client.meta.events.register("before-parameter-build", self._before_parameter_build)
        client.meta.events.register("needs-retry", self._needs_retry)

    def young(self, rid: str) -> bool:
        """True when this run created rid less than window_s ago."""
        with self._lock:
            born = self._born.get(rid)
        return born is not None and self._clock() - born < self.window_s

    def _after_call(self, model: Any, parsed: Any, context: Any = None, **_: Any) -> None:
        if not model.name.startswith(CREATING) or not isinstance(parsed, dict) or "Error" in parsed:
            return
        named = (context or {}).get(NAMED_KEY, set())  # ids the request named are not new
        now = self._clock()
        with self._lock:
            for rid in ids_in({k: v for k, v in parsed.items() if k != "ResponseMetadata"}):
                if rid not in named:
                    self._born.setdefault(rid, now)

    def _before_parameter_build(self, model: Any, params: Any, context: Any = None, **_: Any) -> None:
        if model.name.startswith(CREATING) and isinstance(context, dict):
            context[NAMED_KEY] = set(ids_in(params))
        if model.name.startswith(DELETING):
            with self._lock:
                for rid in ids_in(params):
                    self._born.pop(rid, None)

    def _needs_retry(self, response: Any, attempts: int, request_dict: Any, operation: Any = None,
                     **_: Any) -> float | None:
        if response is None or not isinstance(response[1], dict):
            return None
        code = str(response[1].get("Error", {}).get("Code", ""))
        if "NotFound" not in code or code in NOT_A_RESOURCE:
            return None
        body = request_dict.get("body") if isinstance(request_dict, dict) else None
        named = [v for v in (body.values() if isinstance(body, dict) else ()) if isinstance(v, str) and self.young(v)]
        if not named:
            return None
        delay = min(FIRST_DELAY_S * 2 ** (attempts - 1), MAX_DELAY_S)
        log.info("%s: %s for %s created moments ago; retrying in %.2fs (attempt %d)",
                 getattr(operation, "name", "call"), code, named[0], delay, attempts)
        return delay
