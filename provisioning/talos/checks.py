"""Checks over what talosctl and EC2 report about a Talos node (pure; no I/O).

Every check takes the adapter's answer (a tuple that may cover several nodes) and the node it
is about, and returns human-readable violations naming the node, what was expected and what was
found. An empty list is a pass; a node missing from the answer is a violation, never a pass.
Limits come from provisioning/data/talos_limits.yaml; provisioning.talos.roles says what a role requires.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from typing import Protocol, TypeVar

from provisioning.data import load_data
from provisioning.talos.health import HealthResult
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
    Version,
)
from provisioning.talos.roles import MachineType

STATIC_LAYERS = ("configuration", "cmdline")


class _OnNode(Protocol):
    @property
    def node(self) -> str: ...


R = TypeVar("R", bound=_OnNode)


def _label(node: str, name: str | None) -> str:
    return f"{name} ({node})" if name else f"node {node}"


def _of(results: Sequence[R], node: str) -> list[R]:
    return [r for r in results if r.node == node]


def memory(stats: Sequence[MemoryStats], node: str, *, machine_type: MachineType,
           required_mib: int | None = None, name: str | None = None) -> list[str]:
    """MemTotal must reach Talos' minimum for the machine type and the caller's requirement.

    required_mib is nominal memory (what the instance type promises); MemTotal sits below it,
    so up to talos_limits.memtotal_slack (unverified, 10 %) less is accepted.
    """
    who = _label(node, name)
    mine = _of(stats, node)
    limits = load_data("talos_limits")
    if not mine:
        floor = max(required_mib or 0, int(limits["health_memtotal_min_mib"][machine_type]))
        return [f"{who}: no memorystats answer (expected MemTotal of about {floor} MiB or more)"]
    measured = mine[0].total_mib
    out = []
    talos_min = int(limits["health_memtotal_min_mib"][machine_type])
    if measured < talos_min:
        out.append(f"{who}: MemTotal {measured} MiB is below Talos' {machine_type} minimum of {talos_min} MiB "
                   f"(talosctl health check 'all nodes memory sizes' fails)")
    if required_mib is not None:
        fraction = float(limits["memtotal_slack"]["fraction"])
        accepted = math.ceil(required_mib * (1 - fraction))
        if measured < accepted:
            out.append(f"{who}: MemTotal {measured} MiB measured, {required_mib} MiB required "
                       f"(at least {accepted} MiB accepted, allowing {fraction:.0%} kernel reservation)")
    return out


def static_address(addresses: Sequence[Address], specs: Sequence[AddressSpec], operators: Sequence[OperatorSpec],
                   *, planned_ip: str, prefixlen: int | None = None, node: str | None = None,
                   name: str | None = None) -> list[str]:
    """The planned IP must be on a link, configured statically (machine config or ip= cmdline), not by DHCP.

    Address flags and route protocol look the same for static and DHCP addresses, so the origin
    is read from the merged AddressSpec's layer and from the absence of a dhcp4 operator on the
    link (talos-cozystack-facts §2).
    """
    target = node or planned_ip
    who = _label(target, name)
    have = [a for a in _of(addresses, target) if a.ip == planned_ip]
    if not have:
        actual = sorted(a.address for a in _of(addresses, target) if a.scope == "global") or ["none"]
        return [f"{who}: planned address {planned_ip} is not on any link; global addresses: {', '.join(actual)}"]
    addr = have[0]
    out = []
    actual_prefix = ipaddress.ip_interface(addr.address).network.prefixlen
    if prefixlen is not None and actual_prefix != prefixlen:
        out.append(f"{who}: {planned_ip} has prefix /{actual_prefix}, planned /{prefixlen}")
    layers = sorted({s.layer for s in _of(specs, target) if s.ip == planned_ip and s.namespace in ("network", "")})
    if not layers:
        out.append(f"{who}: no merged AddressSpec for {planned_ip}, so its origin is unknown "
                   f"(expected layer {' or '.join(STATIC_LAYERS)})")
    elif not set(layers) & set(STATIC_LAYERS):
        why = " (DHCP)" if "operator" in layers else ""
        out.append(f"{who}: {planned_ip} comes from layer {'/'.join(layers)}{why}, "
                   f"expected {' or '.join(STATIC_LAYERS)} (static)")
    dhcp = [o.id for o in _of(operators, target) if o.operator == "dhcp4" and o.link_name == addr.link_name]
    if dhcp:
        out.append(f"{who}: DHCPv4 operator {dhcp[0]} runs on link {addr.link_name}, "
                   f"expected none on a statically addressed link")
    return out


def system_disk(system_disks: Sequence[SystemDisk], disks: Sequence[Disk], node: str, *, min_gib: float,
                name: str | None = None) -> list[str]:
    """Talos must be installed on an NVMe disk of at least min_gib GiB (EBS on Nitro is NVMe)."""
    who = _label(node, name)
    mine = _of(system_disks, node)
    if not mine or not mine[0].disk_id:
        return [f"{who}: no system disk reported (Talos not installed to disk?), expected NVMe >= {min_gib:g} GiB"]
    disk_id = mine[0].disk_id
    found = [d for d in _of(disks, node) if d.id == disk_id]
    if not found:
        return [f"{who}: system disk {disk_id} is missing from the disks list"]
    disk = found[0]
    out = []
    if disk.transport != "nvme":
        out.append(f"{who}: system disk {disk.dev_path} has transport {disk.transport or 'unknown'!r}, "
                   f"expected 'nvme'")
    if disk.size_bytes < min_gib * 2**30:
        out.append(f"{who}: system disk {disk.dev_path} is {disk.size_gib:.1f} GiB, planned at least {min_gib:g} GiB")
    return out


def extensions(exts: Sequence[Extension], node: str, *, required: Sequence[str],
               name: str | None = None) -> list[str]:
    """Every required system extension must be in the booted image."""
    have = {e.name for e in _of(exts, node)}
    missing = [r for r in required if r not in have]
    if not missing:
        return []
    return [f"{_label(node, name)}: extension(s) {', '.join(missing)} missing; required "
            f"{', '.join(required)}, present {', '.join(sorted(have)) or 'none'}"]


def machine_ready(statuses: Sequence[MachineStatus], node: str, *, name: str | None = None) -> list[str]:
    """The machine must be in stage running and ready, with no unmet conditions."""
    who = _label(node, name)
    mine = _of(statuses, node)
    if not mine:
        return [f"{who}: no machinestatus answer (expected stage running, ready)"]
    st = mine[0]
    if st.stage == "running" and st.ready:
        return []
    unmet = "; ".join(f"{c.name}: {c.reason}" for c in st.unmet) or "none listed"
    return [f"{who}: stage {st.stage!r}, ready {st.ready}; expected stage 'running' and ready "
            f"(unmet conditions: {unmet})"]


def time_synced(statuses: Sequence[TimeStatus], node: str, *, name: str | None = None) -> list[str]:
    """The node's clock must be synced (NTP 169.254.169.123 on EC2)."""
    who = _label(node, name)
    mine = _of(statuses, node)
    if not mine:
        return [f"{who}: no timestatus answer (expected synced)"]
    if mine[0].synced:
        return []
    extra = " (time sync is disabled)" if mine[0].sync_disabled else ""
    return [f"{who}: time not synced{extra}; expected synced"]


