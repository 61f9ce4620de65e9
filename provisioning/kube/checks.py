"""Pure checks over what the adapter read: each returns the violations (empty when the rule holds).

A violation names the resource, the expected and the actual value. Check names (CHECK_NAMES) are
the ones capacity.Verdict.predicts() understands.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from provisioning.checks import Violation
from provisioning.kube.objects import HelmRelease, KubeNode, KubeVirtStatus, PendingPod, RuntimeClassInfo, SpinAppStatus

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


def stray_pod_cause(namespace: str) -> str:
    """The cause key of Pending pods no failed release explains (the verdict's model names them alike)."""
    return f"Pod {namespace}/*"


def helmrelease_causes(releases: Sequence[HelmRelease], pending: Sequence[PendingPod] = ()) -> dict[str, str]:
    """Why the HelmRelease check fails, by cause: each root blocker (a not-Ready release not blocked by a
    dependency) -> its reason and message, and Pending pods outside those releases' namespaces by namespace."""
    index = {r.key: r for r in releases}
    behind: dict[str, list[str]] = {}
    for r in [r for r in releases if not r.ready]:
        chain = blocked_by(r, index)
        behind.setdefault(chain[-1] if chain else r.key, []).extend([r.key] if chain else [])
    out: dict[str, str] = {}
    for key, waiting in behind.items():
        root = index.get(key)
        tail = f"; {len(waiting)} release(s) DependencyNotReady behind it ({', '.join(waiting)})" if waiting else ""
        out[key] = f"{key} ({f'{root.reason}: {root.message}' if root else 'not found'}){tail}"
    roots = {k.split("/", 1)[0] for k in out}
    for p in pending:
        if p.namespace not in roots:
            reasons = sorted({x for m in p.messages for x in scheduling_reasons(m)}) or ["no scheduler message"]
            out.setdefault(stray_pod_cause(p.namespace), f"Pod {p.key} Pending: {'; '.join(reasons)}")
    return out


def spinapp_causes(releases: Sequence[HelmRelease], pending: Sequence[PendingPod], *, requires: Sequence[str],
                   operator: str, app: str) -> dict[str, str]:
    """Why a SpinApp is not ready, by cause: the root blocker of each release spin-operator needs, else the
    operator ("namespace/name") when its pods are Pending, else the SpinApp itself."""
    index = {r.key: r for r in releases}
    out: dict[str, str] = {}
    for key in requires:
        if key in index and index[key].ready:
            continue
        root = (blocked_by(index[key], index) or [key])[-1] if key in index else key
        found = index.get(root)
        why = f"{found.reason}: {found.message}" if found else "not found"
        out[root] = f"spin-operator waits for {key}" + (f" ({why})" if root == key else f", blocked by {root} ({why})")
    if out:
        return out
    stuck = [p for p in pending if p.namespace == operator.split("/", 1)[0]]
    if stuck:
        reasons = sorted({x for m in stuck[0].messages for x in scheduling_reasons(m)}) or ["no scheduler message"]
        return {operator: f"{operator} pod {stuck[0].name} Pending: {'; '.join(reasons)}"}
    return {f"SpinApp {app}": f"SpinApp {app} not ready while spin-operator runs"}


def kubevirt_causes(releases: Sequence[HelmRelease], pending: Sequence[PendingPod],
                    kubevirts: Sequence[KubeVirtStatus], release: str) -> dict[str, str]:
    """Why KubeVirt is not Deployed, by cause: the root blocker of the release holding its CR when there is no
    CR, else its namespace's Pending pods, else the CR's phase itself."""
    namespace = release.split("/", 1)[0]
    if not kubevirts:
        index = {r.key: r for r in releases}
        root = (blocked_by(index[release], index) or [release])[-1] if release in index else release
        found = index.get(root)
        return {root: f"no KubeVirt CR: {root} " + (f"({found.reason}: {found.message})" if found else "not found")}
    stuck = [p for p in pending if p.namespace == namespace]
    if stuck:
        reasons = sorted({x for p in stuck for m in p.messages for x in scheduling_reasons(m)})
        return {stray_pod_cause(namespace): f"{len(stuck)} KubeVirt pod(s) Pending: {'; '.join(reasons)}"}
    return {f"KubeVirt {k.namespace}/{k.name}": f"KubeVirt {k.namespace}/{k.name} phase {k.phase or 'unset'}"
            for k in kubevirts}


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
