"""Pure checks: pass on good shapes, fail (naming node, expected and actual) on bad ones."""

from __future__ import annotations

import pytest

from fixtures.talosctl_standin import standin_dir
from provisioning.profiles import load
from provisioning.talos import checks
from provisioning.talos.adapter import parse_json_stream
from provisioning.talos.health import parse_health
from provisioning.talos.resources import (
    Address,
    AddressSpec,
    Disk,
    Extension,
    MachineStatus,
    MemoryStats,
    OperatorSpec,
    Service,
    SystemDisk,
    TimeStatus,
    UnmetCondition,
)
from provisioning.talos.roles import required_extensions, talos_machine_type

IP = "10.10.0.101"
GIB = 2**30


def shape_file(name: str) -> list[dict]:
    return parse_json_stream((standin_dir() / "shapes" / f"{name}.json").read_text())


def mem(total_mib: int, node: str = IP) -> tuple[MemoryStats, ...]:
    return (MemoryStats(node=node, total_kb=total_mib * 1024, available_kb=0),)


def test_roles_map_to_machine_types_and_extensions() -> None:
    topo = load("approved")
    gateway, compute = topo.nodes[0], topo.nodes[1]
    assert talos_machine_type(gateway) == "controlplane"
    assert talos_machine_type(compute) == "worker"
    assert talos_machine_type(compute, all_control_planes=True) == "controlplane"
    assert required_extensions(gateway) == ("spin", "tailscale")
    assert required_extensions(compute) == ("spin",)


def test_memory_passes_for_a_4_gib_instance() -> None:
    stats = tuple(MemoryStats.parse(o) for o in shape_file("memorystats"))
    assert checks.memory(stats, IP, machine_type="controlplane", required_mib=4096) == []


def test_t4g_small_fails_a_4_gib_requirement_naming_node_measured_and_required() -> None:
    # t4g.small: 2 GiB nominal, MemTotal about 1.9 GiB.
    (message,) = checks.memory(mem(1904), IP, machine_type="controlplane", required_mib=4096, name="talos-gateway")
    assert "talos-gateway (10.10.0.101)" in message
    assert "1904 MiB measured" in message and "4096 MiB required" in message


def test_memory_below_talos_minimum_names_the_health_check() -> None:
    (message,) = checks.memory(mem(1600), IP, machine_type="controlplane")
    assert "below Talos' controlplane minimum of 1698 MiB" in message
    assert checks.memory(mem(1600), IP, machine_type="worker") == []


def test_no_answer_for_the_node_is_a_violation() -> None:
    assert checks.memory(mem(4000, node="10.10.0.102"), IP, machine_type="worker", required_mib=4096)
    assert checks.machine_ready((), IP)
    assert checks.time_synced((), IP)
    assert checks.system_disk((), (), IP, min_gib=10)


def network(name: str, parse: type) -> tuple:
    return tuple(parse.parse(o) for o in shape_file(name))


def test_static_address_passes_on_configuration_layer_without_dhcp() -> None:
    assert checks.static_address(network("addresses", Address), network("addressspecs", AddressSpec), (),
                                 planned_ip=IP, prefixlen=24) == []


def test_dhcp_origin_fails_on_layer_and_operator() -> None:
    specs = tuple(AddressSpec(IP, s.id, s.namespace, s.address, s.link_name, s.family,
                              "operator" if s.link_name == "ens5" else s.layer)
                  for s in network("addressspecs", AddressSpec))
    found = checks.static_address(network("addresses", Address), specs, network("operatorspecs", OperatorSpec),
                                  planned_ip=IP)
    assert any("layer operator (DHCP)" in f and "expected configuration or cmdline" in f for f in found)
    assert any("DHCPv4 operator dhcp4/ens5 runs on link ens5" in f for f in found)


def test_wrong_or_missing_address_fails() -> None:
    addrs = network("addresses", Address)
    (missing,) = checks.static_address(addrs, (), (), planned_ip="10.10.0.150", node=IP)
    assert "planned address 10.10.0.150 is not on any link" in missing and "10.10.0.101/24" in missing
    found = checks.static_address(addrs, network("addressspecs", AddressSpec), (), planned_ip=IP, prefixlen=26)
    assert found == ["node 10.10.0.101: 10.10.0.101 has prefix /24, planned /26"]


