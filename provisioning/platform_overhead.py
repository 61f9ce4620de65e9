"""What a real node carries beyond the HelmReleases' chart requests, as data: pods outside the charts, MemTotal.

Pure. provisioning/data/cluster_overhead_v1_3_3.yaml lists the pods no chart renders but the scheduler
counts (Talos's control-plane static pods and CoreDNS, and what KubeVirt, CDI, Piraeus and the Cluster API
operator create once their releases are Ready), each creator with the repository, tag, path and commit its
requests come from, and the reconstructed gap between nominal memory and the kernel's MemTotal.
load_overhead refuses a file whose provenance, checksum or any creator's source is incomplete.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from provisioning.data import DATA_DIR
from provisioning.platform_data import DataDriftError, Workload, read_verified, workload_of
from provisioning.table_view import TableView

SOURCE_FIELDS = ("repository", "tag", "commit", "path")


@dataclass(frozen=True)
class PodCreator(TableView):
    """Pods one creator makes outside any chart, once every release in after is Ready (at once when empty)."""

    FIELDS = {"name": "name", "namespace": "namespace", "created_by": "created_by", "after": "after"}
    DEFAULTS = {"after": ()}
    ERROR = DataDriftError

    name: str
    namespace: str
    created_by: str
    after: tuple[str, ...]
    workloads: tuple[Workload, ...]
    source: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Overhead:
    """The pods outside the charts and the fraction of nominal memory the kernel keeps from MemTotal."""

    creators: tuple[PodCreator, ...]
    memtotal_fraction: float
    memtotal_verified: bool
    provenance: Mapping[str, Any]

    def memtotal_mib(self, nominal_mib: float) -> float:
        """The node's memory capacity as the kubelet reports it (MemTotal), in whole MiB."""
        return float(math.floor(nominal_mib * (1 - self.memtotal_fraction)))

    def without_pods(self) -> Overhead:
        """The same overhead with no pods outside the charts (what the model ignored before they were data)."""
        return replace(self, creators=())


def _check_source(source: Any, where: str) -> dict[str, Any]:
    if not isinstance(source, Mapping):
        raise DataDriftError(f"{where}: no source")
    missing = [f for f in SOURCE_FIELDS if not source.get(f)]
    if missing:
        raise DataDriftError(f"{where}: source lacks {missing}")
    commit = str(source["commit"])
    if len(commit) != 40 and not (commit == "not read" and source.get("verified") is False):
        raise DataDriftError(f"{where}: source commit {commit!r} is neither a 40-hex commit nor 'not read' "
                             f"with verified: false")
    return dict(source)


def build_overhead(provenance: Mapping[str, Any], content: Mapping[str, Any]) -> Overhead:
    """Build the Overhead from a verified file; every creator needs a complete source and known placements."""
    creators = tuple(
        PodCreator.read(c, f"creator {c.get('name')}", source=_check_source(c.get("source"), f"creator {c['name']}"),
                        workloads=tuple(workload_of(w, f"creator {c['name']}") for w in c["workloads"]))
        for c in content["pods_outside_charts"])
    memtotal = content["memtotal"]
    fraction = float(memtotal["overhead_fraction"])
    if not 0 <= fraction < 1:
        raise DataDriftError(f"memtotal.overhead_fraction {fraction} is not in [0, 1)")
    return Overhead(creators=creators, memtotal_fraction=fraction, memtotal_verified=bool(memtotal["verified"]),
                    provenance=provenance)


@cache
def load_overhead(path: Path | None = None) -> Overhead:
    """The pinned overhead (provisioning/data/cluster_overhead_v1_3_3.yaml unless path is given)."""
    return build_overhead(*read_verified(path or DATA_DIR / "cluster_overhead_v1_3_3.yaml"))