def services(svcs: Sequence[Service], node: str, *, required: Sequence[str], name: str | None = None) -> list[str]:
    """Each required service (e.g. ext-tailscale) must be running, and healthy when it has a health check.

    A service without a health check reports unknown=true and healthy=false; running is all it can show.
    """
    who = _label(node, name)
    by_id = {s.id: s for s in _of(svcs, node)}
    out = []
    for sid in required:
        svc = by_id.get(sid)
        if svc is None:
            out.append(f"{who}: service {sid} not present; expected running")
        elif not svc.running or not (svc.healthy or svc.unknown):
            out.append(f"{who}: service {sid} running={svc.running} healthy={svc.healthy}; "
                       f"expected running and healthy (or no health check)")
    return out


def health(result: HealthResult) -> list[str]:
    """talosctl health must pass; otherwise name the check that failed."""
    return [] if result.passed else [result.describe()]


def console_install(console: str, *, instance: str) -> list[str]:
    """The EC2 console must show boot-to-talos installing to disk, in order; a kexec-only boot fails.

    With -yes and no -mode, boot-to-talos kexecs Talos into RAM: the node answers in maintenance
    mode but nothing is on disk, and a reboot brings the old OS back.
    """
    spec = load_data("talos_limits")["boot_to_talos_console"]
    lines: list[str] = list(spec["install_lines"])
    text = console.replace("\r", "")
    if not text.strip():
        return [f"instance {instance}: console output is empty; expected boot-to-talos lines "
                f"{', '.join(repr(x) for x in lines)} (EC2 console output can lag a few minutes)"]
    missing = [x for x in lines if x not in text]
    if missing and spec["kexec_line"] in text:
        return [f"instance {instance}: boot-to-talos kexec'ed into Talos in RAM ({spec['kexec_line']!r}) instead "
                f"of installing to disk; expected install-mode lines {', '.join(repr(x) for x in lines)}; "
                f"run it with '-mode install' (with -yes alone it boots, and the disk keeps the old OS)"]
    if missing:
        return [f"instance {instance}: console lacks boot-to-talos install line(s) "
                f"{', '.join(repr(x) for x in missing)}; the install did not finish"]
    positions = [text.index(x) for x in lines]
    if positions != sorted(positions):
        return [f"instance {instance}: boot-to-talos install lines appear out of order; expected "
                f"{' -> '.join(repr(x) for x in lines)}"]
    return []


