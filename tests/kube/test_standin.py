"""The stand-in itself: loopback only, discovery, selectors, labels as v1.3.3 sets them, outcome from the model."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fixtures.kube_standin import StandIn, evidence_label, nodes_from_topology, start_standin
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.checks import Violation, check_helmreleases_ready
from provisioning.kube.install import apply, render_install
from provisioning.topology import Topology

HRS = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"


def get(kube: StandIn, path: str) -> Any:
    with urllib.request.urlopen(kube.url + path, timeout=5) as resp:  # noqa: S310 (loopback test URL)
        return json.load(resp)


def test_binds_loopback_on_a_free_port(undersized: StandIn) -> None:
    assert undersized.url.startswith("http://127.0.0.1:") and not undersized.url.endswith(":0")


def test_discovery(undersized: StandIn) -> None:
    assert get(undersized, "/api")["versions"] == ["v1"]
    groups = {g["name"] for g in get(undersized, "/apis")["groups"]}
    assert {"helm.toolkit.fluxcd.io", "kubevirt.io", "node.k8s.io", "core.spinkube.dev"} <= groups
    kinds = {r["kind"] for r in get(undersized, "/apis/core.spinkube.dev/v1alpha1")["resources"]}
    assert kinds == {"SpinApp", "SpinAppExecutor"}


def test_helmreleases_carry_only_the_label_v1_3_3_sets(undersized: StandIn) -> None:
    """v1.3.3 labels cozystack.io/package=<Package>; the pre-1.0 query (cozystack.io/system-app=true) finds nothing."""
    every = get(undersized, HRS)["items"]
    assert len(every) == 83
    assert all(set(i["metadata"]["labels"]) == {"cozystack.io/package"} for i in every)
    assert get(undersized, f"{HRS}?labelSelector=cozystack.io%2Fsystem-app%3Dtrue")["items"] == []
    assert len(get(undersized, f"{HRS}?labelSelector=cozystack.io%2Fpackage")["items"]) == 83
    certs = get(undersized, f"{HRS}?labelSelector=cozystack.io%2Fpackage%3Dcozystack.cert-manager")["items"]
    assert sorted(i["metadata"]["name"] for i in certs) == ["cert-manager", "cert-manager-crds", "cert-manager-issuers"]


def test_reader_finds_releases_the_way_v1_3_3_labels_them(undersized: StandIn) -> None:
    reader = KubeReader(api_client(undersized.url, live=False))
    assert len(reader.helmreleases()) == 83
    assert reader.helmreleases("cozystack.io/system-app=true") == ()
    with_old = KubeReader(api_client(undersized.url, live=False), system_label="cozystack.io/system-app=true")
    assert check_helmreleases_ready(with_old.helmreleases()) == [
        Violation("system HelmReleases", ">= 1 present", "0")]


def test_nothing_exists_until_the_package_is_applied(small: Topology) -> None:
    with start_standin(nodes_from_topology(small)) as kube:
        assert get(kube, HRS)["items"] == []
        nodes = get(kube, "/api/v1/nodes")["items"]
        assert {c["status"] for n in nodes for c in n["status"]["conditions"]} == {"False"}  # no CNI yet
        apply(render_install(small).objects, api_client(kube.url, live=False))
        assert len(get(kube, HRS)["items"]) == 83


def test_a_variant_the_model_does_not_know_is_refused(small: Topology) -> None:
    package = dict(render_install(small).objects[0])
    package["spec"] = {**package["spec"], "variant": "isp-hosted"}
    with start_standin(nodes_from_topology(small)) as kube:
        request = urllib.request.Request(kube.url + "/apis/cozystack.io/v1alpha1/packages", method="POST",
                                         data=json.dumps(package).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback test URL)
        assert err.value.code == 422 and "variant isp-full only" in json.load(err.value)["message"]


def test_selectors_and_gets(undersized: StandIn) -> None:
    ns = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/namespaces/cozy-kubevirt/helmreleases")["items"]
    assert sorted(i["metadata"]["name"] for i in ns) == ["kubevirt", "kubevirt-instancetypes", "kubevirt-operator"]
    pending = get(undersized, "/api/v1/pods?fieldSelector=status.phase%3DPending")["items"]
    names = {p["metadata"]["name"] for p in pending}
    assert {n.rsplit("-", 2)[0] for n in names} >= {"fdb-operator", "incloud-web-web", "virt-api", "cdi-apiserver",
                                                     "spin-operator-controller-manager"}
    assert all(p["status"]["conditions"][0]["reason"] == "Unschedulable" for p in pending)
    assert get(undersized, "/api/v1/pods?fieldSelector=status.phase%3DRunning")["items"]
    assert get(undersized, "/api/v1/nodes/talos-gateway")["metadata"]["name"] == "talos-gateway"
    with pytest.raises(urllib.error.HTTPError) as err:
        get(undersized, "/api/v1/nodes/nope")
    assert err.value.code == 404


def test_node_sizes_follow_the_instance_and_talos_reservations(approved: Topology) -> None:
    nodes = nodes_from_topology(approved, instance_types={"talos-gateway": "t4g.small"})
    plan = render_install(approved)
    with start_standin(nodes, charts=[c.release for c in plan.charts]) as kube:
        apply(plan.objects, api_client(kube.url, live=False))
        got = {n["metadata"]["name"]: n["status"] for n in get(kube, "/api/v1/nodes")["items"]}
    # capacity is MemTotal: nominal less the reconstructed 7.5 % (2048 -> 1894 MiB, 4096 -> 3788 MiB)
    assert got["talos-gateway"]["capacity"]["memory"] == f"{1894 * 1024}Ki"
    # control plane: 512 MiB system-reserved + 100 MiB eviction; worker: 384 MiB + 100 MiB; 50m CPU each
    assert got["talos-gateway"]["allocatable"]["memory"] == f"{(1894 - 612) * 1024}Ki"
    assert got["talos-compute-2"]["allocatable"]["memory"] == f"{(3788 - 484) * 1024}Ki"
    assert got["talos-compute-2"]["allocatable"]["cpu"] == "1950m"


def test_an_empty_node_list_or_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one node"):
        start_standin([])
    with pytest.raises(ValueError, match="roles"):
        start_standin([{"name": "n", "ip": "10.0.0.1", "role": "boss", "vcpu": 2, "memory_mib": 4096}])


def test_the_evidence_label_says_reconstructed_never_recorded() -> None:
    from fixtures.reporting import kube_evidence

    label = evidence_label()
    assert "reconstructed from cozystack/cozystack v1.3.3" in label and "recorded" not in label
    assert kube_evidence() == label  # what every offline CozyStack step's report entry says


def test_what_an_install_created_survives_into_the_next_session(approved: Topology, tmp_path: Path) -> None:
    """A kept run's cluster still holds what the first session installed (replayed through the model);
    without the file a new stand-in starts empty."""
    kept, nodes, plan = tmp_path / "kube-standin.json", nodes_from_topology(approved), render_install(approved)
    charts = [c.release for c in plan.charts]
    rc = "/apis/node.k8s.io/v1/runtimeclasses"
    with start_standin(nodes, charts=charts, kept=kept) as first:
        done = apply(plan.objects, api_client(first.url, live=False))
        assert "patched" not in {d.action for d in done}
        uid = get(first, f"{rc}/wasmtime-spin-v2")["metadata"]["uid"]
        releases = sorted(h["metadata"]["name"] for h in get(first, HRS)["items"])
    assert releases and stat.S_IMODE(kept.stat().st_mode) == 0o600
    with start_standin(nodes, charts=charts, kept=kept) as second:
        assert get(second, f"{rc}/wasmtime-spin-v2")["metadata"]["uid"] == uid
        assert sorted(h["metadata"]["name"] for h in get(second, HRS)["items"]) == releases
        again = apply(plan.objects, api_client(second.url, live=False))
        assert {d.action for d in again} <= {"patched", "exists"}, again
    with start_standin(nodes, charts=charts) as fresh:
        assert get(fresh, rc)["items"] == [] and get(fresh, HRS)["items"] == []
