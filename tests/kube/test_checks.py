"""Pure checks: each passes on good input and fails, naming resource/expected/actual, on bad input."""

from __future__ import annotations

from dataclasses import replace

from provisioning.kube.checks import (
    blocked_by,
    check_helmreleases_ready,
    check_kubevirt_deployed,
    check_kvm,
    check_node_architecture,
    check_node_capacity,
    check_nodes_ready,
    check_runtimeclass,
    check_spinapps_ready,
    check_talos_extensions,
    helmrelease_causes,
    kubevirt_causes,
    scheduling_blockers,
    scheduling_reasons,
    spinapp_causes,
)
from provisioning.kube.objects import HelmRelease, KubeNode, KubeVirtStatus, PendingPod, RuntimeClassInfo, SpinAppStatus

GIB = 2**30
MSG = ("0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: "
       "3 No preemption victims found for incoming pod.")


def node(name: str = "n1", *, ready: bool = True, arch: str = "arm64", cpu_m: int = 8000, mem_gib: float = 32,
         kvm: int | None = 1000, ext: dict[str, str] | None = None) -> KubeNode:
    return KubeNode(name, ready, arch, "10.10.0.101", cpu_m, int(mem_gib * GIB), kvm, ext or {"spin": "v1"})


def hr(ns: str, name: str, ready: bool = True, deps: tuple[str, ...] = (), reason: str = "InstallSucceeded",
       message: str = "ok") -> HelmRelease:
    return HelmRelease(ns, name, ready, reason, message, deps)


def test_nodes_ready_flags_missing_and_not_ready_nodes() -> None:
    assert check_nodes_ready([node("a"), node("b")], ["a", "b"]) == []
    found = [str(v) for v in check_nodes_ready([node("a", ready=False)], ["a", "b"])]
    assert found == ["Node b: expected registered, got missing", "Node a: expected Ready=True, got Ready=False"]
    assert check_nodes_ready([]) != []


def test_architecture_and_capacity() -> None:
    assert check_node_architecture([node()], "arm64") == []
    assert str(check_node_architecture([node(arch="amd64")], "arm64")[0]) == \
        "Node n1: expected architecture arm64, got amd64"
    assert check_node_capacity([node()], min_cores=8, min_memory_gib=24) == []
    small = check_node_capacity([node(cpu_m=1950, mem_gib=3.5)], min_cores=8, min_memory_gib=24)
    assert [v.actual for v in small] == ["1.95 cores (1.95 allocatable)", "3.5 GiB (3.5 GiB allocatable)"]
    # the documented minimum is per host: an 8-core, 32 GiB node passes though Talos keeps 50m and 612 MiB back
    t4g_2xlarge = replace(node(cpu_m=7950, mem_gib=31.4), capacity_millicores=8000, capacity_memory_bytes=32 * 2**30)
    assert check_node_capacity([t4g_2xlarge], min_cores=8, min_memory_gib=24) == []
    assert [str(v) for v in check_node_capacity([replace(t4g_2xlarge, capacity_millicores=4000)], min_cores=8,
                                                min_memory_gib=24)] == [
        "Node n1: expected >= 8 cores, got 4 cores (7.95 allocatable)"]


def test_talos_extensions_names_the_missing_ones() -> None:
    nodes = [node("gw", ext={"spin": "v1", "tailscale": "v1"}), node("c2")]
    assert check_talos_extensions(nodes, {"gw": ["spin", "tailscale"], "c2": ["spin"]}) == []
    bad = check_talos_extensions(nodes, {"c2": ["spin", "tailscale"], "c9": ["spin"]})
    assert "missing ['tailscale']" in bad[0].actual and bad[1].actual == "node missing"


def test_scheduling_reasons_split_the_scheduler_message() -> None:
    assert scheduling_reasons(MSG) == ["Insufficient cpu", "Insufficient memory"]
    assert scheduling_reasons("something else") == ["something else"]
    pods = [PendingPod("ns", "a", (MSG,)), PendingPod("ns", "b", ("0/3 nodes are available: 3 Insufficient memory.",))]
    assert scheduling_blockers(pods) == {"Insufficient memory": 2, "Insufficient cpu": 1}


def test_blocked_by_follows_the_first_not_ready_dependency_to_the_root() -> None:
    releases = [hr("c", "cilium"), hr("cm", "cert-manager", False, ("c/cilium",), "InstallFailed", "deadline"),
                hr("cm", "issuers", False, ("c/cilium", "cm/cert-manager"), "DependencyNotReady"),
                hr("s", "snapshot", False, ("cm/issuers",), "DependencyNotReady"),
                hr("x", "orphan", False, ("x/missing",), "DependencyNotReady")]
    index = {r.key: r for r in releases}
    assert blocked_by(index["s/snapshot"], index) == ["cm/issuers", "cm/cert-manager"]
    assert blocked_by(index["cm/cert-manager"], index) == []
    assert blocked_by(index["x/orphan"], index) == ["x/missing"]
    loop = {"a/a": hr("a", "a", False, ("b/b",)), "b/b": hr("b", "b", False, ("a/a",))}
    assert blocked_by(loop["a/a"], loop) == ["b/b"]


