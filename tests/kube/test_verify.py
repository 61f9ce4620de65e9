"""The checks the phase-04 steps call: every one passes on big nodes and names the blockers otherwise."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fixtures.kube_standin import StandIn
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.install import apply, render_install
from provisioning.kube.objects import AppPod, KubeNode
from provisioning.kube.verify import ClusterChecks, Expectations, check_app_pods
from provisioning.topology import Topology

STEP_CHECKS = ("nodes_ready", "node_architecture", "node_capacity", "helmreleases_ready", "kvm", "kubevirt_deployed",
               "runtimeclass", "spinapps_ready", "hello_answers")


def installed(kube: StandIn, topo: Topology) -> ClusterChecks:
    """Install into the stand-in as the offline fixture does, then bind the checks."""
    api = api_client(kube.url, live=False)
    apply(render_install(topo).objects, api)
    return ClusterChecks(KubeReader(api), Expectations.for_lab(topo))


def test_every_step_check_passes_on_big_nodes(healthy: StandIn, big: Topology) -> None:
    checks = installed(healthy, big)
    for name in STEP_CHECKS:
        assert getattr(checks, name)() == [], name


def test_small_nodes_fail_the_checks_the_model_computes(undersized: StandIn, small: Topology) -> None:
    checks = installed(undersized, small)
    failing = {name for name in STEP_CHECKS if getattr(checks, name)()}
    assert failing == {"node_capacity", "helmreleases_ready", "kvm", "kubevirt_deployed", "spinapps_ready",
                       "hello_answers"}
    capacity = [str(v) for v in checks.node_capacity()]
    assert "Node talos-gateway: expected >= 24 GiB memory, got 1.8 GiB (1.3 GiB allocatable)" in capacity
    assert "Node talos-gateway: expected >= 8 cores, got 2 cores (1.95 allocatable)" in capacity


def test_the_approved_nodes_run_out_of_room_at_the_model_s_root_blocker(approved: Topology) -> None:
    """3 x t4g.medium: the charts request ~5 GiB, but with Talos's, Flux's and the operators' pods on MemTotal
    foundationdb-operator's pod fits nowhere; everything else (KubeVirt, spin-operator) still runs."""
    from tests.kube.conftest import installed_standin

    with installed_standin(approved) as kube:
        checks = installed(kube, approved)
        failing = {name for name in STEP_CHECKS if getattr(checks, name)()}
        causes = checks.helmrelease_causes()
    assert failing == {"node_capacity", "kvm", "helmreleases_ready"}
    assert list(causes) == ["cozy-foundationdb-operator/foundationdb-operator"]
    assert causes["cozy-foundationdb-operator/foundationdb-operator"].startswith(
        "cozy-foundationdb-operator/foundationdb-operator (InstallFailed: Helm install failed for release ")


def test_the_recommended_profile_passes_everything_but_kvm_and_the_verdict_agrees() -> None:
    """3 x t4g.2xlarge with data disks: every pod, the operators' included, fits; only /dev/kvm is missing."""
    from provisioning import profiles
    from provisioning.capacity import assess
    from tests.kube.conftest import installed_standin

    recommended = profiles.load("recommended")
    with installed_standin(recommended) as kube:
        checks = installed(kube, recommended)
        failing = {name for name in STEP_CHECKS if getattr(checks, name)()}
    assert failing == {"kvm"}
    assert {r.name for r in assess(recommended).unmet} == {"kvm"}


def test_not_ready_helmreleases_name_reason_blocked_dependency_and_pending_pods(undersized: StandIn,
                                                                                small: Topology) -> None:
    text = "\n".join(str(v) for v in installed(undersized, small).helmreleases_ready())
    assert ("HelmRelease cozy-system/foundationdb-rd: expected Ready=True, got Ready=False (DependencyNotReady: "
            "dependency 'cozy-foundationdb-operator/foundationdb-operator' is not ready); first blocked dependency "
            "cozy-foundationdb-operator/foundationdb-operator; root blocker "
            "cozy-foundationdb-operator/foundationdb-operator (InstallFailed: ") in text
    assert "Pending: Insufficient memory" in text


def test_the_hello_app_answers_503_when_it_has_no_endpoint(undersized: StandIn, small: Topology) -> None:
    [violation] = installed(undersized, small).hello_answers()
    assert violation.resource == "Service default/hello-spin:80 GET /hello"
    assert violation.actual.startswith("HTTP 503") and 'no endpoints available for service' in violation.actual


def test_a_wrong_answer_or_architecture_fails(healthy: StandIn, big: Topology) -> None:
    checks = installed(healthy, big)
    wrong = ClusterChecks(checks.reader, replace(checks.expect, hello=replace(checks.expect.hello, answer="Bye")))
    assert wrong.hello_answers()[0].expected == "HTTP 200 with 'Bye'"
    assert [v.expected for v in checks.node_architecture("amd64")] == ["architecture amd64"] * 3
    assert checks.spinapps_ready("amd64")[0].expected == "on an amd64 node"


def test_missing_nodes_are_named(healthy: StandIn, big: Topology) -> None:
    checks = installed(healthy, big)
    more = ClusterChecks(checks.reader, replace(checks.expect, nodes=(*checks.expect.nodes, "talos-compute-4")))
    assert [str(v) for v in more.nodes_ready()] == ["Node talos-compute-4: expected registered, got missing"]


@pytest.mark.parametrize(("pod", "expected"), [
    (AppPod("default", "p", "n1", "Pending", False), ["Pod default/p: expected Running and Ready, got Pending, "
                                                      "Ready=False"]),
    (AppPod("default", "p", None, "Pending", False), ["Pod default/p: expected Running and Ready, got Pending, "
                                                      "Ready=False", "Pod default/p: expected on an arm64 node, got on "
                                                      "None (no node)"]),
    (AppPod("default", "p", "n2", "Running", True), ["Pod default/p: expected on an arm64 node, got on n2 (amd64)"]),
    (AppPod("default", "p", "n1", "Running", True), []),
])
def test_app_pods(pod: AppPod, expected: list[str]) -> None:
    nodes = [KubeNode("n1", True, "arm64", None, 2000, 2**32, None), KubeNode("n2", True, "amd64", None, 2000, 2**32,
                                                                             None)]
    assert [str(v) for v in check_app_pods([pod], nodes, "default/hello", "arm64")] == expected


def test_an_app_without_pods_fails() -> None:
    assert [str(v) for v in check_app_pods([], [], "default/hello", "arm64")] == [
        "pods of default/hello: expected at least one Running pod, got none"]
