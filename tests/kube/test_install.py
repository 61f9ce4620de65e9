"""Install rendering (pure) and apply() against the stand-in, which records what was created."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fixtures.kube_standin import StandIn
from provisioning.data import load_data
from provisioning.errors import ProfileError
from provisioning.kube.adapter import KubeApiError, KubeReader, api_client
from provisioning.kube.install import apply, check_cidrs, render_cozystack, render_install, render_spinkube
from provisioning.topology import Topology


def test_cozystack_package_is_rendered_from_the_topology(approved: Topology) -> None:
    plan = render_cozystack(approved)
    (package,) = plan.objects
    values = package["spec"]["components"]["platform"]["values"]
    assert package["apiVersion"] == "cozystack.io/v1alpha1" and package["kind"] == "Package"
    assert package["metadata"] == {"name": "cozystack.cozystack-platform"}
    assert package["spec"]["variant"] == "isp-full"
    assert values["publishing"]["apiServerEndpoint"] == "https://10.10.0.101:6443"
    assert values["networking"] == {"podCIDR": "10.244.0.0/16", "podGateway": "10.244.0.1",
                                    "serviceCIDR": "10.96.0.0/16", "joinCIDR": "100.64.0.0/16"}
    assert "bundles" not in values


def test_the_api_endpoint_follows_the_first_node(approved: Topology) -> None:
    moved = replace(approved, nodes=(replace(approved.nodes[0], private_ip="10.10.0.150"),) + approved.nodes[1:])
    values = render_cozystack(moved).objects[0]["spec"]["components"]["platform"]["values"]
    assert values["publishing"]["apiServerEndpoint"] == "https://10.10.0.150:6443"


def test_installer_chart_is_the_pinned_version(approved: Topology) -> None:
    (chart,) = render_cozystack(approved, operator_values={"cozystackOperator.disableTelemetry": "true"}).charts
    pinned = load_data("cozystack")["version"]
    assert chart.version == pinned["install"]["chart_version"] and pinned["pinned"] == f"v{chart.version}"
    assert chart.helm_args() == [
        "helm", "upgrade", "--install", "cozystack", "oci://ghcr.io/cozystack/cozystack/cozy-installer",
        "--version", "1.3.3", "--namespace", "cozy-system", "--create-namespace", "--wait", "--timeout", "120s",
        "--set", "cozystackOperator.disableTelemetry=true"]


def test_cidrs_that_clash_with_the_vpc_are_refused(approved: Topology) -> None:
    net = dict(load_data("cozystack")["version"]["install"]["package"]["networking"])
    check_cidrs(approved, net)
    with pytest.raises(ProfileError) as err:
        check_cidrs(approved, {**net, "pod_cidr": "10.10.0.0/16", "pod_gateway": "10.10.0.1",
                               "join_cidr": "10.96.0.0/24"})
    fields = [p.field for p in err.value.problems]
    assert fields == ["cozystack.pod_cidr", "cozystack.service_cidr"]


def test_spinkube_pieces() -> None:
    plan = render_spinkube()
    rc, executor, app = plan.objects
    assert rc == {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"},
                  "handler": "spin"}
    assert executor["spec"]["deploymentConfig"]["runtimeClassName"] == "wasmtime-spin-v2"
    assert app["spec"]["executor"] == executor["metadata"]["name"] and app["spec"]["replicas"] == 1
    assert plan.fetch_urls[0].endswith("/v0.4.0/spin-operator.crds.yaml")


def test_the_install_recorded_by_the_stand_in_matches_the_rendering(fresh_undersized: StandIn,
                                                                    small: Topology) -> None:
    plan = render_install(small)
    api = api_client(fresh_undersized.url, live=False)
    done = apply(plan.objects, api)
    assert [d.action for d in done] == ["created"] * 4
    assert fresh_undersized.created() == list(plan.objects)
    assert [a["path"] for a in fresh_undersized.applied] == [
        "/apis/cozystack.io/v1alpha1/packages", "/apis/node.k8s.io/v1/runtimeclasses",
        "/apis/core.spinkube.dev/v1alpha1/namespaces/default/spinappexecutors",
        "/apis/core.spinkube.dev/v1alpha1/namespaces/default/spinapps"]
    reader = KubeReader(api)
    assert [r.name for r in reader.runtimeclasses()] == ["wasmtime-spin-v2"]
    assert reader.spinapps()[0].reason == "NoStatus"  # spin-operator's pod does not fit: no controller, no status


def test_apply_twice_patches_what_exists(healthy: StandIn, approved: Topology) -> None:
    api = api_client(healthy.url, live=False)
    plan = render_spinkube()
    first = apply(plan.objects, api)
    assert [d.action for d in first] == ["patched"] * 3  # the healthy stand-in already has the install applied
    assert [d.action for d in apply(plan.objects, api)] == ["patched"] * 3
    assert KubeReader(api).spinapps()[0].ready_replicas == 1  # a patch keeps the controller's status


def test_apply_refuses_unknown_kinds_and_reports_api_errors(undersized: StandIn) -> None:
    api = api_client(undersized.url, live=False)
    with pytest.raises(ValueError, match="Deployment"):
        apply([{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}], api)
    undersized.stop()
    with pytest.raises(KubeApiError, match="create RuntimeClass wasmtime-spin-v2"):
        apply(render_spinkube().objects[:1], api)
