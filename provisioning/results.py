"""The TEST RESULTS summary in the handoff's format (seed 002), with measured numbers.

    TEST RESULTS - 3-Node ARM64 CozyStack
    =====================================
    ✅ Infrastructure: Created successfully
    ❌ CozyStack install: Failed - insufficient RAM (24 GiB needed, 4 GiB available); ...
    💰 Cost: $0.42 for 2.50 hours

    RECOMMENDED: scale to 3 nodes with 32 GiB RAM each (t4g.2xlarge, $0.2944/hour)

Phase outcomes are built from what the adapter read, in the cluster's words (the root blockers), and
say whether the capacity verdict predicted them: a failure with a cause the verdict did not name is
reported as not predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from provisioning.capacity import Verdict
from provisioning.kube.checks import (
    check_helmreleases_ready,
    check_kubevirt_deployed,
    check_kvm,
    check_runtimeclass,
    check_spinapps_ready,
    helmrelease_causes,
    helmrelease_summary,
    scheduling_blockers,
    spinapp_causes,
)
from provisioning.kube.objects import (
    ClusterSnapshot,
    HelmRelease,
    KubeNode,
    KubeVirtStatus,
    PendingPod,
    RuntimeClassInfo,
    SpinAppStatus,
)
from provisioning.platform_data import load_spin_operator

Status = Literal["pass", "fail", "warn"]
ICONS: dict[str, str] = {"pass": "\u2705", "fail": "\u274c", "warn": "\u26a0\ufe0f", "cost": "\U0001f4b0"}
RESULTS_FILE = "results.txt"


@dataclass(frozen=True)
class PhaseOutcome:
    """One line of the summary: pass/fail/warn and the text after the phase name."""

    status: Status
    text: str

    @classmethod
    def passed(cls, text: str) -> PhaseOutcome:
        return cls("pass", text)

    @classmethod
    def failed(cls, text: str) -> PhaseOutcome:
        return cls("fail", text)

    @classmethod
    def warned(cls, text: str) -> PhaseOutcome:
        return cls("warn", text)


@dataclass(frozen=True)
class RunOutcomes:
    """Every phase's outcome plus the cost text ("$0.42 for 2.50 hours")."""

    title: str
    infrastructure: PhaseOutcome
    boot: PhaseOutcome
    cozystack_install: PhaseOutcome
    virtualization: PhaseOutcome
    spinkube: PhaseOutcome
    cost: str
    # --existing: (phase, scenario) of every finding (built differently from the design; not a blocker)
    findings: tuple[tuple[str, str], ...] = ()


def install_outcome(releases: Sequence[HelmRelease], pending: Sequence[PendingPod], verdict: Verdict) -> PhaseOutcome:
    """CozyStack install: every system HelmRelease Ready, else the blockers and whether the verdict named them."""
    ready, total = helmrelease_summary(releases)
    if not check_helmreleases_ready(releases, pending):
        return PhaseOutcome.passed(f"{ready} of {total} system HelmReleases Ready")
    parts = [f"{ready} of {total} system HelmReleases Ready"]
    blockers = scheduling_blockers(pending)
    if blockers:
        # most common first, ties by name: the Counter is filled from sets, whose order varies between processes
        reasons = ", ".join(f"{reason} x{n}" for reason, n in sorted(blockers.items(), key=lambda x: (-x[1], x[0])))
        parts.append(f"{len(pending)} pods Pending ({reasons})")
    causes = set(helmrelease_causes(releases, pending))
    roots = sorted(causes, key=lambda k: (k.startswith("Pod "), k))  # releases first, then stray Pending pods
    if roots:
        more = f" (+{len(roots) - 5} more)" if len(roots) > 5 else ""
        parts.append(f"root blockers: {', '.join(roots[:5])}{more}")
    if verdict.predicts("helmreleases_ready"):
        predicted = causes <= verdict.predicted_blockers("helmreleases_ready")
        parts.append("as the capacity verdict predicted" if predicted else
                     "not the causes the capacity verdict predicted")
    return PhaseOutcome.failed(f"Failed - {'; '.join(parts)}")


