"""The capacity verdict for the profiles the design talks about (built from the approved profile)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from provisioning import capacity, profiles
from provisioning.capacity import PREDICTORS, InstanceInfo, assess, price_lookup
from provisioning.data import DATA_DIR
from provisioning.kube.checks import CHECK_NAMES
from provisioning.topology import Node, Topology

PRICES = {"t4g.2xlarge": 0.2944, "m7g.2xlarge": 0.3264, "c7g.metal": 2.3123}
KVM_LINE = "no /dev/kvm on t4g; KubeVirt VMs cannot run; needs a .metal or nested-virt family"


def sized(instance_type: str, data_volume_gb: int = 0) -> Topology:
    topo = profiles.load("approved")
    return replace(topo, nodes=tuple(replace(n, instance_type=instance_type, data_volume_gb=data_volume_gb)
                                     for n in topo.nodes))


def unmet(instance_type: str, data_volume_gb: int = 0) -> set[str]:
    return {r.name for r in assess(sized(instance_type, data_volume_gb), price_per_hour=PRICES.get).unmet}


def test_three_t4g_small_miss_cpu_ram_data_disk_and_kvm_but_meet_talos() -> None:
    verdict = assess(sized("t4g.small"), price_per_hour=PRICES.get)
    assert {r.name for r in verdict.unmet} == {"cores_per_node", "ram_per_node", "data_disk", "kvm",
                                               "platform_requests", "spin_operator", "kubevirt_runs"}
    assert verdict.predicted_blockers("kubevirt_deployed") == {"Pod cozy-kubevirt/*"}
    assert verdict.requirement("talos_controlplane").met
    assert (verdict.predicts("helmreleases_ready") or "").startswith(
        "CozyStack v1.3.3's pods do not fit the nodes: 11 root blocker(s): cozy-multus/multus (InstallFailed: Helm "
        "install failed for release cozy-multus/multus with chart cozy-multus@0.0.0: context deadline exceeded); "
        "1 release(s) DependencyNotReady behind it (cozy-system/virtualprivatecloud-rd); pod cozy-multus Pending: "
        "Insufficient memory, node(s) didn't match Pod's node affinity/selector | ")
    assert "cozy-multus/multus" in verdict.predicted_blockers("helmreleases_ready")
    assert verdict.predicts("node_capacity") == "insufficient RAM (24 GiB needed, 2 GiB available)"


def test_approved_three_t4g_medium_is_the_designs_expected_failure() -> None:
    verdict = assess(profiles.load("approved"), price_per_hour=PRICES.get)
    assert not verdict.met
    assert {r.name for r in verdict.unmet} == {"cores_per_node", "ram_per_node", "data_disk", "kvm",
                                               "platform_requests"}
    # the charts request ~5 GiB, but Talos's, Flux's and the operators' own pods fill MemTotal: the model runs
    # out of room at foundationdb-operator, and foundationdb-rd waits for it
    assert verdict.predicted_blockers("helmreleases_ready") == {"cozy-foundationdb-operator/foundationdb-operator"}
    assert verdict.predicts("helmreleases_ready") == (
        "CozyStack v1.3.3's pods do not fit the nodes: 1 root blocker(s): "
        "cozy-foundationdb-operator/foundationdb-operator (InstallFailed: Helm install failed for release "
        "cozy-foundationdb-operator/foundationdb-operator with chart cozy-foundationdb-operator@0.0.0: context "
        "deadline exceeded); 1 release(s) DependencyNotReady behind it (cozy-system/foundationdb-rd); "
        "pod fdb-operator Pending: Insufficient cpu, Insufficient memory")
    assert verdict.requirement("platform_requests").measured == (
        "81 of 83 HelmReleases Ready; 9.3 GiB and 4.055 cores of requests placed pod by pod")
    assert verdict.requirement("platform_requests").required.startswith(
        "every HelmRelease Ready on 9.6 GiB and 5.85 cores allocatable")
    assert verdict.predicts("spinapps_ready") is None  # cert-manager is Ready and spin-operator's pod still fits
    assert verdict.predicts("node_capacity") == "insufficient RAM (24 GiB needed, 4 GiB available)"
    assert verdict.predicts("kvm") == KVM_LINE
    assert verdict.requirement("cores_per_node").problem == "insufficient CPU (8 cores needed, 2 available)"
    assert verdict.recommendation == "RECOMMENDED: scale to 3 nodes with 32 GiB RAM each (t4g.2xlarge, $0.2944/hour)"
    assert any(a.startswith("ALSO: attach a 256 GB raw data volume") for a in verdict.advice)
    assert any("c7g.metal" in a and "$2.3123/hour" in a for a in verdict.advice if a.startswith("ALTERNATIVE"))


def test_three_t4g_2xlarge_meet_cpu_and_ram_but_not_kvm() -> None:
    verdict = assess(sized("t4g.2xlarge", 256), price_per_hour=PRICES.get)
    assert {r.name for r in verdict.unmet} == {"kvm"}
    assert verdict.requirement("ram_per_node").measured.startswith("32 GiB")
    assert verdict.predicts("helmreleases_ready") is None
    assert verdict.predicts("kvm") == KVM_LINE
    assert verdict.recommendation is None


def test_three_c7g_large_like_the_owners_run_miss_cpu_ram_and_kvm() -> None:
    verdict = assess(sized("c7g.large"), price_per_hour=PRICES.get)
    # the owner's live run on 4 GiB c7g.large stalled on memory (cozystack.yaml); the model fails there too
    assert {r.name for r in verdict.unmet} == {"cores_per_node", "ram_per_node", "data_disk", "kvm",
                                               "platform_requests"}
    assert verdict.predicts("kvm") == KVM_LINE.replace("t4g", "c7g")
    assert verdict.recommendation is not None and "t4g.2xlarge" in verdict.recommendation


def test_bare_metal_with_data_disks_meets_everything() -> None:
    verdict = assess(sized("c7g.metal", 256))
    assert verdict.met, [r.line for r in verdict.unmet]
    assert verdict.predicts("helmreleases_ready") is None and verdict.predicts("kvm") is None
    assert verdict.advice == ()


def test_the_verdict_reads_what_was_attached_once_the_nodes_exist() -> None:
    topo = sized("c7g.metal", 256)
    names = [n.name for n in topo.nodes]
    short = assess(topo, attached_data_gb={names[0]: 256, names[1]: 256, names[2]: 0})
    disk = short.requirement("data_disk")
    assert not disk.met and disk.measured == "0 GB attached (read from EC2)"
    assert assess(topo, attached_data_gb=dict.fromkeys(names, 256)).met
    assert assess(sized("c7g.metal", 0), attached_data_gb=dict.fromkeys(names, 256)).met
    assert assess(topo).requirement("data_disk").measured == "256 GB (profile)"


def test_one_node_is_too_few() -> None:
    topo = profiles.load("approved")
    verdict = assess(replace(topo, nodes=topo.nodes[:1]))
    assert verdict.requirement("node_count").problem == "too few nodes (3 needed, 1 available)"
    assert verdict.recommendation is not None and verdict.recommendation.startswith("RECOMMENDED: scale to 3 nodes")


def test_a_nano_control_plane_breaks_the_talos_minimum() -> None:
    topo = profiles.load("approved")
    nodes = (replace(topo.nodes[0], instance_type="t4g.nano"),) + tuple(
        replace(n, instance_type="t4g.micro") for n in topo.nodes[1:])
    verdict = assess(replace(topo, nodes=nodes))
    assert not verdict.requirement("talos_controlplane").met
    assert verdict.requirement("talos_worker").met
    assert "talos-gateway" in (verdict.predicts("nodes_ready") or "")


def test_arm64_is_accepted_but_unverified_and_x86_64_is_documented() -> None:
    arm = assess(profiles.load("approved")).requirement("architecture")
    assert arm.met and not arm.verified and "beta" in arm.measured
    x86 = assess([Node("n1", "10.0.0.10", "gateway", "t3.medium", "img", 50)], architecture="x86_64")
    assert x86.requirement("architecture").met and x86.requirement("architecture").verified


def test_live_instance_facts_override_the_data_file() -> None:
    live = {"t4g.medium": InstanceInfo(vcpu=8, memory_mib=32768, architecture="arm64", kvm=True)}
    verdict = assess(profiles.load("approved"), instance_info=live)
    assert {r.name for r in verdict.unmet} == {"data_disk"}


def test_from_describe_reads_the_ec2_shape() -> None:
    item = {"InstanceType": "c7g.metal", "VCpuInfo": {"DefaultVCpus": 64}, "MemoryInfo": {"SizeInMiB": 131072},
            "ProcessorInfo": {"SupportedArchitectures": ["arm64"]}, "BareMetal": True}
    assert InstanceInfo.from_describe(item) == InstanceInfo(64, 131072, "arm64", True)


def test_unknown_instance_type_is_refused() -> None:
    with pytest.raises(ValueError, match="x9.huge"):
        assess([Node("n1", "10.0.0.10", "gateway", "x9.huge", "img", 50)])


def test_prices_fall_back_to_the_data_file_and_the_injected_lookup_wins() -> None:
    path = DATA_DIR / "prices.yaml"
    if not path.is_file():
        pytest.skip("prices.yaml not present")
    table = yaml.safe_load(path.read_text())["prices"]["eu-west-1"]["instances"]
    assert price_lookup("eu-west-1")("t4g.2xlarge") == table["t4g.2xlarge"]["usd_per_hour"]
    assert price_lookup("eu-west-1", {"t4g.2xlarge": 9.0}.get)("t4g.2xlarge") == 9.0


def test_without_any_price_the_recommendation_has_no_dollar_figure(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(capacity, "DATA_DIR", tmp_path)
    verdict = assess(profiles.load("approved"))
    assert verdict.recommendation == "RECOMMENDED: scale to 3 nodes with 32 GiB RAM each (t4g.2xlarge)"


def test_every_predicted_check_exists_and_unknown_checks_predict_nothing() -> None:
    assert set(PREDICTORS) <= set(CHECK_NAMES)
    assert assess(profiles.load("approved")).predicts("no_such_check") is None


def test_requirement_line_names_measured_required_and_source() -> None:
    line = assess(profiles.load("approved")).requirement("ram_per_node").line
    assert line.startswith("ram_per_node: NOT met: measured 4 GiB (t4g.medium), required 24 GiB [")


def test_the_hello_spinapp_is_predicted_to_fail_with_the_platform_and_not_on_big_nodes() -> None:
    small = assess(sized("t4g.small"))
    assert (small.predicts("spinapps_ready") or "").startswith(
        "spin-operator/spin-operator pod spin-operator-controller-manager-")
    assert small.predicted_blockers("spinapps_ready") == {"spin-operator/spin-operator"}
    nano = assess(sized("t4g.nano"))  # cilium fails: cert-manager never installs, so spin-operator cannot start
    assert nano.predicted_blockers("spinapps_ready") == {"cozy-cilium/cilium"}
    assert "spin-operator waits for cozy-cert-manager/cert-manager, blocked by cozy-cilium/cilium (InstallFailed" \
        in (nano.predicts("spinapps_ready") or "")
    assert assess(profiles.load("approved")).predicts("spinapps_ready") is None
    assert assess(sized("t4g.2xlarge", 256)).predicts("spinapps_ready") is None


def test_the_requests_rule_names_a_pod_that_fits_no_node() -> None:
    rule = assess(sized("t4g.nano")).requirement("platform_requests")
    assert not rule.met and rule.blockers[0] == "cozy-cilium/cilium" and rule.source.startswith(
        "reconstructed from cozystack/cozystack v1.3.3")
    assert "; pod cilium Pending: Insufficient memory" in rule.problem
    assert "Pod kube-system/kube-apiserver-talos-gateway Pending: Insufficient memory" in rule.problem  # Talos's own
