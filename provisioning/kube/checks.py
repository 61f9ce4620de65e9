"""Pure checks over what the adapter read: each returns the violations (empty when the rule holds).

A violation names the resource, the expected and the actual value. Check names (CHECK_NAMES) are
the ones capacity.Verdict.predicts() understands.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from provisioning.checks import Violation
from provisioning.kube.adapter import (
    HelmRelease,
    KubeNode,
    KubeVirtStatus,
    PendingPod,
    RuntimeClassInfo,
    SpinAppStatus,
)

CHECK_NAMES = ("nodes_ready", "node_architecture", "node_capacity", "talos_extensions", "helmreleases_ready",
               "kvm", "kubevirt_deployed", "runtimeclass", "spinapps_ready")
_AVAILABLE = re.compile(r"nodes are available:\s*(?P<body>.*?)(?:\.\s*preemption:|\.?\s*$)", re.DOTALL)


def check_nodes_ready(nodes: Sequence[KubeNode], expected: Sequence[str] = ()) -> list[Violation]:
    """Every expected node exists and every node is Ready."""
    out = [Violation(f"Node {name}", "registered", "missing") for name in expected
           if name not in {n.name for n in nodes}]
    out += [Violation(f"Node {n.name}", "Ready=True", "Ready=False") for n in nodes if not n.ready]
    if not nodes:
        out.append(Violation("Nodes", "at least one node", "none"))
    return out


def check_node_architecture(nodes: Sequence[KubeNode], architecture: str) -> list[Violation]:
    """Every node reports the given architecture (kubernetes.io/arch)."""
    return [Violation(f"Node {n.name}", f"architecture {architecture}", n.architecture)
            for n in nodes if n.architecture != architecture]


def check_node_capacity(nodes: Sequence[KubeNode], *, min_cores: int, min_memory_gib: float) -> list[Violation]:
    """Every node has CozyStack's documented per-host minimum of cores and memory (its capacity).

    The minimum is hardware ("8 cores, 24 GB RAM" per host), so it is compared with what the node
    reports as capacity; allocatable is always lower (Talos reserves some), and an 8-core node could
    never pass on allocatable. A node that reports no capacity is judged on allocatable.
    """
    out = []
    for n in nodes:
        cores = (n.capacity_millicores if n.capacity_millicores is not None else n.cpu_millicores) / 1000
        gib = (n.capacity_memory_bytes if n.capacity_memory_bytes is not None else n.memory_bytes) / 2**30
        if cores < min_cores:
            out.append(Violation(f"Node {n.name}", f">= {min_cores} cores", f"{cores:g} cores "
                                 f"({n.cpu_millicores / 1000:g} allocatable)"))
        if gib < min_memory_gib:
            out.append(Violation(f"Node {n.name}", f">= {min_memory_gib:g} GiB memory", f"{gib:.1f} GiB "
                                 f"({n.memory_gib:.1f} GiB allocatable)"))
    return out


def check_talos_extensions(nodes: Sequence[KubeNode], required: Mapping[str, Sequence[str]]) -> list[Violation]:
    """Each named node carries the label extensions.talos.dev/<name> for every required extension."""
    by_name = {n.name: n for n in nodes}
    out = []
    for node, names in required.items():
        if node not in by_name:
            out.append(Violation(f"Node {node}", f"extensions {sorted(names)}", "node missing"))
            continue
        missing = sorted(set(names) - set(by_name[node].extensions))
        if missing:
            out.append(Violation(f"Node {node}", f"extensions {sorted(names)}",
                                 f"missing {missing} (has {sorted(by_name[node].extensions)})"))
    return out


def scheduling_reasons(message: str) -> list[str]:
    """Split a FailedScheduling message into its reasons: "3 Insufficient memory" -> "Insufficient memory"."""
    match = _AVAILABLE.search(message)
    if not match:
        return [message.strip()]
    parts = [p.strip() for p in match.group("body").split(",") if p.strip()]
    return [re.sub(r"^\d+\s+", "", p) for p in parts]


def scheduling_blockers(pods: Sequence[PendingPod]) -> Counter[str]:
    """How many pending pods each scheduling reason blocks."""
    counts: Counter[str] = Counter()
    for p in pods:
        counts.update({r for m in p.messages for r in scheduling_reasons(m)})
    return counts


def blocked_by(release: HelmRelease, index: Mapping[str, HelmRelease]) -> list[str]:
    """Follow release's dependsOn to the root blocker: the chain of first not-Ready dependencies.

    Returns [first blocked dependency, ..., root]; empty when every dependency is Ready. A
    dependency that does not exist counts as blocked (and ends the chain).
    """
    chain: list[str] = []
    seen = {release.key}
    current: HelmRelease | None = release
    while current is not None:
        nxt = next((d for d in current.depends_on if d not in index or not index[d].ready), None)
        if nxt is None or nxt in seen:
            break
        chain.append(nxt)
        seen.add(nxt)
        current = index.get(nxt)
    return chain


def helmrelease_summary(releases: Sequence[HelmRelease]) -> tuple[int, int]:
    """(Ready, total) count of the given HelmReleases."""
    return sum(1 for r in releases if r.ready), len(releases)


def check_helmreleases_ready(releases: Sequence[HelmRelease], pending: Sequence[PendingPod] = (), *,
                             min_count: int = 1) -> list[Violation]:
    """Every system HelmRelease is Ready; each failure names its reason and the blocking dependency chain.

    The pending pods' scheduling reasons follow, one violation per pod, so that a failure reads
    "cert-manager not Ready ... Pod cozy-cert-manager/cert-manager-...: Insufficient memory".
    """
    out = []
    if len(releases) < min_count:
        out.append(Violation("system HelmReleases", f">= {min_count} present", f"{len(releases)}"))
    index = {r.key: r for r in releases}
    for r in releases:
        if r.ready:
            continue
        actual = f"Ready=False ({r.reason}: {r.message})"
        chain = blocked_by(r, index)
        if chain:
            root = index.get(chain[-1])
            why = f"{root.reason}: {root.message}" if root else "not found"
            actual += f"; first blocked dependency {chain[0]}; root blocker {chain[-1]} ({why})"
        out.append(Violation(f"HelmRelease {r.key}", "Ready=True", actual))
    for p in pending:
        reasons = sorted({x for m in p.messages for x in scheduling_reasons(m)}) or ["no scheduler message"]
        out.append(Violation(f"Pod {p.key}", "scheduled", f"Pending: {'; '.join(reasons)}"))
    return out


def check_kvm(nodes: Sequence[KubeNode], resource: str = "devices.kubevirt.io/kvm") -> list[Violation]:
    """Every node offers KVM devices to KubeVirt (allocatable > 0)."""
    return [Violation(f"Node {n.name}", f"{resource} allocatable > 0",
                      "absent" if n.kvm_allocatable is None else str(n.kvm_allocatable))
            for n in nodes if not n.kvm_allocatable]


def check_kubevirt_deployed(kubevirts: Sequence[KubeVirtStatus], phase: str = "Deployed") -> list[Violation]:
    """A KubeVirt CR exists and reports phase Deployed."""
    if not kubevirts:
        return [Violation("KubeVirt CR", f"phase {phase}", "no KubeVirt CR")]
    return [Violation(f"KubeVirt {k.namespace}/{k.name}", f"phase {phase}", k.phase or "no phase")
            for k in kubevirts if k.phase != phase]


def check_runtimeclass(classes: Sequence[RuntimeClassInfo], name: str, handler: str) -> list[Violation]:
    """RuntimeClass name exists with the given handler."""
    found = {c.name: c for c in classes}
    if name not in found:
        return [Violation(f"RuntimeClass {name}", f"handler {handler}", f"missing (have {sorted(found)})")]
    if found[name].handler != handler:
        return [Violation(f"RuntimeClass {name}", f"handler {handler}", f"handler {found[name].handler}")]
    return []


def check_spinapps_ready(apps: Sequence[SpinAppStatus], names: Sequence[str] = ()) -> list[Violation]:
    """Each SpinApp (or the named "namespace/name" ones) has readyReplicas == replicas and Available=True."""
    present = {a.key for a in apps}
    out = [Violation(f"SpinApp {n}", "present", "missing") for n in names if n not in present]
    wanted = [a for a in apps if not names or a.key in names]
    if not wanted and not names:
        out.append(Violation("SpinApps", "at least one SpinApp", "none"))
    for a in wanted:
        if a.ready_replicas != a.replicas or not a.available:
            out.append(Violation(f"SpinApp {a.key}", f"{a.replicas}/{a.replicas} ready, Available=True",
                                 f"{a.ready_replicas}/{a.replicas} ready, Available={a.available} ({a.reason})"))
    return out
