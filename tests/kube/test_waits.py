"""Waits over the stand-in: they return once everything is ready and time out naming the blockers."""

from __future__ import annotations

import pytest

from fixtures.kube_standin import StandIn
from provisioning.errors import WaitTimeout
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.waits import wait_for_helmreleases, wait_for_spinapps


class FakeClock:
    """Time that only moves when the wait sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


def test_helmreleases_ready_on_healthy_returns_at_once(healthy_reader: KubeReader) -> None:
    clock = FakeClock()
    releases = wait_for_helmreleases(healthy_reader, clock=clock, sleep=clock.sleep)
    assert len(releases) == 83 and clock.naps == []


def test_helmreleases_on_undersized_time_out_naming_blockers_and_pods(undersized_reader: KubeReader) -> None:
    clock, progress = FakeClock(), list[str]()
    with pytest.raises(WaitTimeout) as err:
        wait_for_helmreleases(undersized_reader, timeout_s=60, interval_s=15, clock=clock, sleep=clock.sleep,
                              progress=progress.append)
    text = str(err.value)
    assert "system HelmReleases Ready" in text and "after 60s" in text
    assert "HelmRelease cozy-dashboard/dashboard: expected Ready=True" in text
    assert "Pending: Insufficient memory" in text
    assert progress and progress[0].startswith("waiting for system HelmReleases Ready")


def test_the_default_limit_is_the_e2e_budget(undersized_reader: KubeReader) -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match="after 1080s"):
        wait_for_helmreleases(undersized_reader, interval_s=300, clock=clock, sleep=clock.sleep)


def test_spinapp_wait_after_install(healthy: StandIn, undersized: StandIn) -> None:
    clock = FakeClock()
    ok = wait_for_spinapps(KubeReader(api_client(healthy.url, live=False)), ["default/hello-spin"], clock=clock,
                           sleep=clock.sleep)
    assert ok[0].ready_replicas == 1
    with pytest.raises(WaitTimeout, match="NoStatus"):
        wait_for_spinapps(KubeReader(api_client(undersized.url, live=False)), ["default/hello-spin"], clock=clock,
                          sleep=clock.sleep)
