"""Render the pinned CozyStack install and the SpinKube pieces from a Topology, and apply objects.

Rendering is pure: charts (installed with helm by a live run; offline never fetches them) and
Kubernetes objects (plain dicts). apply() creates the objects through the kubernetes client and
patches those that already exist, so it can be repeated.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import urllib3

from provisioning.data import load_data
from provisioning.errors import Problem, ProfileError
from provisioning.kube.adapter import REQUEST_TIMEOUT_S, KubeApiError, api_exception
from provisioning.topology import Topology

if TYPE_CHECKING:
    from kubernetes import client

log = logging.getLogger(__name__)

# (apiVersion, kind) -> (plural, namespaced) for every kind the renderers produce or a live run fetches.
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("node.k8s.io/v1", "RuntimeClass"): ("runtimeclasses", False),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("cozystack.io/v1alpha1", "Package"): ("packages", False),
    ("core.spinkube.dev/v1alpha1", "SpinAppExecutor"): ("spinappexecutors", True),
    ("core.spinkube.dev/v1alpha1", "SpinApp"): ("spinapps", True),
}


@dataclass(frozen=True)
class HelmChart:
    """A chart a live run installs with helm (on the bastion); never fetched offline."""

    release: str
    chart: str
    version: str
    namespace: str
    timeout_s: int
    values: Mapping[str, str] = field(default_factory=dict)

    def helm_args(self) -> list[str]:
        """The `helm upgrade --install` argv for this chart (values as --set key=value)."""
        args = ["helm", "upgrade", "--install", self.release, self.chart, "--version", self.version,
                "--namespace", self.namespace, "--create-namespace", "--wait", "--timeout", f"{self.timeout_s}s"]
        for key, value in sorted(self.values.items()):
            args += ["--set", f"{key}={value}"]
        return args


@dataclass(frozen=True)
class InstallPlan:
    """What to install, in order: manifests to fetch and apply, charts, then objects."""

    charts: tuple[HelmChart, ...]
    objects: tuple[dict[str, Any], ...]
    fetch_urls: tuple[str, ...] = ()

    def __add__(self, other: InstallPlan) -> InstallPlan:
        return InstallPlan(self.charts + other.charts, self.objects + other.objects, self.fetch_urls + other.fetch_urls)


@dataclass(frozen=True)
class Applied:
    """One object apply() handled: created, or patched because it existed."""

    kind: str
    namespace: str | None
    name: str
    action: str


def check_cidrs(topo: Topology, net: Mapping[str, str]) -> None:
    """Raise ProfileError when the pod/service/join CIDRs overlap the VPC or each other, or the gateway is outside."""
    vpc = ipaddress.IPv4Network(topo.vpc_cidr)
    problems = []
    nets = {k: ipaddress.IPv4Network(net[k]) for k in ("pod_cidr", "service_cidr", "join_cidr")}
    for key, cidr in nets.items():
        if cidr.overlaps(vpc):
            problems.append(Problem(f"cozystack.{key}", str(cidr), f"overlaps the VPC {vpc}"))
    names = list(nets)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if nets[a].overlaps(nets[b]):
                problems.append(Problem(f"cozystack.{a}", str(nets[a]), f"overlaps {b} {nets[b]}"))
    if ipaddress.IPv4Address(net["pod_gateway"]) not in nets["pod_cidr"]:
        problems.append(Problem("cozystack.pod_gateway", net["pod_gateway"], f"not inside {nets['pod_cidr']}"))
    if problems:
        raise ProfileError(f"{topo.source} + data/cozystack.yaml", problems)


def api_server_endpoint(topo: Topology) -> str:
    """https://<first node's private IP>:6443 (the gateway is the control plane)."""
    port = load_data("cozystack")["version"]["install"]["package"]["api_server_port"]
    return f"https://{topo.nodes[0].private_ip}:{port}"


def render_cozystack(topo: Topology, *, operator_values: Mapping[str, str] | None = None) -> InstallPlan:
    """Render the pinned CozyStack v1 install: the installer chart, then the platform Package.

    operator_values are extra chart values (for example cozystackOperator.platformSourceUrl pointing
    at the bastion's ghcr.io cache). Raises ProfileError when the CozyStack CIDRs clash with the VPC.
    """
    inst = load_data("cozystack")["version"]["install"]
    pkg = inst["package"]
    net = pkg["networking"]
    check_cidrs(topo, net)
    values: dict[str, Any] = {
        "publishing": {"host": pkg["publishing_host"], "apiServerEndpoint": api_server_endpoint(topo),
                       "exposedServices": list(pkg["exposed_services"])},
        "networking": {"podCIDR": net["pod_cidr"], "podGateway": net["pod_gateway"],
                       "serviceCIDR": net["service_cidr"], "joinCIDR": net["join_cidr"]},
    }
    if pkg["disabled_packages"]:
        values["bundles"] = {"disabledPackages": list(pkg["disabled_packages"])}
    package = {"apiVersion": pkg["api_version"], "kind": pkg["kind"], "metadata": {"name": pkg["name"]},
               "spec": {"variant": pkg["variant"], "components": {"platform": {"values": values}}}}
    chart = HelmChart(release=inst["release"], chart=inst["chart"], version=str(inst["chart_version"]),
                      namespace=inst["namespace"], timeout_s=int(inst["helm_timeout_s"]),
                      values=dict(operator_values or {}))
    return InstallPlan(charts=(chart,), objects=(package,), fetch_urls=tuple(inst["live_fetch"]))


