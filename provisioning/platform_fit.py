"""The verdict's scheduling rule: do CozyStack's pod requests fit what the nodes can allocate, in total?

Pure arithmetic over provisioning/platform_data: the sum of every request of CozyStack v1.3.3
(and spin-operator), DaemonSets once per node and control-plane workloads once per control plane,
against the sum of the nodes' allocatable (capacity - Talos system-reserved - eviction threshold),
plus the largest pod against the largest node. It deliberately does not place pods one by one or
follow dependsOn (the stand-in's model does both), so the two can disagree: fragmentation the sum
cannot see shows up as an unpredicted failure, a sum that overstates as an unexpected pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from provisioning.platform_data import load_platform, load_reservation, load_spin_operator, requested


def _gib(mib: float) -> str:
    return f"{mib / 1024:.1f} GiB"


def requests_fit(nodes: Sequence[Any], vcpu_mib: Callable[[Any], tuple[int, int]],
                 machine_types: Mapping[str, str]) -> tuple[bool, str, str, str, str]:
    """(met, measured, required, source, problem) for the nodes (each with .role; sizes via vcpu_mib)."""
    platform, spin, reserve = load_platform(), load_spin_operator(), load_reservation()
    workloads = [w for r in platform.releases for w in r.workloads] + list(spin.workloads)
    types = [machine_types.get(n.role, "worker") for n in nodes]
    cp = types.count("controlplane")
    cpu_need, mem_need = requested(workloads, cp, len(nodes))
    alloc = [reserve.allocatable(*vcpu_mib(n), t) for n, t in zip(nodes, types, strict=True)]
    cpu_have, mem_have = sum(a[0] for a in alloc), sum(a[1] for a in alloc)
    biggest = max(workloads, key=lambda w: w.memory_mib)
    roomiest = max(a[1] for a in alloc)
    met = cpu_need <= cpu_have and mem_need <= mem_have and biggest.memory_mib <= roomiest
    measured = f"{_gib(mem_need)} and {cpu_need / 1000:g} cores requested"
    required = f"at most {_gib(mem_have)} and {cpu_have / 1000:g} cores allocatable"
    source = (f"{platform.label} requests; {reserve.provenance['repository']} {reserve.provenance['tag']} "
              f"kubelet system-reserved; kubelet eviction default; spinkube/spin-operator {spin.version} chart")
    short = []
    if mem_need > mem_have:
        short.append(f"memory ({_gib(mem_need)} requested, {_gib(mem_have)} allocatable)")
    if cpu_need > cpu_have:
        short.append(f"CPU ({cpu_need / 1000:g} cores requested, {cpu_have / 1000:g} allocatable)")
    if biggest.memory_mib > roomiest:
        short.append(f"pod {biggest.name} ({biggest.memory_mib:g} MiB) fits no node ({_gib(roomiest)} at most)")
    problem = (f"CozyStack {platform.version}'s pods do not fit the nodes: " + "; ".join(short)) if short else ""
    return met, measured, required, source, problem
