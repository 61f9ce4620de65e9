"""The CozyStack platform and SpinKube facts as data: releases, dependsOn, workload requests, node reservations.

Pure. Each file (provisioning/data/cozystack_v1_3_3.yaml, spin_operator_v0_4_0.yaml,
kubelet_allocatable.yaml) opens with a provenance block naming repository, tag, commit, paths,
the date read, and the sha256 of everything after it; load_* refuses a file whose provenance is
incomplete or whose content no longer matches its checksum (DataDriftError, naming the file).
Both the capacity verdict and the Kubernetes stand-in read these; neither writes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from provisioning import yamlio
from provisioning.data import DATA_DIR
from provisioning.quantity import parse_quantity
from provisioning.table_view import ShapeError, TableView

PROVENANCE_FIELDS = ("repository", "tag", "commit", "paths", "read", "content_sha256")
PLACEMENTS = ("every", "control-plane", "any")


class DataDriftError(ShapeError):
    """A data file's provenance is incomplete, its content does not match its checksum, or an entry is malformed."""


def content_sha256(content: Mapping[str, Any]) -> str:
    """The checksum of a data file's content (every key but provenance), canonical JSON, sha256 hex."""
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def verified(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Return doc's content after checking its provenance block and checksum (DataDriftError otherwise)."""
    prov = doc.get("provenance")
    if not isinstance(prov, Mapping):
        raise DataDriftError(f"{name}: no provenance block")
    missing = [f for f in PROVENANCE_FIELDS if not prov.get(f)]
    if missing:
        raise DataDriftError(f"{name}: provenance lacks {missing}")
    if len(str(prov["commit"])) != 40:
        raise DataDriftError(f"{name}: provenance commit {prov['commit']!r} is not a 40-hex commit")
    content = {k: v for k, v in doc.items() if k != "provenance"}
    actual = content_sha256(content)
    if actual != prov["content_sha256"]:
        raise DataDriftError(f"{name}: content sha256 {actual} differs from provenance.content_sha256 "
                             f"{prov['content_sha256']}: the facts changed without re-deriving them")
    return content


def read_verified(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(provenance, content) of a data file, verified."""
    with path.open(encoding="utf-8") as fh:
        doc = yamlio.load(fh)
    return dict(doc["provenance"]) if isinstance(doc, Mapping) and "provenance" in doc else {}, \
        verified(doc if isinstance(doc, Mapping) else {}, path.name)


def millicores(value: str | int | float) -> int:
    """CPU quantity -> millicores ('100m' -> 100, '2' -> 2000)."""
    return int(parse_quantity(str(value)) * 1000)


def mebibytes(value: str | int | float) -> float:
    """Memory quantity -> MiB ('64Mi' -> 64, '1Gi' -> 1024)."""
    return float(parse_quantity(str(value))) / 2**20


@dataclass(frozen=True)
class Workload(TableView):
    """Pods of one workload of a release: kind, placement, replicas, and one pod's requests."""

    FIELDS = {"name": "name", "kind": "kind", "placement": "placement", "source": "from"}
    ERROR = DataDriftError

    name: str
    kind: str
    placement: str
    replicas: int | str
    cpu_m: int
    memory_mib: float
    source: str

    def count(self, control_planes: int, nodes: int) -> int:
        """How many pods exist for a cluster of nodes with control_planes of them control planes."""
        if self.placement == "every":
            return nodes
        return control_planes if self.replicas == "control-planes" else int(self.replicas)


@dataclass(frozen=True)
class Release(TableView):
    """A HelmRelease CozyStack creates: identity, Package, chart, dependsOn ("ns/name") and workloads."""

    FIELDS = {"namespace": "namespace", "name": "name", "package": "package", "chart": "chart",
              "chart_version": "chart_version", "path": "path", "depends_on": "depends_on"}
    ERROR = DataDriftError

    namespace: str
    name: str
    package: str
    chart: str
    chart_version: str
    path: str
    depends_on: tuple[str, ...]
    workloads: tuple[Workload, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Platform:
    """Every release of the pinned CozyStack variant, in the data file's order, and where they came from."""

    version: str
    variant: str
    releases: tuple[Release, ...]
    provenance: Mapping[str, Any]

    def release(self, key: str) -> Release:
        """The release 'namespace/name' (KeyError names it)."""
        for r in self.releases:
            if r.key == key:
                return r
        raise KeyError(f"no release {key} in CozyStack {self.version}")

    @property
    def label(self) -> str:
        """How a report names this data: reconstructed from <repository> <tag> <path>."""
        return f"reconstructed from {self.provenance['repository']} {self.provenance['tag']} packages/core/platform"


def workload_of(raw: Mapping[str, Any], where: str) -> Workload:
    """A Workload from its data-file entry (DataDriftError naming where for an unknown placement)."""
    if raw.get("placement") not in PLACEMENTS:
        raise DataDriftError(f"{where}: placement {raw.get('placement')!r} is not one of {PLACEMENTS}")
    return Workload.read(raw, where, replicas=raw["replicas"], cpu_m=millicores(raw["cpu"]),
                         memory_mib=mebibytes(raw["memory"]))


def build_platform(provenance: Mapping[str, Any], content: Mapping[str, Any]) -> Platform:
    """Build the Platform from a verified file; every dependsOn must name a release of the file."""
    releases = tuple(Release.read(r, f"release {r.get('namespace')}/{r.get('name')}",
                                  workloads=tuple(workload_of(w, f"{r.get('namespace')}/{r.get('name')}")
                                                  for w in r.get("workloads") or ()))
                     for r in content["releases"])
    keys = [r.key for r in releases]
    dangling = sorted({d for r in releases for d in r.depends_on} - set(keys))
    if dangling or len(set(keys)) != len(keys):
        raise DataDriftError(f"releases: dangling dependsOn {dangling} or duplicate keys")
    return Platform(version=str(provenance["tag"]), variant=str(content["variant"]), releases=releases,
                    provenance=provenance)


@cache
def load_platform(path: Path | None = None) -> Platform:
    """The pinned CozyStack platform (provisioning/data/cozystack_v1_3_3.yaml unless path is given)."""
    return build_platform(*read_verified(path or DATA_DIR / "cozystack_v1_3_3.yaml"))


@dataclass(frozen=True)
class NodeReservation:
    """What Talos' kubelet keeps from a node: system-reserved per machine type and the hard eviction threshold."""

    cpu_m: int
    memory_mib: Mapping[str, float]
    eviction_memory_mib: float
    max_pods: int
    provenance: Mapping[str, Any]

    def allocatable(self, vcpu: int, memory_mib: float, machine_type: str) -> tuple[int, float]:
        """(millicores, MiB) the scheduler can hand out on a node of this size and Talos machine type."""
        return (max(0, vcpu * 1000 - self.cpu_m),
                max(0.0, memory_mib - self.memory_mib[machine_type] - self.eviction_memory_mib))


@cache
def load_reservation() -> NodeReservation:
    """Talos v1.12's kubelet reservations and the kubelet's eviction default (kubelet_allocatable.yaml)."""
    prov, content = read_verified(DATA_DIR / "kubelet_allocatable.yaml")
    reserved = content["system_reserved"]
    return NodeReservation(cpu_m=millicores(reserved["cpu"]),
                           memory_mib={k: mebibytes(v) for k, v in reserved["memory"].items()},
                           eviction_memory_mib=mebibytes(content["eviction_hard"]["memory.available"]),
                           max_pods=int(content["max_pods"]), provenance=prov)


@dataclass(frozen=True)
class SpinOperator:
    """spin-operator as its chart installs it: its workloads and the release it cannot run without."""

    version: str
    namespace: str
    workloads: tuple[Workload, ...]
    requires: tuple[str, ...]
    provenance: Mapping[str, Any]


@cache
def load_spin_operator() -> SpinOperator:
    """spin-operator v0.4.0 (spin_operator_v0_4_0.yaml)."""
    prov, content = read_verified(DATA_DIR / "spin_operator_v0_4_0.yaml")
    return SpinOperator(version=str(prov["tag"]), namespace=str(content["namespace"]),
                        workloads=tuple(workload_of(w, "spin-operator") for w in content["workloads"]),
                        requires=tuple(r["release"] for r in content["requires"]), provenance=prov)


def requested(workloads: Sequence[Workload], control_planes: int, nodes: int) -> tuple[int, float]:
    """Total (millicores, MiB) the workloads request on a cluster of this shape."""
    pods = [(w, w.count(control_planes, nodes)) for w in workloads]
    return sum(w.cpu_m * n for w, n in pods), sum(w.memory_mib * n for w, n in pods)