def render_spinkube() -> InstallPlan:
    """Render SpinKube: CRD manifest + operator chart (live only), RuntimeClass, SpinAppExecutor, hello SpinApp."""
    spin = load_data("cozystack")["spinkube"]
    op, rc, ex, app = spin["operator"], spin["runtime_class"], spin["executor"], spin["hello_app"]
    api = f"{spin['group']}/{spin['version']}"
    objects: tuple[dict[str, Any], ...] = (
        {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": rc["name"]},
         "handler": rc["handler"]},
        {"apiVersion": api, "kind": "SpinAppExecutor", "metadata": {"name": ex["name"], "namespace": ex["namespace"]},
         "spec": {"createDeployment": True,
                  "deploymentConfig": {"runtimeClassName": rc["name"], "installDefaultCACerts": True}}},
        {"apiVersion": api, "kind": "SpinApp", "metadata": {"name": app["name"], "namespace": app["namespace"]},
         "spec": {"image": app["image"], "replicas": int(app["replicas"]), "executor": ex["name"]}},
    )
    chart = HelmChart(release="spin-operator", chart=op["chart"], version=str(op["chart_version"]),
                      namespace=op["namespace"], timeout_s=int(op["helm_timeout_s"]))
    return InstallPlan(charts=(chart,), objects=objects,
                       fetch_urls=(op["crds_url"], f"{op['chart']}:{op['chart_version']}"))


def render_install(topo: Topology, *, operator_values: Mapping[str, str] | None = None) -> InstallPlan:
    """CozyStack first (it brings cert-manager, which spin-operator needs), then SpinKube."""
    return render_cozystack(topo, operator_values=operator_values) + render_spinkube()


def _split(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _apply_one(obj: Mapping[str, Any], core: client.CoreV1Api, custom: client.CustomObjectsApi) -> Applied:
    api_version, kind, meta = obj["apiVersion"], obj["kind"], obj["metadata"]
    if (api_version, kind) not in KINDS:
        raise ValueError(f"apply() does not know {kind} ({api_version}); known: {sorted(KINDS)}")
    plural, namespaced = KINDS[(api_version, kind)]
    name, ns = meta["name"], meta.get("namespace") if namespaced else None
    group, version = _split(api_version)
    t = REQUEST_TIMEOUT_S
    try:
        if kind == "Namespace":
            core.create_namespace(body=dict(obj), _request_timeout=t)
        elif ns:
            custom.create_namespaced_custom_object(group, version, ns, plural, dict(obj), _request_timeout=t)
        else:
            custom.create_cluster_custom_object(group, version, plural, dict(obj), _request_timeout=t)
        return Applied(kind, ns, name, "created")
    except api_exception() as exc:
        if exc.status != 409:
            raise KubeApiError(f"create {kind} {name}", exc.status, str(exc.reason)) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubeApiError(f"create {kind} {name}", None, f"API unreachable: {exc}") from exc
    try:
        if kind == "Namespace":
            return Applied(kind, ns, name, "exists")
        if ns:
            custom.patch_namespaced_custom_object(group, version, ns, plural, name, dict(obj), _request_timeout=t)
        else:
            custom.patch_cluster_custom_object(group, version, plural, name, dict(obj), _request_timeout=t)
    except api_exception() as exc:
        raise KubeApiError(f"patch {kind} {name}", exc.status, str(exc.reason)) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubeApiError(f"patch {kind} {name}", None, f"API unreachable: {exc}") from exc
    return Applied(kind, ns, name, "patched")


def apply(objects: Sequence[Mapping[str, Any]], api: client.ApiClient) -> tuple[Applied, ...]:
    """Create each object in order (merge-patch it when it exists); raises KubeApiError on the first failure.

    A 404 on a custom kind means its CRD is not served yet: wrap apply() in waiting.wait_for to retry.
    """
    from kubernetes import client  # imported where used: the client costs ~0.45 s of start-up

    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    done = []
    for obj in objects:
        result = _apply_one(obj, core, custom)
        log.info("applied %s %s/%s: %s", result.kind, result.namespace or "-", result.name, result.action)
        done.append(result)
    return tuple(done)
