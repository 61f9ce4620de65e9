"""The stand-in itself: loopback only, discovery, selectors, consistency with the node list, recording."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from fixtures.kube_standin import StandIn, available, nodes_from_topology, start_standin
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.checks import Violation, check_helmreleases_ready
from provisioning.topology import Topology


def get(kube: StandIn, path: str) -> Any:
    with urllib.request.urlopen(kube.url + path, timeout=5) as resp:  # noqa: S310 (loopback test URL)
        return json.load(resp)


def test_binds_loopback_on_a_free_port(undersized: StandIn) -> None:
    assert undersized.url.startswith("http://127.0.0.1:") and not undersized.url.endswith(":0")


def test_recordings_and_discovery(undersized: StandIn) -> None:
    assert available() == ["healthy", "undersized"]
    assert get(undersized, "/api")["versions"] == ["v1"]
    groups = {g["name"] for g in get(undersized, "/apis")["groups"]}
    assert {"helm.toolkit.fluxcd.io", "kubevirt.io", "node.k8s.io", "core.spinkube.dev"} <= groups
    kinds = {r["kind"] for r in get(undersized, "/apis/core.spinkube.dev/v1alpha1")["resources"]}
    assert kinds == {"SpinApp", "SpinAppExecutor"}


def test_helmreleases_carry_only_the_label_v1_3_3_sets(undersized: StandIn) -> None:
    """v1.3.3 labels cozystack.io/package=<Package>; the pre-1.0 query (cozystack.io/system-app=true) finds nothing."""
    every = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")["items"]
    assert every and all(set(i["metadata"]["labels"]) == {"cozystack.io/package"} for i in every)
    old = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=cozystack.io%2Fsystem-app%3Dtrue")
    assert old["items"] == []
    new = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=cozystack.io%2Fpackage")
    assert len(new["items"]) == len(every)


def test_reader_finds_releases_the_way_v1_3_3_labels_them(undersized: StandIn) -> None:
    reader = KubeReader(api_client(undersized.url, live=False))
    assert len(reader.helmreleases()) == len(get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")["items"])
    assert reader.helmreleases("cozystack.io/system-app=true") == ()
    with_old = KubeReader(api_client(undersized.url, live=False), system_label="cozystack.io/system-app=true")
    assert check_helmreleases_ready(with_old.helmreleases()) == [
        Violation("system HelmReleases", ">= 1 present", "0")]


def test_selectors_and_gets(undersized: StandIn) -> None:
    hrs = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=cozystack.io%2Fpackage")
    assert len(hrs["items"]) == 29
    assert get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=nope%3Dx")["items"] == []
    ns = get(undersized, "/apis/helm.toolkit.fluxcd.io/v2/namespaces/cozy-kubevirt/helmreleases")["items"]
    assert sorted(i["metadata"]["name"] for i in ns) == ["kubevirt", "kubevirt-instancetypes", "kubevirt-operator"]
    pending = get(undersized, "/api/v1/pods?fieldSelector=status.phase%3DPending")["items"]
    assert len(pending) == 4
    assert get(undersized, "/api/v1/pods?fieldSelector=status.phase%3DRunning")["items"] == []
    assert get(undersized, "/api/v1/nodes/talos-gateway")["metadata"]["name"] == "talos-gateway"
    with pytest.raises(urllib.error.HTTPError) as err:
        get(undersized, "/api/v1/nodes/nope")
    assert err.value.code == 404


def test_nodes_must_fit_the_recording(approved: Topology, big: Topology) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        start_standin("healthy", nodes_from_topology(approved))
    with pytest.raises(ValueError, match="does not fit"):
        start_standin("undersized", nodes_from_topology(big))
    with pytest.raises(ValueError, match="known"):
        start_standin("nope", nodes_from_topology(approved))


def test_node_memory_follows_the_instance(approved: Topology) -> None:
    nodes = nodes_from_topology(approved, instance_types={"talos-gateway": "t4g.small"})
    with start_standin("undersized", nodes) as kube:
        mem = {n["metadata"]["name"]: n["status"]["capacity"]["memory"] for n in get(kube, "/api/v1/nodes")["items"]}
    assert mem["talos-gateway"] == f"{int(2048 * 1024 * 0.95)}Ki"
    assert mem["talos-compute-2"] == f"{int(4096 * 1024 * 0.95)}Ki"
