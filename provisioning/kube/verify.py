"""Phase 04 as the scenarios ask it: one method per rule, each reading the cluster afresh.

ClusterChecks binds a KubeReader to what the lab should look like (Expectations, from the
topology, the provisioned node names and data/cozystack.yaml). Every method returns the
violations of one named check (names as in checks.CHECK_NAMES, which the capacity verdict
predicts), so a step is one call plus an assertion, and tests call the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provisioning.data import load_data
from provisioning.kube.adapter import KubeReader
from provisioning.kube.checks import (
    Violation,
    check_helmreleases_ready,
    check_kubevirt_deployed,
    check_kvm,
    check_node_architecture,
    check_node_capacity,
    check_nodes_ready,
    check_runtimeclass,
    check_spinapps_ready,
    helmrelease_causes,
    kubevirt_causes,
    spinapp_causes,
)
from provisioning.kube.objects import AppPod, KubeNode
from provisioning.platform_data import load_spin_operator
from provisioning.platform_model import KUBEVIRT
from provisioning.topology import Topology


@dataclass(frozen=True)
class HelloApp:
    """The hello SpinApp: where it lives, how its Service is reached and what it answers."""

    namespace: str
    name: str
    service_port: int
    pod_label: str
    route: str
    answer: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Expectations:
    """What phase 04 expects of the cluster."""

    nodes: tuple[str, ...]
    architecture: str
    min_cores: int
    min_memory_gib: float
    runtime_class: str
    handler: str
    kubevirt_phase: str
    kvm_resource: str
    hello: HelloApp

    @classmethod
    def for_lab(cls, topo: Topology, node_names: Sequence[str] | None = None) -> Expectations:
        """Expectations for topo; node_names are the provisioned nodes' names (default: the profile's)."""
        data = load_data("cozystack")
        spin, app = data["spinkube"], data["spinkube"]["hello_app"]
        return cls(nodes=tuple(node_names if node_names is not None else (n.name for n in topo.nodes)),
                   architecture=topo.node_architecture, min_cores=int(data["minimum"]["cores"]),
                   min_memory_gib=float(data["minimum"]["memory_gib"]),
                   runtime_class=spin["runtime_class"]["name"], handler=spin["runtime_class"]["handler"],
                   kubevirt_phase=data["kubevirt"]["deployed_phase"], kvm_resource=data["kubevirt"]["kvm_resource"],
                   hello=HelloApp(namespace=app["namespace"], name=app["name"],
                                  service_port=int(app["service_port"]), pod_label=app["pod_label"],
                                  route=app["route"], answer=app["answer"]))


def check_app_pods(pods: Sequence[AppPod], nodes: Sequence[KubeNode], app: str,
                   architecture: str) -> list[Violation]:
    """The app has at least one pod, each Running and Ready on a node of the given architecture."""
    if not pods:
        return [Violation(f"pods of {app}", "at least one Running pod", "none")]
    arch = {n.name: n.architecture for n in nodes}
    out = []
    for p in pods:
        where = arch.get(p.node or "", "no node" if p.node is None else f"unknown node {p.node}")
        if p.phase != "Running" or not p.ready:
            out.append(Violation(f"Pod {p.key}", "Running and Ready", f"{p.phase}, Ready={p.ready}"))
        if where != architecture:
            out.append(Violation(f"Pod {p.key}", f"on an {architecture} node", f"on {p.node} ({where})"))
    return out


class ClusterChecks:
    """The named checks of phase 04 over one reader (each call reads the API again)."""

    def __init__(self, reader: KubeReader, expect: Expectations) -> None:
        self.reader = reader
        self.expect = expect

    def nodes_ready(self) -> list[Violation]:
        """Every provisioned node is registered and Ready."""
        return check_nodes_ready(self.reader.nodes(), self.expect.nodes)

    def node_architecture(self, architecture: str | None = None) -> list[Violation]:
        """Every node reports architecture (default: the profile's)."""
        return check_node_architecture(self.reader.nodes(), architecture or self.expect.architecture)

    def node_capacity(self) -> list[Violation]:
        """Every node's allocatable CPU and memory reach CozyStack's minimum."""
        return check_node_capacity(self.reader.nodes(), min_cores=self.expect.min_cores,
                                   min_memory_gib=self.expect.min_memory_gib)

    def helmreleases_ready(self) -> list[Violation]:
        """Every system HelmRelease is Ready; failures name reason, blocked dependency and pending pods."""
        releases = self.reader.helmreleases()
        return check_helmreleases_ready(releases, self.reader.pending_pods() if releases else ())

    def helmrelease_causes(self) -> dict[str, str]:
        """Why the HelmReleases are not all Ready, by cause (root blockers, stray Pending pods)."""
        releases = self.reader.helmreleases()
        return helmrelease_causes(releases, self.reader.pending_pods())

    def spinapp_causes(self) -> dict[str, str]:
        """Why the hello SpinApp is not ready, by cause (the blocker of what spin-operator needs, or its pods)."""
        spin = load_spin_operator()
        return spinapp_causes(self.reader.helmreleases(), self.reader.pending_pods(), requires=spin.requires,
                              operator=f"{spin.namespace}/spin-operator", app=self.expect.hello.key)

    def kubevirt_causes(self) -> dict[str, str]:
        """Why KubeVirt is not Deployed, by cause (its release's root blocker, its Pending pods, its phase)."""
        return kubevirt_causes(self.reader.helmreleases(), self.reader.pending_pods(), self.reader.kubevirts(),
                               KUBEVIRT)

    def kvm(self) -> list[Violation]:
        """Every node offers KVM devices to KubeVirt."""
        return check_kvm(self.reader.nodes(), self.expect.kvm_resource)

    def kubevirt_deployed(self) -> list[Violation]:
        """The KubeVirt CR reports Deployed."""
        return check_kubevirt_deployed(self.reader.kubevirts(), self.expect.kubevirt_phase)

    def runtimeclass(self) -> list[Violation]:
        """The Spin RuntimeClass exists with its handler."""
        return check_runtimeclass(self.reader.runtimeclasses(), self.expect.runtime_class, self.expect.handler)

    def spinapps_ready(self, architecture: str | None = None) -> list[Violation]:
        """The hello SpinApp is ready and its pods run Ready on nodes of architecture (default: the profile's)."""
        hello = self.expect.hello
        out = check_spinapps_ready(self.reader.spinapps(), [hello.key])
        if out:
            return out
        pods = self.reader.app_pods(hello.namespace, f"{hello.pod_label}={hello.name}")
        return check_app_pods(pods, self.reader.nodes(), hello.key, architecture or self.expect.architecture)

    def hello_answers(self) -> list[Violation]:
        """GET the hello route through the API server's service proxy and expect the example's answer."""
        hello = self.expect.hello
        got = self.reader.service_get(hello.namespace, hello.name, hello.service_port, hello.route)
        what = f"Service {hello.key}:{hello.service_port} GET {hello.route}"
        if got.status != 200 or hello.answer not in got.body:
            return [Violation(what, f"HTTP 200 with {hello.answer!r}",
                              f"HTTP {got.status}: {got.body.strip()[:200]!r}")]
        return []