def virtualization_outcome(nodes: Sequence[KubeNode], kubevirts: Sequence[KubeVirtStatus],
                           verdict: Verdict) -> PhaseOutcome:
    """Virtualization: KubeVirt Deployed and /dev/kvm offered on every node."""
    kvm, deployed = check_kvm(nodes), check_kubevirt_deployed(kubevirts)
    if not kvm and not deployed:
        return PhaseOutcome.passed(f"KubeVirt Deployed; {len(nodes)} of {len(nodes)} nodes offer /dev/kvm")
    parts = ["KubeVirt Deployed" if not deployed else "; ".join(str(v) for v in deployed)]
    if kvm:
        with_kvm = len(nodes) - len(kvm)
        parts.append(verdict.predicts("kvm") or f"{with_kvm} of {len(nodes)} nodes offer /dev/kvm")
    return PhaseOutcome.failed("Failed - " + "; ".join(parts))


def spinkube_outcome(classes: Sequence[RuntimeClassInfo], apps: Sequence[SpinAppStatus], nodes: Sequence[KubeNode],
                     *, runtime_class: str = "wasmtime-spin-v2", handler: str = "spin",
                     verdict: Verdict | None = None, releases: Sequence[HelmRelease] = (),
                     pending: Sequence[PendingPod] = ()) -> PhaseOutcome:
    """SpinKube: the RuntimeClass exists and every SpinApp is ready; else the cause read from the cluster first."""
    violations = check_runtimeclass(classes, runtime_class, handler) + check_spinapps_ready(apps)
    archs = "/".join(sorted({n.architecture for n in nodes})) or "unknown architecture"
    if not violations:
        ready = ", ".join(f"{a.key} {a.ready_replicas}/{a.replicas}" for a in apps)
        return PhaseOutcome.passed(f"WASM SpinApps ready on {archs} ({ready})")
    spin = load_spin_operator()
    causes = spinapp_causes(releases, pending, requires=spin.requires, operator=f"{spin.namespace}/spin-operator",
                            app=", ".join(a.key for a in apps) or "none") if releases else {}
    parts = list(causes.values())
    if causes and verdict is not None and verdict.predicts("spinapps_ready"):
        parts.append("as the capacity verdict predicted" if set(causes) <= verdict.predicted_blockers("spinapps_ready")
                     else "not the cause the capacity verdict predicted")
    return PhaseOutcome.failed("Failed - " + "; ".join(parts + [str(v) for v in violations]))


def outcomes_from_snapshot(snapshot: ClusterSnapshot, verdict: Verdict, *, title: str, infrastructure: PhaseOutcome,
                           boot: PhaseOutcome, cost: str) -> RunOutcomes:
    """Build the phase-04 outcomes from one cluster snapshot; infrastructure/boot/cost come from earlier phases."""
    return RunOutcomes(
        title=title, infrastructure=infrastructure, boot=boot,
        cozystack_install=install_outcome(snapshot.helmreleases, snapshot.pending_pods, verdict),
        virtualization=virtualization_outcome(snapshot.nodes, snapshot.kubevirts, verdict),
        spinkube=spinkube_outcome(snapshot.runtimeclasses, snapshot.spinapps, snapshot.nodes, verdict=verdict,
                                  releases=snapshot.helmreleases, pending=snapshot.pending_pods),
        cost=cost)


def render_results(outcomes: RunOutcomes, verdict: Verdict) -> str:
    """Return the TEST RESULTS text (ends with a newline)."""
    head = f"TEST RESULTS - {outcomes.title}"
    lines = [head, "=" * len(head)]
    for label, outcome in (("Infrastructure", outcomes.infrastructure), ("Boot", outcomes.boot),
                           ("CozyStack install", outcomes.cozystack_install),
                           ("Virtualization", outcomes.virtualization), ("SpinKube", outcomes.spinkube)):
        lines.append(f"{ICONS[outcome.status]} {label}: {outcome.text}")
    arch = next((r for r in verdict.requirements if r.name == "architecture"), None)
    if arch is not None and (not arch.verified or not arch.met):
        lines.append(f"{ICONS['warn' if arch.met else 'fail']} Architecture: {arch.problem}"
                     + ("" if arch.verified else " (unverified)"))
    lines.append(f"{ICONS['cost']} Cost: {outcomes.cost}")
    if outcomes.findings:
        lines += ["", f"FINDINGS ({len(outcomes.findings)}): built differently from the design; "
                      "not blockers, so the later phases still ran"]
        lines += [f"  - {phase}: {scenario}" for phase, scenario in outcomes.findings]
    lines.append("")
    lines.extend(verdict.advice or ("RECOMMENDED: no change; the nodes meet CozyStack's documented minimum",))
    return "\n".join(lines) + "\n"


def write_results(text: str, reports_dir: Path | str = "reports") -> Path:
    """Write text to <reports_dir>/results.txt (UTF-8, directory created) and return the path."""
    path = Path(reports_dir) / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
