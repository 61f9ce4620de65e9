"""The live install sequence, driven against the stand-in with helm and the CRD download replaced."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.kube_standin import StandIn
from provisioning.kube.adapter import api_client
from provisioning.kube.deploy import (
    HelmError,
    MissingBinaries,
    Pace,
    install_live,
    manifest_objects,
    missing_binaries,
    require_binaries,
    run_chart,
)
from provisioning.kube.install import render_install
from provisioning.topology import Topology

SPIN_CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "spinapps.core.spinkube.dev"}}


class Helm:
    """Records helm invocations; exits with returncode."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.calls: list[list[str]] = []
        self.returncode, self.stderr = returncode, stderr

    def __call__(self, argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(argv)
        return subprocess.CompletedProcess(argv, self.returncode, "", self.stderr)


def fast_clock() -> Pace:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s
    return Pace(clock=lambda: now[0], sleep=sleep)


def fetch(url: str) -> str:
    assert url.startswith("https://github.com/spinkube/spin-operator/releases/download/")
    return "---\n" + yaml.safe_dump(SPIN_CRD) + "---\n"


def test_helm_is_required_when_the_plan_has_charts(approved: Topology) -> None:
    plan = render_install(approved)
    assert missing_binaries(plan, lambda _: None) == ["helm"]
    assert missing_binaries(plan, lambda name: f"/usr/bin/{name}") == []
    with pytest.raises(MissingBinaries, match=r"helm not found on PATH: CozyStack v1\.3\.3 .*cozy-installer:1\.3\.3"):
        require_binaries(plan, lambda _: None)


def test_run_chart_passes_the_tunnel_kubeconfig_and_names_a_failure(approved: Topology, tmp_path: Path) -> None:
    chart = render_install(approved).charts[0]
    helm = Helm()
    run_chart(chart, tmp_path / "kc", runner=helm)
    assert helm.calls[0][:4] == ["helm", "upgrade", "--install", "cozystack"]
    assert helm.calls[0][-2:] == ["--kubeconfig", str(tmp_path / "kc")]
    with pytest.raises(HelmError, match="exited 1: Error: INSTALLATION FAILED: context deadline exceeded"):
        run_chart(chart, tmp_path / "kc", runner=Helm(1, "Error: INSTALLATION FAILED: context deadline exceeded\n"))


def test_manifest_objects_drop_empty_documents() -> None:
    assert manifest_objects(fetch("https://github.com/spinkube/spin-operator/releases/download/x.yaml")) == [SPIN_CRD]


def installer(kube: StandIn, topo: Topology, tmp_path: Path, helm: Helm) -> Callable[[], Any]:
    api = api_client(kube.url, live=False)
    return lambda: install_live(topo, api, tmp_path / "kc", runner=helm, fetch=fetch, pace=fast_clock(),
                                which=lambda name: f"/usr/bin/{name}")


def test_healthy_install_applies_everything_in_order(fresh_healthy: StandIn, big: Topology, tmp_path: Path) -> None:
    helm = Helm(0)
    report = installer(fresh_healthy, big, tmp_path, helm)()
    assert report.problems == ()
    assert [c[3] for c in helm.calls] == ["cozystack", "spin-operator"]
    assert [a.kind for a in report.applied] == ["Package", "CustomResourceDefinition", "RuntimeClass",
                                                 "SpinAppExecutor", "SpinApp"]


def test_undersized_install_records_what_timed_out(fresh_undersized: StandIn, small: Topology, tmp_path: Path) -> None:
    report = installer(fresh_undersized, small, tmp_path, Helm(0))()
    assert report.problems[0].startswith("CozyStack: ") and "system HelmReleases Ready" in report.problems[0]
    assert report.problems[1].startswith("SpinKube: ") and "default/hello-spin" in report.problems[1]


def test_a_failed_cozystack_chart_stops_the_install(fresh_healthy: StandIn, big: Topology, tmp_path: Path) -> None:
    with pytest.raises(HelmError, match="helm install of cozystack"):
        installer(fresh_healthy, big, tmp_path, Helm(1, "Error: boom"))()
    assert fresh_healthy.created() == []
