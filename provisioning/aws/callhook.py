"""Offline test hooks on the API call counter: trace every call, or signal this process at call N.

Read from the environment by the client factory, and only when the run is not live:
  TDG_CALL_TRACE=PATH          append "N<TAB>service:operation<TAB>stage" for every call
  TDG_SIGNAL_AT_CALL=N[:SIG],STAGE#K[:SIG]
                               send SIGINT (or SIGTERM with :TERM) to this process just before
                               call N of the run, or the K-th call made in STAGE, is sent (the
                               interrupt tests choose points from a reference run's trace)
The stage is what the run is doing ("provision:network", "checks", "teardown:talos", ...). A
stage-relative point lands at the same place in every run, though the run's total count varies
with the offline EC2's NotFound retries and the console watch's polls.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Mapping
from pathlib import Path

from provisioning.errors import OptionError

TRACE_ENV = "TDG_CALL_TRACE"
SIGNAL_ENV = "TDG_SIGNAL_AT_CALL"


Point = int | tuple[str, int]


def parse_points(raw: str) -> dict[Point, signal.Signals]:
    """'12,teardown:network#3:TERM' -> {12: SIGINT, ("teardown:network", 3): SIGTERM}.

    OptionError naming the variable on anything else.
    """
    points: dict[Point, signal.Signals] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        stage, hashed, rest = part.rpartition("#")
        number, _, sig = rest.partition(":")
        if (hashed and not stage) or not number.isdigit() or int(number) < 1 or sig not in ("", "INT", "TERM"):
            raise OptionError(SIGNAL_ENV, raw, "a comma-separated list of call numbers >= 1 or STAGE#K, each "
                                               "optionally :INT or :TERM")
        points[(stage, int(number)) if hashed else int(number)] = signal.SIGTERM if sig == "TERM" else signal.SIGINT
    return points


class CallHook:
    """What the factory does with each counted call in offline test runs (nothing unless configured)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.trace = Path(env[TRACE_ENV]) if env.get(TRACE_ENV) else None
        self.points = parse_points(env.get(SIGNAL_ENV, ""))
        self._lock = threading.Lock()
        self._per_stage: dict[str, int] = {}

    @property
    def active(self) -> bool:
        return self.trace is not None or bool(self.points)

    def on_call(self, number: int, what: str, stage: str) -> None:
        """Record call number (1-based) and, at a chosen point, signal this process."""
        with self._lock:
            in_stage = self._per_stage[stage] = self._per_stage.get(stage, 0) + 1
            if self.trace is not None:
                with self.trace.open("a", encoding="utf-8") as fh:
                    fh.write(f"{number}\t{what}\t{stage}\n")
        sig = self.points.get(number) or self.points.get((stage, in_stage))
        if sig is not None:
            os.kill(os.getpid(), sig)
