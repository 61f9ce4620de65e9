"""End to end offline: install into the stand-in, read it back, and write the TEST RESULTS (small and big nodes)."""

from __future__ import annotations

from pathlib import Path

from fixtures.kube_standin import StandIn
from provisioning.capacity import assess
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.install import apply, render_install
from provisioning.results import PhaseOutcome, outcomes_from_snapshot, render_results, write_results
from provisioning.topology import Topology


def summary(kube: StandIn, topo: Topology) -> str:
    api = api_client(kube.url, live=False)
    apply(render_install(topo).objects, api)
    verdict = assess(topo, price_per_hour={"t4g.2xlarge": 0.2944}.get)
    outcomes = outcomes_from_snapshot(KubeReader(api).snapshot(), verdict, title="3-Node ARM64 CozyStack",
                                      infrastructure=PhaseOutcome.passed("Created successfully"),
                                      boot=PhaseOutcome.passed("3 Talos nodes booted"), cost="$0.42 for 2.50 hours")
    return render_results(outcomes, verdict)


def test_undersized_results(undersized: StandIn, small: Topology, tmp_path: Path) -> None:
    text = summary(undersized, small)
    assert ("\u274c CozyStack install: Failed - 69 of 83 system HelmReleases Ready; 25 pods Pending (Insufficient "
            "memory x25, node(s) didn't match Pod's node affinity/selector x4); root blockers: "
            "cozy-dashboard/dashboard, cozy-foundationdb-operator/foundationdb-operator, "
            "cozy-kafka-operator/kafka-operator, cozy-kubeovn/kubeovn-webhook, cozy-multus/multus (+6 more); as the "
            "capacity verdict predicted") in text
    assert ("\u274c SpinKube: Failed - spin-operator/spin-operator pod "
            "spin-operator-controller-manager-404496cf2e-bd74b Pending: Insufficient memory; as the capacity verdict "
            "predicted") in text
    # virt-api, virt-controller and virt-handler do not fit 2 GiB nodes: KubeVirt never reaches Deployed
    assert ("\u274c Virtualization: Failed - KubeVirt cozy-kubevirt/kubevirt: expected phase Deployed, got Deploying; "
            "no /dev/kvm on t4g") in text
    assert "SpinApp default/hello-spin: expected 1/1 ready, Available=True, got 0/1 ready, Available=False" in text
    assert "RECOMMENDED: scale to 3 nodes with 32 GiB RAM each (t4g.2xlarge, $0.2944/hour)" in text
    assert write_results(text, tmp_path).read_text(encoding="utf-8") == text


def test_healthy_results(healthy: StandIn, big: Topology) -> None:
    text = summary(healthy, big)
    assert "\u2705 CozyStack install: 83 of 83 system HelmReleases Ready" in text
    assert "\u2705 Virtualization: KubeVirt Deployed; 3 of 3 nodes offer /dev/kvm" in text
    assert "\u2705 SpinKube: WASM SpinApps ready on arm64 (default/hello-spin 1/1)" in text
    assert "\u274c" not in text
