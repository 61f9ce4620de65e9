"""The verdict's scheduling rules: run the cluster model over the profile's nodes and say what it predicts.

Pure. The same computation the Kubernetes stand-in runs (provisioning.platform_model.run), over the
nodes the profile plans rather than those a run launched: every request of CozyStack v1.3.3's charts
and of the pods outside them (Talos, Flux, the operators), placed pod by pod on MemTotal minus Talos'
system-reserved and the eviction threshold, in dependsOn order. The predicted causes are read off the
model's outcome with the very functions phase 04 reads the cluster with (provisioning.kube.checks
*_causes), so the verdict gate compares like with like: a root blocker release, a namespace's Pending
pods, spin-operator, the KubeVirt CR.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioning.kube.checks import helmrelease_causes, kubevirt_causes, scheduling_reasons, spinapp_causes
from provisioning.kube.objects import HelmRelease, KubeVirtStatus, PendingPod
from provisioning.platform_data import load_platform, load_reservation, load_spin_operator
from provisioning.platform_model import KUBEVIRT, NodeSpec, Outcome, run
from provisioning.platform_overhead import load_overhead


@dataclass(frozen=True)
class Fit:
    """One scheduling rule's outcome: met, measured, required, source, problem and the predicted causes."""

    met: bool
    measured: str
    required: str
    source: str
    problem: str
    blockers: tuple[str, ...]


def _gib(mib: float) -> str:
    return f"{mib / 1024:.1f} GiB"


def cluster_view(outcome: Outcome) -> tuple[list[HelmRelease], list[PendingPod]]:
    """The outcome as phase 04 would read it from the API: HelmReleases and Pending pods."""
    releases = [HelmRelease(r.release.namespace, r.release.name, r.ready, r.reason, r.message, r.release.depends_on)
                for r in outcome.releases]
    return releases, [PendingPod(p.namespace, p.name, (p.message,)) for p in outcome.pods if p.node is None]


def source_line() -> str:
    """Where the model's facts come from, as a verdict rule cites them."""
    platform, spin, reserve, overhead = load_platform(), load_spin_operator(), load_reservation(), load_overhead()
    caveat = "" if overhead.memtotal_verified else " (MemTotal reconstructed)"
    return (f"{platform.label} requests; pods outside the charts from {overhead.provenance['repository']} "
            f"{overhead.provenance['tag']} pins (KubeVirt, CDI, Piraeus, CAPI, Flux, Talos){caveat}; "
            f"{reserve.provenance['repository']} {reserve.provenance['tag']} kubelet system-reserved; kubelet "
            f"eviction default; spinkube/spin-operator {spin.version} chart")


def model_outcome(nodes: Sequence[Any], vcpu_mib: Callable[[Any], tuple[int, int]],
                  machine_types: Mapping[str, str]) -> Outcome:
    """The cluster model's outcome on these nodes (each with .name and .role; sizes via vcpu_mib)."""
    specs = [NodeSpec(n.name, machine_types.get(n.role, "worker"), *vcpu_mib(n), kvm=False) for n in nodes]
    return run(specs, spin_operator=True)


def _with_pod(outcome: Outcome, key: str, text: str) -> str:
    """A root blocker's text with the first of its release's pods that fit nowhere, in the scheduler's reasons."""
    release = next((r.release for r in outcome.releases if r.release.key == key), None)
    pod = next((p for p in outcome.pods if release and p.node is None and p.workload in release.workloads), None)
    return f"{text}; pod {pod.workload.name} Pending: {', '.join(scheduling_reasons(pod.message))}" if pod else text


def releases_fit(outcome: Outcome) -> Fit:
    """Rule platform_requests: every HelmRelease Ready and every pod placed; else the causes, by root blocker."""
    states = outcome.nodes
    have_cpu, have_mem = sum(s.cpu_m for s in states), sum(s.memory_mib for s in states)
    used_cpu, used_mem = sum(s.used_cpu_m for s in states), sum(s.used_memory_mib for s in states)
    causes = helmrelease_causes(*cluster_view(outcome))
    ready = sum(1 for r in outcome.releases if r.ready)
    measured = (f"{ready} of {len(outcome.releases)} HelmReleases Ready; {_gib(used_mem)} and {used_cpu / 1000:g} "
                f"cores of requests placed pod by pod")
    required = (f"every HelmRelease Ready on {_gib(have_mem)} and {have_cpu / 1000:g} cores allocatable "
                f"(MemTotal - Talos system-reserved - eviction threshold)")
    problem = (f"CozyStack {load_platform().version}'s pods do not fit the nodes: {len(causes)} root blocker(s): "
               + " | ".join(_with_pod(outcome, k, t) for k, t in causes.items())) if causes else ""
    return Fit(not causes, measured, required, source_line(), problem, tuple(causes))


def spin_fit(outcome: Outcome) -> Fit:
    """Rule spin_operator: spin-operator runs (cert-manager Ready, its pod placed); else why, by cause."""
    spin = load_spin_operator()
    required = f"spin-operator {spin.version} running (needs {', '.join(spin.requires)} Ready and its pod placed)"
    if outcome.spin_operator_running:
        return Fit(True, "spin-operator runs", required, source_line(), "", ())
    releases, pending = cluster_view(outcome)
    causes = spinapp_causes(releases, pending, requires=spin.requires, operator=f"{spin.namespace}/spin-operator",
                            app="(any)")
    return Fit(False, outcome.spin_operator_why, required, source_line(),
               f"{'; '.join(causes.values())} ({len(causes)} cause(s))", tuple(causes))


def kubevirt_fit(outcome: Outcome) -> Fit:
    """Rule kubevirt_runs: the KubeVirt CR reaches Deployed (its releases Ready, none of its pods Pending)."""
    phase = outcome.kubevirt_phase
    if phase == "Deployed":
        return Fit(True, "KubeVirt Deployed", "KubeVirt Deployed", source_line(), "", ())
    namespace, name = KUBEVIRT.split("/", 1)
    crs = [KubeVirtStatus(namespace, name, phase)] if phase else []
    causes = kubevirt_causes(*cluster_view(outcome), crs, KUBEVIRT)
    measured = f"KubeVirt {phase or 'has no CR'}"
    return Fit(False, measured, "KubeVirt Deployed", source_line(),
               f"KubeVirt would not reach Deployed: {'; '.join(causes.values())} ({len(causes)} cause(s))",
               tuple(causes))
