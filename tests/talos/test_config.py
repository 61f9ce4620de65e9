"""Talos v1.12 config patches: multi-document, accepted by the v1.12 schema, nothing gen config conflicts with."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from fixtures.talosctl_standin._genconfig import generate, new_secrets
from provisioning.data import load_data
from provisioning.profiles import available, load
from provisioning.talos import machineconfig
from provisioning.talos.config import (
    default_gateway,
    node_patch,
    node_patch_yaml,
    registry_mirrors,
    route_metric,
    vpc_resolver,
)
from provisioning.talos.roles import talos_machine_type

MAC = "0a:1b:2c:3d:4e:5f"


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    return [d.get("kind", "v1alpha1") for d in docs]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind", "v1alpha1") == kind]


@pytest.mark.parametrize("profile", [p for p in available() if p != "sandbox-eu"])
@pytest.mark.parametrize("for_cozystack", [False, True])
def test_every_rendered_document_validates_against_the_v112_schema(profile: str, for_cozystack: bool) -> None:
    topo = load(profile)
    for node in topo.nodes:
        patch = node_patch(topo, node, mac=MAC, for_cozystack=for_cozystack, extra_cert_sans=["127.0.0.1"])
        assert not machineconfig.problems(patch, strict_schema=True), (node.name, patch)
        base = generate(talos_machine_type(node), "tdg", "https://10.10.0.101:6443", new_secrets())
        merged = machineconfig.merge(base, patch)
        assert machineconfig.problems(merged) == machineconfig.Problems((), ()), node.name


def test_the_v1alpha1_part_holds_nothing_v112_moved_to_documents() -> None:
    topo = load("approved")
    v1 = node_patch(topo, topo.nodes[0], mac=MAC)[0]
    assert "network" not in v1["machine"] and "time" not in v1["machine"] and "registries" not in v1["machine"]


def test_hostname_overrides_gen_configs_auto_stable_without_a_conflict() -> None:
    topo = load("approved")
    (hostname,) = by_kind(node_patch(topo, topo.nodes[1], mac=MAC), "HostnameConfig")
    assert hostname == {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "off",
                        "hostname": "talos-compute-2"}
    base = generate("worker", "tdg", "https://10.10.0.101:6443", new_secrets())
    merged = by_kind(machineconfig.merge(base, [hostname]), "HostnameConfig")
    assert merged == [hostname]


def test_the_old_hostname_patch_is_refused_with_talos_words() -> None:
    base = generate("worker", "tdg", "https://10.10.0.101:6443", new_secrets())
    old_patch = {"machine": {"network": {"hostname": "talos-compute-2"}}}
    found = machineconfig.problems(machineconfig.merge(base, [old_patch]))
    assert found.validation == ("static hostname is already set in v1alpha1 config",)
    assert "InvalidArgument desc = configuration validation failed: 1 error occurred:\n\t* static hostname" in \
        machineconfig.refusal(found)


def test_link_address_route_resolver_time_and_mirrors_are_documents() -> None:
    topo = load("approved")
    docs = node_patch(topo, topo.nodes[0], mac=MAC.upper())
    assert kinds(docs)[:6] == ["v1alpha1", "HostnameConfig", "LinkAliasConfig", "LinkConfig", "ResolverConfig",
                               "TimeSyncConfig"]
    (alias,) = by_kind(docs, "LinkAliasConfig")
    assert alias["selector"]["match"] == f'mac(link.permanent_addr) == "{MAC}"'
    (link,) = by_kind(docs, "LinkConfig")
    assert link["name"] == alias["name"] and link["addresses"] == [{"address": "10.10.0.101/24"}]
    assert link["routes"] == [{"gateway": "10.10.0.100", "metric": route_metric()}]
    assert by_kind(docs, "ResolverConfig")[0]["nameservers"] == [{"address": "10.10.0.2"}]
    assert by_kind(docs, "TimeSyncConfig")[0]["ntp"] == {"servers": ["169.254.169.123"]}
    mirrors = {d["name"]: d["endpoints"] for d in by_kind(docs, "RegistryMirrorConfig")}
    assert mirrors["ghcr.io"] == [{"url": "http://10.10.0.100:5054"}] and len(mirrors) == 5
    assert not by_kind(docs, "RegistryTLSConfig")


def test_default_route_metric_beats_the_cmdline_route_boot_to_talos_bakes() -> None:
    routes = load_data("talos_config")["routes"]
    assert route_metric() < routes["cmdline_route_metric"] == routes["default_route_metric"] == 1024


def test_a_metric_that_does_not_beat_the_cmdline_route_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = dict(load_data("talos_config"))
    facts["routes"] = {**facts["routes"], "node_default_route_metric": 1024}
    monkeypatch.setattr("provisioning.talos.config.load_data",
                        lambda name: facts if name == "talos_config" else load_data(name))
    with pytest.raises(ValueError, match="node_default_route_metric = 1024: must be below"):
        route_metric()


def test_cozystack_settings_come_from_its_guide() -> None:
    topo = load("approved")
    cozy = load_data("talos_config")["cozystack"]
    cp, worker = (node_patch(topo, n, mac=MAC, for_cozystack=True)[0] for n in topo.nodes[:2])
    assert cp["machine"]["kubelet"]["extraConfig"] == {"maxPods": 512}
    assert cp["machine"]["sysctls"]["net.ipv4.neigh.default.gc_thresh3"] == "16384"
    paths = {f["path"] for f in cp["machine"]["files"]}
    assert paths == {"/etc/cri/conf.d/20-customization.part", "/etc/lvm/lvm.conf"}
    assert cp["cluster"]["controllerManager"]["extraArgs"] == {"bind-address": "0.0.0.0"}
    assert cp["cluster"]["scheduler"]["extraArgs"] == {"bind-address": "0.0.0.0"}
    assert "controllerManager" not in worker["cluster"] and "apiServer" not in worker["cluster"]
    assert cp["cluster"]["network"]["cni"] == {"name": "none"} and cp["cluster"]["proxy"] == {"disabled": True}
    assert "talosctl.md" in cozy["source"]
    plain = node_patch(topo, topo.nodes[0], mac=MAC)[0]
    assert "files" not in plain["machine"] and "network" not in plain["cluster"]


def test_gateway_follows_the_bastion_nat_choice() -> None:
    approved = load("approved")
    assert default_gateway(approved) == "10.10.0.100"
    assert default_gateway(replace(approved, bastion=replace(approved.bastion, nat_for_nodes=False))) == "10.10.0.1"
    assert vpc_resolver(load("homelab-replica")) == "10.20.0.2"


def test_yaml_text_is_the_documents() -> None:
    topo = load("approved")
    text = node_patch_yaml(topo, topo.nodes[0], mac=MAC, for_cozystack=True)
    assert list(yaml.safe_load_all(text)) == node_patch(topo, topo.nodes[0], mac=MAC, for_cozystack=True)
    assert "&" not in text and "*id" not in text


def test_bad_mac_or_foreign_node_is_refused() -> None:
    topo = load("approved")
    with pytest.raises(ValueError, match="six colon-separated hex pairs"):
        node_patch(topo, topo.nodes[0], mac="0a-1b-2c-3d-4e-5f")
    other = replace(topo.nodes[0], name="stranger")
    with pytest.raises(ValueError, match="not part of topology"):
        node_patch(topo, other, mac=MAC)


def test_registry_mirrors_follow_versions_yaml() -> None:
    assert registry_mirrors("10.20.13.140")["ghcr.io"] == ["http://10.20.13.140:5054"]
