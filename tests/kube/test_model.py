"""The stand-in's cluster model: scheduling onto allocatable, Flux's dependency gating, KVM and spin-operator."""

from __future__ import annotations

from fixtures.kube_standin.model import NodeSpec, run, scheduler_message
from provisioning.platform_data import Workload


def three(vcpu: int, mib: int, kvm: bool = False) -> list[NodeSpec]:
    return [NodeSpec("talos-gateway", "controlplane", vcpu, mib, kvm),
            NodeSpec("talos-compute-2", "worker", vcpu, mib, kvm),
            NodeSpec("talos-compute-3", "worker", vcpu, mib, kvm)]


def test_every_release_of_v1_3_3_fits_three_4_gib_nodes_by_its_requests() -> None:
    outcome = run(three(2, 4096), spin_operator=True)
    assert len(outcome.releases) == 83 and all(r.ready for r in outcome.releases)
    assert all(p.node for p in outcome.pods) and outcome.spin_operator_running
    assert outcome.kubevirt_phase == "Deployed" and outcome.network_ready


def test_pods_that_fit_nowhere_fail_their_release_and_block_its_dependents() -> None:
    outcome = run(three(2, 2048), spin_operator=True)
    status = {r.release.key: r for r in outcome.releases}
    dash = status["cozy-dashboard/dashboard"]
    assert (dash.ready, dash.reason) == (False, "InstallFailed")
    assert dash.message == ("Helm install failed for release cozy-dashboard/dashboard with chart "
                            "cozy-dashboard@0.0.0: context deadline exceeded")
    plunger = status["cozy-fluxcd/flux-plunger"]
    assert (plunger.reason, plunger.message) == ("DependencyNotReady", "dependency 'cozy-dashboard/dashboard' is not "
                                                                       "ready")
    assert not outcome.spin_operator_running and "Insufficient memory" in outcome.spin_operator_why


def test_without_cert_manager_spin_operator_cannot_start() -> None:
    outcome = run(three(2, 4096), spin_operator=True, disabled_packages=["cozystack.cert-manager"])
    assert not outcome.spin_operator_running
    assert "cozy-cert-manager/cert-manager is not Ready" in outcome.spin_operator_why
    assert not any(r.release.package == "cozystack.cert-manager" for r in outcome.releases)


def test_dependency_not_ready_names_the_first_not_ready_dependency_in_spec_order() -> None:
    outcome = run(three(2, 512))  # t4g.nano: Talos keeps everything of the control plane
    status = {r.release.key: r for r in outcome.releases}
    assert status["cozy-cilium/cilium"].reason == "InstallFailed"
    kubeovn = status["cozy-kubeovn/kubeovn"]
    assert kubeovn.message == "dependency 'cozy-cilium/cilium' is not ready"
    assert not outcome.network_ready and outcome.kubevirt_phase is None


def test_kvm_follows_the_instance_type_not_the_platform() -> None:
    assert run(three(64, 131072, kvm=True)).kubevirt_phase == "Deployed"
    assert run(three(8, 32768, kvm=False)).kubevirt_phase == "Deployed"  # KubeVirt deploys; VMs need /dev/kvm


def test_the_scheduler_message_has_the_real_shape() -> None:
    outcome = run(three(2, 4096))
    big = Workload("huge", "Deployment", "any", 1, 100, 8192.0, "test")
    assert scheduler_message(outcome.nodes, {n.spec.name for n in outcome.nodes}, big) == (
        "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption "
        "victims found for incoming pod.")
    pinned = Workload("ds", "DaemonSet", "every", 1, 4000, 8192.0, "test")
    assert scheduler_message(outcome.nodes, {"talos-gateway"}, pinned) == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 2 node(s) didn't match Pod's node "
        "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.")
