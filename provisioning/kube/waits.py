"""Waits of phase 04, built on waiting.wait_for: HelmReleases Ready, SpinApps ready.

Limits default to CozyStack's own e2e (data/cozystack.yaml waits). On timeout WaitTimeout carries
the last round of violations, so the failure names every blocked release and pending pod.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from provisioning.data import load_data
from provisioning.kube.adapter import KubeReader
from provisioning.kube.checks import Violation, check_helmreleases_ready, check_spinapps_ready
from provisioning.kube.objects import HelmRelease, SpinAppStatus
from provisioning.waiting import wait_for


class NotReadyYet(Exception):
    """A probe's round found violations (wait_for keeps the last one for its timeout message)."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("\n".join(str(v) for v in self.violations))


def wait_for_helmreleases(reader: KubeReader, *, timeout_s: float | None = None, interval_s: float = 15.0,
                          min_count: int | None = None, clock: Callable[[], float] = time.monotonic,
                          sleep: Callable[[float], None] = time.sleep,
                          progress: Callable[[str], None] | None = None) -> tuple[HelmRelease, ...]:
    """Wait until at least min_count system HelmReleases exist and all are Ready; return them.

    Default timeout: helmreleases_appear_s + helmrelease_ready_s (the e2e waits 15 min per release,
    in parallel, after they appear). Raises WaitTimeout listing the last violations.
    """
    waits = load_data("cozystack")["waits"]
    limit = timeout_s if timeout_s is not None else waits["helmreleases_appear_s"] + waits["helmrelease_ready_s"]
    need = min_count if min_count is not None else waits["helmreleases_appear_min"]

    def probe() -> tuple[HelmRelease, ...]:
        releases = reader.helmreleases()
        violations = check_helmreleases_ready(releases, reader.pending_pods() if releases else (), min_count=need)
        if violations:
            raise NotReadyYet(violations)
        return releases

    return wait_for("system HelmReleases Ready", probe, timeout_s=limit, interval_s=interval_s, clock=clock,
                    sleep=sleep, progress=progress)


def wait_for_spinapps(reader: KubeReader, names: Sequence[str], *, timeout_s: float | None = None,
                      interval_s: float = 5.0, clock: Callable[[], float] = time.monotonic,
                      sleep: Callable[[float], None] = time.sleep,
                      progress: Callable[[str], None] | None = None) -> tuple[SpinAppStatus, ...]:
    """Wait until the named SpinApps ("namespace/name") are ready and Available; return them."""
    limit = timeout_s if timeout_s is not None else load_data("cozystack")["waits"]["spinapp_ready_s"]

    def probe() -> tuple[SpinAppStatus, ...]:
        apps = reader.spinapps()
        violations = check_spinapps_ready(apps, names)
        if violations:
            raise NotReadyYet(violations)
        return apps

    return wait_for(f"SpinApps {', '.join(names)} ready", probe, timeout_s=limit, interval_s=interval_s,
                    clock=clock, sleep=sleep, progress=progress)
