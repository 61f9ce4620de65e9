"""The one waiting helper: poll until a condition holds, log progress, fail naming what was awaited."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from provisioning.errors import RequestRuleError, WaitTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")
PROGRESS_EVERY_S = 10.0


def wait_for(what: str, probe: Callable[[], T | None], *, timeout_s: float, interval_s: float = 5.0,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
             progress: Callable[[str], None] | None = None, first_interval_s: float | None = None) -> T:
    """Call probe until it returns something other than None or False, and return that.

    Between attempts it sleeps interval_s; with first_interval_s, the first sleep is that long
    and each next one doubles, up to interval_s (a thing that is usually ready within moments is
    not made to wait a whole interval, and a slow one is not polled faster than interval_s).

    Every PROGRESS_EVERY_S seconds a progress line ("waiting for <what>: 12s of 300s") goes to
    the log and to progress (if given). Raises WaitTimeout naming what, the timeout and the
    last probe error when the time runs out.
    """
    start = clock()
    last_report = start
    attempts = 0
    last_error: BaseException | None = None
    pause = interval_s if first_interval_s is None else min(first_interval_s, interval_s)
    while True:
        attempts += 1
        try:
            result = probe()
            if result is not None and result is not False:
                if attempts > 1:
                    log.info("%s: ready after %.0fs (%d attempts)", what, clock() - start, attempts)
                return result
        except (WaitTimeout, RequestRuleError):  # a refused request never gets better by waiting
            raise
        except Exception as exc:  # a probe may fail while the thing comes up
            last_error = exc
            log.debug("%s: attempt %d failed: %s", what, attempts, exc)
        now = clock()
        if now - start >= timeout_s:
            why = f"; last error: {last_error}" if last_error else ""
            raise WaitTimeout(f"timed out after {timeout_s:.0f}s waiting for {what} ({attempts} attempts){why}")
        if now - last_report >= PROGRESS_EVERY_S:
            line = f"waiting for {what}: {now - start:.0f}s of {timeout_s:.0f}s"
            log.info("%s", line)
            if progress:
                progress(line)
            last_report = now
        sleep(min(pause, max(0.0, timeout_s - (now - start))))
        pause = min(pause * 2, interval_s)