def disk(size_gib: float, transport: str = "nvme") -> tuple[tuple[SystemDisk, ...], tuple[Disk, ...]]:
    d = Disk(IP, "nvme0n1", "/dev/nvme0n1", int(size_gib * GIB), "", transport, "", "", False, False, False)
    return (SystemDisk(IP, "nvme0n1", "/dev/nvme0n1"),), (d,)


def test_system_disk_passes_on_the_reconstructed_ebs_volume() -> None:
    assert checks.system_disk(network("systemdisk", SystemDisk), network("disks", Disk), IP, min_gib=50) == []


def test_non_nvme_system_disk_fails() -> None:
    (message,) = checks.system_disk(*disk(50, transport="virtio"), IP, min_gib=50)
    assert "transport 'virtio', expected 'nvme'" in message


def test_too_small_system_disk_fails() -> None:
    (message,) = checks.system_disk(*disk(20), IP, min_gib=50)
    assert "is 20.0 GiB, planned at least 50 GiB" in message


def test_missing_tailscale_on_the_gateway_fails() -> None:
    exts = tuple(e for e in network("extensions", Extension) if e.name != "tailscale")
    (message,) = checks.extensions(exts, IP, required=required_extensions(load("approved").nodes[0]),
                                   name="talos-gateway")
    assert "talos-gateway (10.10.0.101): extension(s) tailscale missing" in message
    assert "present spin" in message
    assert checks.extensions(network("extensions", Extension), IP, required=["spin", "tailscale"]) == []


def test_machine_not_ready_lists_unmet_conditions() -> None:
    status = (MachineStatus(IP, "booting", False, (UnmetCondition("time", "time is not in sync"),)),)
    (message,) = checks.machine_ready(status, IP)
    assert "stage 'booting'" in message and "time: time is not in sync" in message
    assert checks.machine_ready(network("machinestatus", MachineStatus), IP) == []


def test_time_not_synced_fails() -> None:
    assert checks.time_synced((TimeStatus(IP, False, False, 0),), IP) == [
        "node 10.10.0.101: time not synced; expected synced"]
    assert checks.time_synced(network("timestatus", TimeStatus), IP) == []


def test_services_must_run() -> None:
    svcs = network("services", Service)
    assert checks.services(svcs, IP, required=["etcd", "ext-tailscale"]) == []
    down = tuple(Service(IP, s.id, False, False, False) if s.id == "ext-tailscale" else s for s in svcs)
    (message,) = checks.services(down, IP, required=["ext-tailscale"])
    assert "ext-tailscale running=False" in message


def test_unhealthy_health_check_is_named() -> None:
    result = parse_health("waiting for etcd to be healthy: OK\n"
                          "waiting for etcd members to be control plane nodes: etcd member ips mismatch\n", 1)
    assert checks.health(result) == [
        "talosctl health failed at check 'etcd members to be control plane nodes': etcd member ips mismatch"]
    assert checks.health(parse_health("waiting for etcd to be healthy: OK\n", 0)) == []


INSTALL_CONSOLE = """[   12.3] cloud-init[1021]: tdg-boot-to-talos: running: boot-to-talos -yes -mode install ...
2026/05/16 10:00:05 creating raw disk
2026/05/16 10:00:06 starting Talos installer
2026/05/16 10:00:19 Talos installer finished successfully
2026/05/16 10:00:31 installation image copied to /dev/nvme0n1
2026/05/16 10:00:31 creating EFI boot entry
2026/05/16 10:00:31 rebooting system
"""


def test_console_with_install_lines_passes() -> None:
    assert checks.console_install(INSTALL_CONSOLE.replace("\n", "\r\n"), instance="i-0abc") == []


def test_kexec_only_console_fails_saying_it_did_not_install() -> None:
    console = "2026/05/16 10:00:05 loading kernel\n2026/05/16 10:00:06 kexec loaded successfully\n"
    (message,) = checks.console_install(console, instance="i-0abc")
    assert "i-0abc" in message
    assert "kexec'ed into Talos in RAM" in message and "instead of installing" in message
    assert "-mode install" in message


@pytest.mark.parametrize(("console", "expected"), [
    ("", "console output is empty"),
    ("2026/05/16 starting Talos installer\n", "install did not finish"),
    ("rebooting system\ninstallation image copied to\nTalos installer finished successfully\n", "out of order"),
])
def test_incomplete_or_scrambled_console_fails(console: str, expected: str) -> None:
    (message,) = checks.console_install(console, instance="i-0abc")
    assert expected in message
