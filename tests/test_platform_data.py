"""The CozyStack/SpinKube/kubelet facts re-derive cleanly, and any drift of a file's provenance or content fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioning.data import DATA_DIR
from provisioning.platform_data import (
    PROVENANCE_FIELDS,
    DataDriftError,
    build_platform,
    content_sha256,
    load_platform,
    load_reservation,
    load_spin_operator,
    read_verified,
)
from provisioning.platform_model import NodeSpec, run
from provisioning.platform_overhead import build_overhead, load_overhead

FILES = ("cozystack_v1_3_3.yaml", "spin_operator_v0_4_0.yaml", "kubelet_allocatable.yaml",
         "cluster_overhead_v1_3_3.yaml")


@pytest.mark.parametrize("name", FILES)
def test_every_file_names_its_source_and_matches_its_checksum(name: str) -> None:
    prov, content = read_verified(DATA_DIR / name)
    assert all(prov[f] for f in PROVENANCE_FIELDS) and len(prov["commit"]) == 40
    assert prov["content_sha256"] == content_sha256(content)


def test_the_platform_rebuilds_from_the_data_as_v1_3_3_defines_it() -> None:
    platform = load_platform()
    assert platform.provenance["commit"] == "705a221096a0644c01937c17b7f9382f832d9e2d"
    assert (platform.version, platform.variant, len(platform.releases)) == ("v1.3.3", "isp-full", 83)
    cert = platform.release("cozy-cert-manager/cert-manager")
    assert cert.package == "cozystack.cert-manager" and cert.workloads == ()  # the chart sets no requests
    assert cert.depends_on[0] == "cozy-cert-manager/cert-manager-crds"
    assert platform.release("cozy-system/cozystack-controller").workloads == ()
    virt = platform.release("cozy-kubevirt/kubevirt-operator").workloads[0]
    assert (virt.replicas, virt.cpu_m, virt.memory_mib) == (2, 10, 450.0)
    assert all(r.path.startswith("packages/") for r in platform.releases)
    # rebuilding the whole outcome from the files works and is deterministic
    nodes = [NodeSpec(f"n{i}", "controlplane" if i == 0 else "worker", 2, 4096, False) for i in range(3)]
    assert run(nodes).releases == run(nodes).releases


def test_reservations_and_spin_operator_come_from_their_files() -> None:
    reserve = load_reservation()
    assert reserve.allocatable(2, 4096, "controlplane") == (1950, 3484.0)
    assert reserve.allocatable(2, 4096, "worker") == (1950, 3612.0)
    spin = load_spin_operator()
    assert spin.requires == ("cozy-cert-manager/cert-manager",) and spin.workloads[0].memory_mib == 128


def test_the_pods_outside_the_charts_rebuild_from_their_file_with_a_source_each() -> None:
    overhead = load_overhead()
    assert overhead.provenance["commit"] == "705a221096a0644c01937c17b7f9382f832d9e2d"
    by_name = {c.name: c for c in overhead.creators}
    virt = by_name["kubevirt"]
    assert (virt.source["repository"], virt.source["tag"], virt.source["commit"]) == (
        "kubevirt/kubevirt", "v1.6.3", "37a6d88ca6616ba222ff2d78267222aa16e8e7dc")
    assert virt.after == ("cozy-kubevirt/kubevirt-operator", "cozy-kubevirt/kubevirt")
    handler = next(w for w in virt.workloads if w.name == "virt-handler")
    assert (handler.placement, handler.cpu_m, handler.memory_mib) == ("every", 10, 325.0)
    assert by_name["cdi"].source["tag"] == "v1.64.0" and by_name["linstor"].source["verified"] is False
    apiserver = by_name["talos-control-plane"].workloads[0]
    assert (apiserver.name, apiserver.cpu_m, apiserver.memory_mib) == ("kube-apiserver", 200, 512.0)
    # every creator waits for releases v1.3.3 really has, and MemTotal is marked reconstructed
    keys = {r.key for r in load_platform().releases}
    assert all(set(c.after) <= keys for c in overhead.creators)
    assert overhead.memtotal_fraction == 0.075 and not overhead.memtotal_verified
    assert overhead.memtotal_mib(4096) == 3788.0


def copy_with(tmp_path: Path, change: object, name: str = "cozystack_v1_3_3.yaml") -> Path:
    doc = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    out = tmp_path / name
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return out


def test_a_changed_request_without_re_deriving_is_refused(tmp_path: Path) -> None:
    def bump(doc: dict) -> None:  # type: ignore[type-arg]
        doc["releases"][1]["workloads"][0]["memory"] = "10Gi"
    with pytest.raises(DataDriftError, match="content sha256 .* differs from provenance.content_sha256"):
        read_verified(copy_with(tmp_path, bump))


def test_a_dropped_dependency_without_re_deriving_is_refused(tmp_path: Path) -> None:
    def drop(doc: dict) -> None:  # type: ignore[type-arg]
        doc["releases"][2]["depends_on"] = []
    with pytest.raises(DataDriftError, match="differs"):
        read_verified(copy_with(tmp_path, drop))


@pytest.mark.parametrize("field", ["repository", "tag", "commit", "read", "content_sha256"])
def test_incomplete_provenance_is_refused(tmp_path: Path, field: str) -> None:
    def strip(doc: dict) -> None:  # type: ignore[type-arg]
        doc["provenance"].pop(field)
    with pytest.raises(DataDriftError, match=f"provenance lacks \\['{field}'\\]"):
        read_verified(copy_with(tmp_path, strip))


def test_a_dangling_dependency_is_refused_even_with_a_fresh_checksum(tmp_path: Path) -> None:
    def dangle(doc: dict) -> None:  # type: ignore[type-arg]
        doc["releases"][2]["depends_on"] = ["cozy-nowhere/ghost"]
        doc["provenance"]["content_sha256"] = content_sha256({k: v for k, v in doc.items() if k != "provenance"})
    with pytest.raises(DataDriftError, match="dangling dependsOn \\['cozy-nowhere/ghost'\\]"):
        build_platform(*read_verified(copy_with(tmp_path, dangle)))


def test_a_changed_operator_request_without_re_deriving_is_refused(tmp_path: Path) -> None:
    def shrink(doc: dict) -> None:  # type: ignore[type-arg]
        doc["pods_outside_charts"][3]["workloads"][3]["memory"] = "1Mi"
    with pytest.raises(DataDriftError, match="content sha256 .* differs"):
        read_verified(copy_with(tmp_path, shrink, "cluster_overhead_v1_3_3.yaml"))


@pytest.mark.parametrize("field", ["repository", "tag", "commit", "path"])
def test_a_creator_without_a_complete_source_is_refused(tmp_path: Path, field: str) -> None:
    def strip(doc: dict) -> None:  # type: ignore[type-arg]
        doc["pods_outside_charts"][3]["source"].pop(field)
        doc["provenance"]["content_sha256"] = content_sha256({k: v for k, v in doc.items() if k != "provenance"})
    with pytest.raises(DataDriftError, match=f"creator kubevirt: source lacks \\['{field}'\\]"):
        build_overhead(*read_verified(copy_with(tmp_path, strip, "cluster_overhead_v1_3_3.yaml")))


def test_a_commit_not_read_must_say_unverified(tmp_path: Path) -> None:
    def claim(doc: dict) -> None:  # type: ignore[type-arg]
        linstor = next(c for c in doc["pods_outside_charts"] if c["name"] == "linstor")
        linstor["source"]["verified"] = True
        doc["provenance"]["content_sha256"] = content_sha256({k: v for k, v in doc.items() if k != "provenance"})
    with pytest.raises(DataDriftError, match="creator linstor: source commit 'not read' is neither"):
        build_overhead(*read_verified(copy_with(tmp_path, claim, "cluster_overhead_v1_3_3.yaml")))


def test_a_mistyped_release_field_is_refused_naming_release_path_and_value(tmp_path: Path) -> None:
    def mistype(doc: dict) -> None:  # type: ignore[type-arg]
        doc["releases"][2]["depends_on"] = "cozy-cilium/cilium"
        doc["provenance"]["content_sha256"] = content_sha256({k: v for k, v in doc.items() if k != "provenance"})
    with pytest.raises(DataDriftError, match="release .*: depends_on = 'cozy-cilium/cilium' is not a valid "
                                             "tuple\\[str, ...\\]: a str, not a list of strings"):
        build_platform(*read_verified(copy_with(tmp_path, mistype)))


def test_a_creator_without_its_creator_is_refused_naming_the_key(tmp_path: Path) -> None:
    def strip(doc: dict) -> None:  # type: ignore[type-arg]
        doc["pods_outside_charts"][3].pop("created_by")
        doc["provenance"]["content_sha256"] = content_sha256({k: v for k, v in doc.items() if k != "provenance"})
    with pytest.raises(DataDriftError, match="creator kubevirt: created_by is missing"):
        build_overhead(*read_verified(copy_with(tmp_path, strip, "cluster_overhead_v1_3_3.yaml")))
