"""The cluster model: scheduling onto allocatable, Flux's dependency gating, pods outside the charts, KVM, spin."""

from __future__ import annotations

from provisioning.platform_data import Workload
from provisioning.platform_model import NodeSpec, Outcome, run, scheduler_message
from provisioning.platform_overhead import load_overhead


def three(vcpu: int, mib: int, kvm: bool = False) -> list[NodeSpec]:
    return [NodeSpec("talos-gateway", "controlplane", vcpu, mib, kvm),
            NodeSpec("talos-compute-2", "worker", vcpu, mib, kvm),
            NodeSpec("talos-compute-3", "worker", vcpu, mib, kvm)]


def failed(outcome: Outcome) -> dict[str, tuple[str, str]]:
    return {r.release.key: (r.reason, r.message) for r in outcome.releases if not r.ready}


def test_approved_three_4_gib_nodes_run_out_of_room_at_foundationdb_operator() -> None:
    """The charts alone fit; Talos's, Flux's and the operators' pods on MemTotal leave no room for fdb-operator."""
    outcome = run(three(2, 4096), spin_operator=True)
    assert len(outcome.releases) == 83
    assert failed(outcome) == {
        "cozy-foundationdb-operator/foundationdb-operator": (
            "InstallFailed", "Helm install failed for release cozy-foundationdb-operator/foundationdb-operator with "
                             "chart cozy-foundationdb-operator@0.0.0: context deadline exceeded"),
        "cozy-system/foundationdb-rd": (
            "DependencyNotReady", "dependency 'cozy-foundationdb-operator/foundationdb-operator' is not ready")}
    [pending] = [p for p in outcome.pods if p.node is None]
    assert pending.workload.name == "fdb-operator" and "Insufficient memory" in pending.message
    placed = {p.workload.name for p in outcome.pods if p.node}
    assert {"kube-apiserver", "coredns", "flux", "virt-handler", "virt-api", "cdi-apiserver"} <= placed
    assert outcome.spin_operator_running and outcome.kubevirt_phase == "Deployed" and outcome.network_ready
    assert [s.capacity_mib for s in outcome.nodes] == [3788.0] * 3  # MemTotal, not the nominal 4096


def test_without_the_pods_outside_the_charts_approved_would_pass() -> None:
    """The same nodes with the overhead data's pods removed: every release is Ready (the check fails both ways)."""
    outcome = run(three(2, 4096), spin_operator=True, overhead=load_overhead().without_pods())
    assert failed(outcome) == {} and all(p.node for p in outcome.pods) and outcome.creators == []


def test_the_recommended_nodes_fit_everything_with_the_operators_pods() -> None:
    outcome = run(three(8, 32768), spin_operator=True)
    assert failed(outcome) == {} and all(p.node for p in outcome.pods) and outcome.spin_operator_running
    assert {c.name for c in outcome.creators} >= {"kubevirt", "cdi", "linstor", "flux", "talos-control-plane"}


def test_an_operator_creates_its_pods_only_once_its_releases_are_ready() -> None:
    outcome = run(three(8, 32768), disabled_packages=["cozystack.kubevirt"])
    names = {p.workload.name for p in outcome.pods}
    assert "virt-handler" not in names and "virt-api" not in names and "cdi-apiserver" in names
    assert "kubevirt" not in {c.name for c in outcome.creators}
    static = [p for p in outcome.pods if p.workload.name == "kube-apiserver"]
    assert [(p.name, p.node) for p in static] == [("kube-apiserver-talos-gateway", "talos-gateway")]


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
