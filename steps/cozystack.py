"""Steps of features/04_cozystack.feature: the cluster read back through its API, and the gateway's Tailscale.

Each check goes through the verdict gate: a failure the capacity verdict predicted is an
expected failure, any other a failure. The verdict scenario's steps are in steps/verdict.py.
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then

from fixtures.cozystack import CozystackLab, TalosGateway, tailscale_configured, tailscale_violations
from fixtures.reporting import evidence_label
from fixtures.verdict import VerdictGate
from provisioning.kube.verify import ClusterChecks
from steps.common import assert_clean

EVIDENCE = "kube"


@given("CozyStack is installed on the Talos nodes", target_fixture="cluster")
def _(cozystack_lab: CozystackLab, evidence) -> ClusterChecks:  # type: ignore[no-untyped-def]
    evidence(cozystack_lab.source)
    return cozystack_lab.checks


@then("every Talos node is registered in Kubernetes and Ready")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("nodes_ready", cluster.nodes_ready(), "Talos nodes in Kubernetes")


@then(parsers.parse("every node runs on {architecture}"))
def _(cluster: ClusterChecks, verdict_gate: VerdictGate, architecture: str) -> None:
    verdict_gate.assert_clean("node_architecture", cluster.node_architecture(architecture), "node architecture")


@then("every node has CozyStack's documented minimum of CPU and memory")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("node_capacity", cluster.node_capacity(), "CPU and memory against the documented minimum")


@then("every system HelmRelease is Ready")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("helmreleases_ready", cluster.helmreleases_ready(), "system HelmReleases",
                              causes=cluster.helmrelease_causes)


@then("KubeVirt is deployed")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("kubevirt_deployed", cluster.kubevirt_deployed(), "KubeVirt",
                              causes=cluster.kubevirt_causes)


@then("every node offers /dev/kvm to KubeVirt")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("kvm", cluster.kvm(), "KVM for KubeVirt")


@then("the Spin runtime class is installed")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("runtimeclass", cluster.runtimeclass(), "Spin RuntimeClass")


@then(parsers.parse("the hello SpinApp is Ready on an {architecture} node"))
def _(cluster: ClusterChecks, verdict_gate: VerdictGate, architecture: str) -> None:
    verdict_gate.assert_clean("spinapps_ready", cluster.spinapps_ready(architecture), "hello SpinApp",
                              causes=cluster.spinapp_causes)


@then("the hello SpinApp answers through the bastion")
def _(cluster: ClusterChecks, verdict_gate: VerdictGate) -> None:
    verdict_gate.assert_clean("spin_answer", cluster.hello_answers(), "hello SpinApp over the API server's proxy")


@given("a Tailscale auth key is configured for the gateway node", target_fixture="gateway")
def _(talos_gateway: TalosGateway, pytestconfig: pytest.Config, evidence) -> TalosGateway:  # type: ignore[no-untyped-def]
    evidence(evidence_label(pytestconfig, "talos"))
    why_not = tailscale_configured()
    if why_not:
        pytest.skip(why_not)
    return talos_gateway


@then("the gateway's Tailscale service is running")
def _(gateway: TalosGateway) -> None:
    assert_clean(tailscale_violations(gateway), "Tailscale on the gateway")