def test_helmreleases_ready_reports_reason_root_blocker_and_pending_pods() -> None:
    good = [hr("c", "cilium"), hr("cm", "cert-manager", deps=("c/cilium",))]
    assert check_helmreleases_ready(good) == []
    bad = [hr("c", "cilium"), hr("cm", "cert-manager", False, ("c/cilium",), "InstallFailed", "deadline exceeded"),
           hr("k", "kamaji", False, ("c/cilium", "cm/cert-manager"), "DependencyNotReady", "dependency not ready")]
    found = check_helmreleases_ready(bad, [PendingPod("cm", "cert-manager-x", (MSG,))])
    text = [str(v) for v in found]
    assert text[0] == ("HelmRelease cm/cert-manager: expected Ready=True, got Ready=False "
                       "(InstallFailed: deadline exceeded)")
    assert "first blocked dependency cm/cert-manager; root blocker cm/cert-manager (InstallFailed" in text[1]
    assert text[2] == "Pod cm/cert-manager-x: expected scheduled, got Pending: Insufficient cpu; Insufficient memory"
    assert check_helmreleases_ready([], min_count=11)[0].actual == "0"


def test_kvm_kubevirt_runtimeclass_and_spinapps() -> None:
    assert check_kvm([node()]) == []
    assert [v.actual for v in check_kvm([node(kvm=0), node("n2", kvm=None)])] == ["0", "absent"]
    assert check_kubevirt_deployed([KubeVirtStatus("cozy-kubevirt", "kubevirt", "Deployed")]) == []
    assert check_kubevirt_deployed([])[0].actual == "no KubeVirt CR"
    assert check_kubevirt_deployed([KubeVirtStatus("k", "kubevirt", "Deploying")])[0].actual == "Deploying"
    assert check_runtimeclass([RuntimeClassInfo("wasmtime-spin-v2", "spin")], "wasmtime-spin-v2", "spin") == []
    assert "missing" in check_runtimeclass([], "wasmtime-spin-v2", "spin")[0].actual
    assert check_runtimeclass([RuntimeClassInfo("wasmtime-spin-v2", "runc")], "wasmtime-spin-v2",
                              "spin")[0].actual == "handler runc"
    ok = SpinAppStatus("default", "hello", 1, 1, True, "MinimumReplicasAvailable")
    assert check_spinapps_ready([ok]) == [] and check_spinapps_ready([ok], ["default/hello"]) == []
    waiting = SpinAppStatus("default", "hello", 2, 1, False, "DeploymentNotFound")
    assert check_spinapps_ready([waiting])[0].actual == "1/2 ready, Available=False (DeploymentNotFound)"
    assert check_spinapps_ready([], ["default/hello"])[0].actual == "missing"
    assert check_spinapps_ready([])[0].actual == "none"


def test_helmrelease_causes_are_the_root_blockers_with_their_dependants_and_stray_pending_pods() -> None:
    releases = [hr("c", "cilium"), hr("cm", "cert-manager", False, ("c/cilium",), "InstallFailed", "deadline"),
                hr("k", "kamaji", False, ("cm/cert-manager",), "DependencyNotReady"),
                hr("x", "orphan", False, ("x/missing",), "DependencyNotReady")]
    pending = [PendingPod("cm", "cert-manager-x", (MSG,)), PendingPod("cozy-kubevirt", "virt-api-1", (MSG,))]
    assert helmrelease_causes(releases, pending) == {
        "cm/cert-manager": "cm/cert-manager (InstallFailed: deadline); 1 release(s) DependencyNotReady behind it "
                           "(k/kamaji)",
        "x/missing": "x/missing (not found); 1 release(s) DependencyNotReady behind it (x/orphan)",
        "Pod cozy-kubevirt/*": "Pod cozy-kubevirt/virt-api-1 Pending: Insufficient cpu; Insufficient memory"}
    assert helmrelease_causes([hr("c", "cilium")]) == {}


def test_spinapp_causes_name_what_spin_operator_waits_for_else_its_pods_else_the_app() -> None:
    def causes(releases: list[HelmRelease], pending: list[PendingPod]) -> dict[str, str]:
        return spinapp_causes(releases, pending, requires=["cm/cert-manager"], operator="spin-operator/spin-operator",
                              app="default/hello")

    blocked = [hr("c", "cilium", False, (), "InstallFailed", "deadline"),
               hr("cm", "cert-manager", False, ("c/cilium",), "DependencyNotReady", "dep")]
    assert causes(blocked, []) == {
        "c/cilium": "spin-operator waits for cm/cert-manager, blocked by c/cilium (InstallFailed: deadline)"}
    ready = [hr("cm", "cert-manager")]
    assert causes(ready, [PendingPod("spin-operator", "spin-operator-x", (MSG,))]) == {
        "spin-operator/spin-operator": "spin-operator/spin-operator pod spin-operator-x Pending: Insufficient cpu; "
                                       "Insufficient memory"}
    assert list(causes(ready, [])) == ["SpinApp default/hello"]


def test_kubevirt_causes_name_the_missing_cr_s_blocker_else_its_pending_pods_else_its_phase() -> None:
    release = "cozy-kubevirt/kubevirt"
    blocked = [hr("cozy-kubevirt", "kubevirt-operator", False, (), "InstallFailed", "deadline"),
               hr("cozy-kubevirt", "kubevirt", False, ("cozy-kubevirt/kubevirt-operator",), "DependencyNotReady")]
    assert list(kubevirt_causes(blocked, [], [], release)) == ["cozy-kubevirt/kubevirt-operator"]
    deploying = [KubeVirtStatus("cozy-kubevirt", "kubevirt", "Deploying")]
    stuck = [PendingPod("cozy-kubevirt", "virt-handler-1", (MSG,))]
    assert kubevirt_causes([], stuck, deploying, release) == {
        "Pod cozy-kubevirt/*": "1 KubeVirt pod(s) Pending: Insufficient cpu; Insufficient memory"}
    assert kubevirt_causes([], [], deploying, release) == {
        "KubeVirt cozy-kubevirt/kubevirt": "KubeVirt cozy-kubevirt/kubevirt phase Deploying"}
