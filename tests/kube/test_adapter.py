"""The adapter against the loopback stand-in: every check passes on `healthy`, fails on `undersized` and `micro`."""

from __future__ import annotations

import pytest

from fixtures.kube_standin import StandIn
from provisioning.errors import GuardError
from provisioning.kube.adapter import KubeApiError, KubeReader, api_client
from provisioning.kube.checks import (
    check_helmreleases_ready,
    check_kubevirt_deployed,
    check_kvm,
    check_node_architecture,
    check_node_capacity,
    check_nodes_ready,
    check_runtimeclass,
    check_spinapps_ready,
    check_talos_extensions,
)
from provisioning.kube.objects import KubeVirtStatus, SpinAppStatus
from provisioning.table_view import ShapeError
from provisioning.topology import Topology

EXTENSIONS = {"talos-gateway": ["spin", "tailscale"], "talos-compute-2": ["spin"], "talos-compute-3": ["spin"]}
NAMES = ["talos-gateway", "talos-compute-2", "talos-compute-3"]


def test_nodes_match_the_provisioned_instances(undersized_reader: KubeReader, approved: Topology) -> None:
    nodes = {n.name: n for n in undersized_reader.nodes()}
    assert {name: n.internal_ip for name, n in nodes.items()} == {n.name: n.private_ip for n in approved.nodes}
    gw = nodes["talos-gateway"]
    # KubeVirt's own pods do not fit 2 GiB nodes: it never reaches Deployed, so virt-handler advertises nothing
    assert gw.architecture == "arm64" and gw.ready and gw.kvm_allocatable is None
    # capacity is MemTotal (2048 MiB less the reconstructed 7.5 %), allocatable less 512 MiB reserved + 100 MiB eviction
    assert gw.memory_bytes == (1894 - 512 - 100) * 2**20 and gw.cpu_millicores == 1950
    assert gw.capacity_memory_bytes == 1894 * 2**20 and gw.capacity_millicores == 2000
    assert set(gw.extensions) == {"spin", "tailscale"} and set(nodes["talos-compute-2"].extensions) == {"spin"}


def test_every_check_passes_on_healthy(healthy_reader: KubeReader) -> None:
    s = healthy_reader.snapshot()
    violations = (check_nodes_ready(s.nodes, NAMES) + check_node_architecture(s.nodes, "arm64")
                  + check_node_capacity(s.nodes, min_cores=8, min_memory_gib=24)
                  + check_talos_extensions(s.nodes, EXTENSIONS)
                  + check_helmreleases_ready(s.helmreleases, s.pending_pods, min_count=11)
                  + check_kvm(s.nodes) + check_kubevirt_deployed(s.kubevirts)
                  + check_runtimeclass(s.runtimeclasses, "wasmtime-spin-v2", "spin")
                  + check_spinapps_ready(s.spinapps, ["default/hello-spin"]))
    assert violations == []
    assert len(s.helmreleases) == 83 and s.pending_pods == ()


def test_undersized_fails_with_the_named_blockers(undersized_reader: KubeReader) -> None:
    s = undersized_reader.snapshot()
    assert check_nodes_ready(s.nodes, NAMES) == [] and check_node_architecture(s.nodes, "arm64") == []
    capacity = check_node_capacity(s.nodes, min_cores=8, min_memory_gib=24)
    assert len(capacity) == 6
    hr = [str(v) for v in check_helmreleases_ready(s.helmreleases, s.pending_pods, min_count=11)]
    assert ("HelmRelease cozy-dashboard/dashboard: expected Ready=True, got Ready=False (InstallFailed: Helm install "
            "failed for release cozy-dashboard/dashboard with chart cozy-dashboard@0.0.0: context deadline exceeded)"
            ) in hr
    plunger = next(v for v in hr if v.startswith("HelmRelease cozy-fluxcd/flux-plunger"))
    assert "first blocked dependency cozy-dashboard/dashboard; root blocker cozy-dashboard/dashboard" in plunger
    assert any(v.startswith("Pod cozy-dashboard/incloud-web-web-") and v.endswith("Pending: Insufficient memory")
               for v in hr)
    assert [v.actual for v in check_kvm(s.nodes)] == ["absent", "absent", "absent"]
    assert [v.actual for v in check_kubevirt_deployed(s.kubevirts)] == ["Deploying"]  # virt-* pods are Pending
    assert check_runtimeclass(s.runtimeclasses, "wasmtime-spin-v2", "spin") == []
    assert check_spinapps_ready(s.spinapps, ["default/hello-spin"]) != []  # spin-operator's pod does not fit


