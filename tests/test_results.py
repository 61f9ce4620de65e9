"""The TEST RESULTS summary: seed-002 layout, measured numbers, the verdict's words, and the file writer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from provisioning import profiles
from provisioning.capacity import Verdict, assess
from provisioning.kube.objects import HelmRelease, KubeNode, KubeVirtStatus, PendingPod, RuntimeClassInfo, SpinAppStatus
from provisioning.results import (
    PhaseOutcome,
    RunOutcomes,
    install_outcome,
    render_results,
    spinkube_outcome,
    virtualization_outcome,
    write_results,
)

PRICES = {"t4g.2xlarge": 0.2944}
MSG = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims."


def verdict_for(instance_type: str | None = None, data_gb: int = 0) -> Verdict:
    topo = profiles.load("approved")
    if instance_type:
        topo = replace(topo, nodes=tuple(replace(n, instance_type=instance_type, data_volume_gb=data_gb)
                                         for n in topo.nodes))
    return assess(topo, price_per_hour=PRICES.get)


def nodes(kvm: int) -> list[KubeNode]:
    return [KubeNode(f"n{i}", True, "arm64", f"10.10.0.10{i}", 1950, 3 * 2**30, kvm, {}) for i in range(3)]


def outcomes(install: PhaseOutcome, virt: PhaseOutcome, spin: PhaseOutcome) -> RunOutcomes:
    return RunOutcomes(title="3-Node ARM64 CozyStack", infrastructure=PhaseOutcome.passed("Created successfully"),
                       boot=PhaseOutcome.passed("3 Talos nodes booted"), cozystack_install=install,
                       virtualization=virt, spinkube=spin, cost="$0.42 for 2.50 hours")


def test_undersized_summary_reads_like_the_handoff() -> None:
    verdict = verdict_for()
    releases = [HelmRelease("c", "cilium", True, "InstallSucceeded", "ok"),
                HelmRelease("cm", "cert-manager", False, "InstallFailed", "deadline", ("c/cilium",)),
                HelmRelease("k", "kamaji", False, "DependencyNotReady", "dep", ("cm/cert-manager",))]
    install = install_outcome(releases, [PendingPod("cm", "cert-manager-x", (MSG,))], verdict)
    virt = virtualization_outcome(nodes(0), [KubeVirtStatus("cozy-kubevirt", "kubevirt", "Deployed")], verdict)
    spin = spinkube_outcome([], [], nodes(0))
    text = render_results(outcomes(install, virt, spin), verdict)
    lines = text.splitlines()
    assert lines[0] == "TEST RESULTS - 3-Node ARM64 CozyStack" and lines[1] == "=" * len(lines[0])
    assert lines[2] == "\u2705 Infrastructure: Created successfully"
    # on 3 x t4g.medium the verdict's model predicts foundationdb-operator, not cert-manager: the line is in the
    # cluster's words and says the cause is not the predicted one
    assert lines[4] == ("\u274c CozyStack install: Failed - 1 of 3 system HelmReleases Ready; 1 pods Pending "
                        "(Insufficient memory x1); root blockers: cm/cert-manager; not the causes the capacity verdict "
                        "predicted")
    fdb = [HelmRelease("cozy-foundationdb-operator", "foundationdb-operator", False, "InstallFailed", "deadline")]
    assert install_outcome(fdb, [], verdict).text == (
        "Failed - 0 of 1 system HelmReleases Ready; root blockers: cozy-foundationdb-operator/foundationdb-operator; "
        "as the capacity verdict predicted")
    big = verdict_for("t4g.2xlarge", 256)
    assert render_results(outcomes(install_outcome(releases, [], big), virt, spin), big).splitlines()[4] == (
        "\u274c CozyStack install: Failed - 1 of 3 system HelmReleases Ready; root blockers: cm/cert-manager")
    assert lines[5] == ("\u274c Virtualization: Failed - KubeVirt Deployed; no /dev/kvm on t4g; KubeVirt VMs cannot "
                        "run; needs a .metal or nested-virt family")
    assert lines[6].startswith("\u274c SpinKube: Failed - RuntimeClass wasmtime-spin-v2: expected handler spin")
    assert lines[7].startswith("\u26a0\ufe0f Architecture: arm64 (beta)")
    assert lines[8] == "\U0001f4b0 Cost: $0.42 for 2.50 hours"
    assert "RECOMMENDED: scale to 3 nodes with 32 GiB RAM each (t4g.2xlarge, $0.2944/hour)" in lines
    assert text.endswith("\n")


def test_healthy_summary_passes_and_recommends_no_change() -> None:
    verdict = verdict_for("c7g.metal", 256)
    install = install_outcome([HelmRelease("c", "cilium", True, "InstallSucceeded", "ok")], [], verdict)
    virt = virtualization_outcome(nodes(1000), [KubeVirtStatus("cozy-kubevirt", "kubevirt", "Deployed")], verdict)
    spin = spinkube_outcome([RuntimeClassInfo("wasmtime-spin-v2", "spin")],
                            [SpinAppStatus("default", "hello-spin", 1, 1, True, "MinimumReplicasAvailable")],
                            nodes(1000))
    text = render_results(outcomes(install, virt, spin), verdict)
    assert "\u2705 CozyStack install: 1 of 1 system HelmReleases Ready" in text
    assert "\u2705 Virtualization: KubeVirt Deployed; 3 of 3 nodes offer /dev/kvm" in text
    assert "\u2705 SpinKube: WASM SpinApps ready on arm64 (default/hello-spin 1/1)" in text
    assert "\u274c" not in text
    assert text.rstrip().endswith("RECOMMENDED: no change; the nodes meet CozyStack's documented minimum")


def test_an_unpredicted_failure_still_names_its_blockers() -> None:
    verdict = verdict_for("t4g.2xlarge", 256)
    install = install_outcome([HelmRelease("cm", "cert-manager", False, "InstallFailed", "image pull")], [], verdict)
    assert install.status == "fail"
    assert install.text == "Failed - 0 of 1 system HelmReleases Ready; root blockers: cm/cert-manager"


def test_write_results_creates_reports_results_txt(tmp_path: Path) -> None:
    path = write_results("TEST RESULTS - x\n\u2705 ok\n", tmp_path / "reports")
    assert path == tmp_path / "reports" / "results.txt"
    assert path.read_text(encoding="utf-8") == "TEST RESULTS - x\n\u2705 ok\n"


def test_existing_findings_are_listed_apart_from_the_phase_lines() -> None:
    verdict = verdict_for()
    line = PhaseOutcome.warned("not run")
    base = outcomes(line, line, line)
    plain = render_results(base, verdict)
    assert "FINDINGS" not in plain
    text = render_results(replace(base, findings=(("network", "The security groups are fail-closed"),
                                                  ("bastion", "The bastion is locked down"))), verdict)
    assert "FINDINGS (2): built differently from the design; not blockers, so the later phases still ran\n" \
           "  - network: The security groups are fail-closed\n  - bastion: The bastion is locked down\n" in text
