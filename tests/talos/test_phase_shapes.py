"""Phase 03's failing shapes, end to end through the talosctl stand-in: the checks the steps use must fail.

Each node state is built the way talos_lab builds it offline (fixtures/standin_talos.py: from
an instance's type, volume and user-data), then bent into a known failing shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from fixtures.standin_talos import talos_node_state
from provisioning import profiles
from provisioning.aws.instance_state import InstanceState, InterfaceState, VolumeState
from provisioning.data import load_data
from provisioning.phases import talos as phase
from provisioning.talos import checks
from provisioning.talos.adapter import Talosctl
from provisioning.talos.health import parse_health
from provisioning.talos.roles import required_extensions
from tests.talos.conftest import Docs

Make = Callable[..., Talosctl]
TOPO = profiles.load("approved")
GATEWAY, COMPUTE = TOPO.nodes[0], TOPO.nodes[1]
SHA = "d" * 64


def configured(node: Any, instance_type: str | None = None, image_of: Any = None) -> dict[str, Any]:
    """A node as talos_lab builds it offline from its instance (the standin fixture then applies its config)."""
    ud = phase.user_data(TOPO, image_of or node, SHA)
    root = VolumeState("vol-0123", "/dev/xvda", node.root_volume_gb, "gp3", True, {})
    eni = InterfaceState("eni-1", 0, (node.private_ip,), None, (), ("sg-1",), "02:00:00:00:00:01")
    inst = InstanceState("i-1", "running", instance_type or node.instance_type, "ami-1", "arm64", node.private_ip,
                         None, (eni,), "required", "enabled", "/dev/xvda", (root,), {}, ud)
    return talos_node_state(node, inst, TOPO.subnet(TOPO.node_subnet).network)


def memory(talos: Talosctl, node: Any) -> list[str]:
    promised = int(load_data("instance_types")["types"][node.instance_type]["memory_mib"])
    return checks.memory(talos.memory_stats([node.private_ip]), node.private_ip, machine_type="controlplane",
                         required_mib=promised, name=node.name)


def test_a_configured_gateway_passes_the_steps_checks(standin: Make) -> None:
    talos = standin([configured(GATEWAY)])
    ip = [GATEWAY.private_ip]
    assert memory(talos, GATEWAY) == []
    assert checks.static_address(talos.addresses(ip), talos.address_specs(ip), talos.operator_specs(ip),
                                 planned_ip=GATEWAY.private_ip, prefixlen=24, node=GATEWAY.private_ip) == []
    assert checks.extensions(talos.extensions(ip), GATEWAY.private_ip, required=required_extensions(GATEWAY)) == []
    assert checks.system_disk(talos.system_disk(ip), talos.disks(ip), GATEWAY.private_ip, min_gib=50) == []
    assert checks.answers(talos.versions(ip), GATEWAY.private_ip, expected="v1.12.7") == []


def test_a_t4g_small_sized_node_fails_memory_naming_node_measured_and_required(standin: Make) -> None:
    talos = standin([configured(GATEWAY, instance_type="t4g.small")])
    [msg] = memory(talos, GATEWAY)
    assert "talos-gateway" in msg and "1894 MiB measured" in msg and "4096 MiB required" in msg


def test_a_dhcp_only_patch_fails_the_static_address_check(standin: Make) -> None:
    def dhcp_only(docs: Docs) -> Docs:
        return [*[d for d in docs if d.get("kind") != "LinkConfig"],
                {"apiVersion": "v1alpha1", "kind": "DHCPv4Config", "name": "net0"}]

    talos = standin([configured(COMPUTE)], bend=dhcp_only)
    ip = [COMPUTE.private_ip]
    found = checks.static_address(talos.addresses(ip), talos.address_specs(ip), talos.operator_specs(ip),
                                  planned_ip=COMPUTE.private_ip, prefixlen=24, node=COMPUTE.private_ip,
                                  name=COMPUTE.name)
    assert any("DHCP" in f for f in found) and any("dhcp4" in f for f in found)


def test_a_gateway_booted_from_the_compute_image_misses_tailscale(standin: Make) -> None:
    talos = standin([configured(GATEWAY, image_of=COMPUTE)])
    [msg] = checks.extensions(talos.extensions([GATEWAY.private_ip]), GATEWAY.private_ip,
                              required=required_extensions(GATEWAY), name=GATEWAY.name)
    assert "tailscale missing" in msg and "talos-gateway" in msg


def test_an_unhealthy_check_is_named_even_while_cni_is_pending(standin: Make) -> None:
    talos = standin([configured(GATEWAY), configured(COMPUTE)])
    result = talos.health([GATEWAY.private_ip, COMPUTE.private_ip], [], 30)  # the worker cannot host etcd
    [msg] = checks.health_before_cni(result, cni_pending=True)
    assert "'etcd members to be control plane nodes'" in msg


@pytest.mark.parametrize("failed", ["all k8s nodes to report ready", "coredns to report ready"])
def test_readiness_checks_may_fail_only_while_cozystack_owns_the_cni(failed: str) -> None:
    result = parse_health(f"waiting for etcd to be healthy: OK\nwaiting for {failed}: ...\n"
                          f"waiting for {failed}: node not ready\n", 1)
    assert checks.health_before_cni(result, cni_pending=True) == []
    assert failed in checks.health_before_cni(result, cni_pending=False)[0]
    assert checks.health_before_cni(replace(result, passed=True), cni_pending=False) == []


def test_a_node_that_does_not_answer_or_runs_another_talos_fails(standin: Make) -> None:
    talos = standin([{**configured(GATEWAY), "talos_version": "v1.11.5"}])
    [msg] = checks.answers(talos.versions([GATEWAY.private_ip]), GATEWAY.private_ip, expected="v1.12.7",
                           name=GATEWAY.name)
    assert "v1.11.5" in msg and "v1.12.7" in msg
    assert "no answer" in checks.answers((), "10.10.0.109", expected="v1.12.7")[0]
