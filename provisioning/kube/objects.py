"""What the cluster reads return: frozen views of nodes, HelmReleases, pods, KubeVirt, RuntimeClasses, SpinApps.

Each holds only what the checks need. The custom resources are read from their JSON by a table
(provisioning/table_view.py); provisioning/kube/adapter.py's KubeReader builds them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provisioning.table_view import TableView


@dataclass(frozen=True)
class KubeNode:
    """A Node: readiness, architecture, allocatable (and capacity) resources, KVM devices, Talos extension labels."""

    name: str
    ready: bool
    architecture: str
    internal_ip: str | None
    cpu_millicores: int
    memory_bytes: int
    kvm_allocatable: int | None
    extensions: Mapping[str, str] = field(default_factory=dict)
    capacity_millicores: int | None = None
    capacity_memory_bytes: int | None = None

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / 2**30


@dataclass(frozen=True)
class HelmRelease(TableView):
    """A Flux HelmRelease: its Ready condition and what it depends on ("namespace/name")."""

    FIELDS = {"namespace": "metadata.namespace", "name": "metadata.name"}
    DEFAULTS = {"namespace": ""}

    namespace: str
    name: str
    ready: bool
    reason: str
    message: str
    depends_on: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class PendingPod:
    """A Pending pod and the scheduler's messages (FailedScheduling events, PodScheduled condition)."""

    namespace: str
    name: str
    messages: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class KubeVirtStatus(TableView):
    """The KubeVirt CR's phase (Deployed when KubeVirt is up)."""

    FIELDS = {"namespace": "metadata.namespace", "name": "metadata.name", "phase": "status.phase"}
    DEFAULTS = {"namespace": "", "phase": ""}

    namespace: str
    name: str
    phase: str


@dataclass(frozen=True)
class RuntimeClassInfo:
    """A RuntimeClass name and its CRI handler."""

    name: str
    handler: str


@dataclass(frozen=True)
class SpinAppStatus(TableView):
    """A SpinApp: desired vs ready replicas and its Available condition."""

    FIELDS = {"namespace": "metadata.namespace", "name": "metadata.name", "replicas": "spec.replicas",
              "ready_replicas": "status.readyReplicas"}
    DEFAULTS = {"namespace": "", "replicas": 1, "ready_replicas": 0}

    namespace: str
    name: str
    replicas: int
    ready_replicas: int
    available: bool
    reason: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class AppPod:
    """A pod of an app (selected by label): where it runs and whether it is Running and Ready."""

    namespace: str
    name: str
    node: str | None
    phase: str
    ready: bool

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServiceAnswer:
    """What a GET through the API server's service proxy returned (status and body text)."""

    status: int
    body: str


@dataclass(frozen=True)
class ClusterSnapshot:
    """Everything phase 04 reads, taken at one moment."""

    nodes: tuple[KubeNode, ...]
    helmreleases: tuple[HelmRelease, ...]
    pending_pods: tuple[PendingPod, ...]
    kubevirts: tuple[KubeVirtStatus, ...]
    runtimeclasses: tuple[RuntimeClassInfo, ...]
    spinapps: tuple[SpinAppStatus, ...]