def test_a_failed_network_release_blocks_the_platform_down_the_real_graph(nano_reader: KubeReader) -> None:
    s = nano_reader.snapshot()
    hr = {h.key: h for h in s.helmreleases}
    assert not hr["cozy-cilium/cilium"].ready and hr["cozy-cilium/cilium"].reason == "InstallFailed"
    ready = sorted(h.key for h in s.helmreleases if h.ready)
    assert ready == ["cozy-system/cozystack-platform", "cozy-victoria-metrics-operator/prometheus-operator-crds"]
    capi = next(str(v) for v in check_helmreleases_ready(s.helmreleases, s.pending_pods)
                if v.resource == "HelmRelease cozy-cluster-api/capi-providers-core")
    assert ("got Ready=False (DependencyNotReady: dependency 'cozy-cilium/cilium' is not ready); first blocked "
            "dependency cozy-cilium/cilium; root blocker cozy-cilium/cilium (InstallFailed: ") in capi
    assert [n.ready for n in s.nodes] == [False] * 3  # no CNI: Talos installs none
    assert s.kubevirts == ()  # the KubeVirt CR comes with its release, which never installed


def test_pending_pods_carry_the_scheduler_messages_for_the_real_node_count(undersized_reader: KubeReader) -> None:
    pods = undersized_reader.pending_pods()
    assert len(pods) == 25  # chart pods, the operators' pods (virt-*, cdi-*) and spin-operator's
    web = next(p for p in pods if p.name.startswith("incloud-web-web-"))
    assert web.messages == ("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: "
                            "3 No preemption victims found for incoming pod.",)
    handler = next(p for p in pods if p.name.startswith("virt-handler-"))
    assert handler.messages == ("0/3 nodes are available: 1 Insufficient memory, 2 node(s) didn't match Pod's node "
                                "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims "
                                "found for incoming pod, 2 Preemption is not helpful for scheduling.",)


def test_a_crd_that_is_not_served_reads_as_empty(undersized_reader: KubeReader) -> None:
    assert undersized_reader._custom_items("example.com", "v1", "widgets") == []


def test_an_unreachable_api_is_a_typed_error(undersized: StandIn) -> None:
    reader = KubeReader(api_client(undersized.url, live=False))
    undersized.stop()
    with pytest.raises(KubeApiError, match="list nodes failed"):
        reader.nodes()
    with pytest.raises(KubeApiError):
        reader.helmreleases()


def test_offline_refuses_a_non_loopback_api() -> None:
    with pytest.raises(GuardError, match="10.10.0.101"):
        api_client("https://10.10.0.101:6443", live=False)
    live = api_client("https://10.10.0.101:6443", live=True, token="t0ken", ca_file="/nonexistent/ca.crt")
    assert live.configuration.host == "https://10.10.0.101:6443"
    assert live.configuration.get_api_key_with_prefix("authorization") == "Bearer t0ken"


def test_custom_resources_read_by_table_with_their_defaults() -> None:
    assert KubeVirtStatus.read({"metadata": {"name": "kubevirt"}, "status": None}, "KubeVirt") == \
        KubeVirtStatus(namespace="", name="kubevirt", phase="")
    app = SpinAppStatus.read({"metadata": {"namespace": "demo", "name": "hello"}}, "SpinApp", available=False,
                             reason="NoStatus")
    assert (app.replicas, app.ready_replicas) == (1, 0)


def test_a_malformed_custom_resource_is_refused_naming_kind_path_and_value() -> None:
    with pytest.raises(ShapeError, match="SpinApp: spec.replicas = 'two' is not a valid int"):
        SpinAppStatus.read({"metadata": {"name": "hello"}, "spec": {"replicas": "two"}}, "SpinApp", available=False,
                           reason="NoStatus")
    with pytest.raises(ShapeError, match=r"KubeVirt: metadata.name is missing \(required for name\)"):
        KubeVirtStatus.read({"metadata": {}}, "KubeVirt")