def answers(versions: Sequence[Version], node: str, *, expected: str, name: str | None = None) -> list[str]:
    """The node answers on the Talos API and runs the pinned Talos version."""
    who = _label(node, name)
    mine = _of(versions, node)
    if not mine:
        return [f"{who}: no answer on the Talos API (expected Talos {expected})"]
    if mine[0].version != expected:
        return [f"{who}: runs Talos {mine[0].version}, expected {expected} (versions.yaml talos.version)"]
    return []


def health_before_cni(result: HealthResult, *, cni_pending: bool) -> list[str]:
    """talosctl health must pass; with the CNI left to CozyStack, only its node-readiness checks may fail.

    With CNI none and kube-proxy off (CozyStack's prerequisites) nodes stay NotReady until
    CozyStack installs Cilium, so those checks cannot pass in this phase (talos-cozystack-facts §1).
    Every check before them must have passed; any other failure is named.
    """
    if result.passed:
        return []
    waiting = load_data("talos_limits")["health_checks_waiting_for_cni"]
    if cni_pending and result.failed_check in waiting:
        return []
    return [result.describe()]


def data_disk(system_disks: Sequence[SystemDisk], disks: Sequence[Disk], node: str, *, planned_gb: int,
              volume_ids: Sequence[str] = (), name: str | None = None) -> list[str]:
    """Talos must list the planned data disk beside its system disk: an NVMe disk of planned_gb GiB.

    volume_ids (from EC2) tie it to the attached EBS volume: its NVMe serial is the volume id
    without the dash. With planned_gb 0 no disk besides the system disk may be listed.
    """
    who = _label(node, name)
    system = {s.disk_id for s in _of(system_disks, node)}
    others = [d for d in _of(disks, node) if d.id not in system]
    if planned_gb == 0:
        listed = ", ".join(d.dev_path for d in others)
        return [f"{who}: no data disk planned, talosctl lists {listed}"] if others else []
    fits = [d for d in others if d.transport == "nvme" and d.size_bytes == planned_gb * 2**30]
    if not fits:
        found = ", ".join(f"{d.dev_path} {d.size_gib:.1f} GiB {d.transport or '?'}" for d in others) or "none"
        return [f"{who}: no {planned_gb} GiB NVMe data disk besides the system disk; found {found}"]
    serials = {v.replace("-", "") for v in volume_ids}
    if serials and not any(d.serial in serials for d in fits):
        return [f"{who}: data disk {fits[0].dev_path} has serial {fits[0].serial}, none of the attached "
                f"volumes {', '.join(volume_ids)}"]
    return []
