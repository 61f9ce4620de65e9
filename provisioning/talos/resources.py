"""Typed views of the Talos resources the suite reads with `talosctl get <type> -o json`.

Each object talosctl prints has `node`, `metadata` and `spec`; the spec keys are the YAML tags of
the Go types (siderolabs/talos pkg/machinery/resources/...), and omitempty fields may be missing,
so every parser here tolerates absent keys. Units are kept as Talos reports them (memory in kB,
disk sizes in bytes) with derived properties for MiB/GiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Raw = Mapping[str, Any]


class ResourceShapeError(ValueError):
    """A talosctl object lacks a field the suite needs (node, metadata.id or a required spec key)."""


def _node(raw: Raw) -> str:
    node = raw.get("node")
    if not isinstance(node, str):
        raise ResourceShapeError(f"talosctl object has no 'node' string: keys {sorted(raw)}")
    return node


def _meta(raw: Raw) -> Mapping[str, Any]:
    meta = raw.get("metadata")
    if not isinstance(meta, Mapping) or "id" not in meta:
        raise ResourceShapeError(f"talosctl object from {raw.get('node')!r} has no metadata.id")
    return meta


def _spec(raw: Raw) -> Mapping[str, Any]:
    spec = raw.get("spec")
    if not isinstance(spec, Mapping):
        raise ResourceShapeError(f"talosctl object {_meta(raw).get('id')!r} from {raw.get('node')!r} has no spec")
    return spec


@dataclass(frozen=True)
class Version:
    """Versions.runtime.talos.dev: the Talos version a node runs."""

    node: str
    version: str

    @classmethod
    def parse(cls, raw: Raw) -> Version:
        return cls(node=_node(raw), version=str(_spec(raw).get("version", "")))


@dataclass(frozen=True)
class UnmetCondition:
    """Why a machine is not ready at its stage."""

    name: str
    reason: str


@dataclass(frozen=True)
class MachineStatus:
    """MachineStatuses.runtime.talos.dev (id machine): stage and readiness."""

    node: str
    stage: str
    ready: bool
    unmet: tuple[UnmetCondition, ...]

    @classmethod
    def parse(cls, raw: Raw) -> MachineStatus:
        spec = _spec(raw)
        status = spec.get("status") or {}
        unmet = tuple(UnmetCondition(str(c.get("name", "")), str(c.get("reason", "")))
                      for c in (status.get("unmetConditions") or ()))
        return cls(node=_node(raw), stage=str(spec.get("stage", "")), ready=bool(status.get("ready", False)),
                   unmet=unmet)


@dataclass(frozen=True)
class MemoryStats:
    """MemoryStats.perf.talos.dev (id latest): /proc/meminfo in kB."""

    node: str
    total_kb: int
    available_kb: int

    @classmethod
    def parse(cls, raw: Raw) -> MemoryStats:
        spec = _spec(raw)
        if "total" not in spec:
            raise ResourceShapeError(f"memorystats from {_node(raw)!r} has no spec.total")
        return cls(node=_node(raw), total_kb=int(spec["total"]), available_kb=int(spec.get("available", 0)))

    @property
    def total_mib(self) -> int:
        """MemTotal in MiB, rounded down (what `talosctl memory` prints)."""
        return self.total_kb // 1024


@dataclass(frozen=True)
class Disk:
    """Disks.block.talos.dev: one block device (size in bytes)."""

    node: str
    id: str
    dev_path: str
    size_bytes: int
    pretty_size: str
    transport: str
    model: str
    serial: str
    rotational: bool
    readonly: bool
    cdrom: bool

    @classmethod
    def parse(cls, raw: Raw) -> Disk:
        spec, disk_id = _spec(raw), str(_meta(raw)["id"])
        return cls(node=_node(raw), id=disk_id, dev_path=str(spec.get("dev_path", f"/dev/{disk_id}")),
                   size_bytes=int(spec.get("size", 0)), pretty_size=str(spec.get("pretty_size", "")),
                   transport=str(spec.get("transport", "")), model=str(spec.get("model", "")),
                   serial=str(spec.get("serial", "")), rotational=bool(spec.get("rotational", False)),
                   readonly=bool(spec.get("readonly", False)), cdrom=bool(spec.get("cdrom", False)))

    @property
    def size_gib(self) -> float:
        return self.size_bytes / 2**30


@dataclass(frozen=True)
class SystemDisk:
    """SystemDisks.block.talos.dev (id system-disk): which disk Talos is installed on."""

    node: str
    disk_id: str
    dev_path: str

    @classmethod
    def parse(cls, raw: Raw) -> SystemDisk:
        spec = _spec(raw)
        return cls(node=_node(raw), disk_id=str(spec.get("diskID", "")), dev_path=str(spec.get("devPath", "")))


@dataclass(frozen=True)
class Address:
    """AddressStatuses.net.talos.dev: an address the kernel has (id link/addr/prefix)."""

    node: str
    id: str
    address: str
    link_name: str
    family: str
    scope: str
    flags: str

    @classmethod
    def parse(cls, raw: Raw) -> Address:
        spec = _spec(raw)
        return cls(node=_node(raw), id=str(_meta(raw)["id"]), address=str(spec.get("address", "")),
                   link_name=str(spec.get("linkName", "")), family=str(spec.get("family", "")),
                   scope=str(spec.get("scope", "")), flags=str(spec.get("flags", "")))

    @property
    def ip(self) -> str:
        return self.address.split("/", 1)[0]


@dataclass(frozen=True)
class AddressSpec:
    """AddressSpecs.net.talos.dev: a desired address and the config layer it came from."""

    node: str
    id: str
    namespace: str
    address: str
    link_name: str
    family: str
    layer: str

    @classmethod
    def parse(cls, raw: Raw) -> AddressSpec:
        spec, meta = _spec(raw), _meta(raw)
        return cls(node=_node(raw), id=str(meta["id"]), namespace=str(meta.get("namespace", "")),
                   address=str(spec.get("address", "")), link_name=str(spec.get("linkName", "")),
                   family=str(spec.get("family", "")), layer=str(spec.get("layer", "")))

    @property
    def ip(self) -> str:
        return self.address.split("/", 1)[0]


@dataclass(frozen=True)
class OperatorSpec:
    """OperatorSpecs.net.talos.dev: a network operator (dhcp4, dhcp6, vip) that runs on a link."""

    node: str
    id: str
    operator: str
    link_name: str
    layer: str

    @classmethod
    def parse(cls, raw: Raw) -> OperatorSpec:
        spec = _spec(raw)
        return cls(node=_node(raw), id=str(_meta(raw)["id"]), operator=str(spec.get("operator", "")),
                   link_name=str(spec.get("linkName", "")), layer=str(spec.get("layer", "")))


@dataclass(frozen=True)
class Extension:
    """ExtensionStatuses.runtime.talos.dev: one system extension in the booted image."""

    node: str
    id: str
    name: str
    version: str
    image: str

    @classmethod
    def parse(cls, raw: Raw) -> Extension:
        spec = _spec(raw)
        meta = spec.get("metadata") or {}
        return cls(node=_node(raw), id=str(_meta(raw)["id"]), name=str(meta.get("name", "")),
                   version=str(meta.get("version", "")), image=str(spec.get("image", "")))


@dataclass(frozen=True)
class Service:
    """Services.v1alpha1.talos.dev: a Talos service (id = service name, e.g. etcd, ext-tailscale)."""

    node: str
    id: str
    running: bool
    healthy: bool
    unknown: bool

    @classmethod
    def parse(cls, raw: Raw) -> Service:
        spec = _spec(raw)
        return cls(node=_node(raw), id=str(_meta(raw)["id"]), running=bool(spec.get("running", False)),
                   healthy=bool(spec.get("healthy", False)), unknown=bool(spec.get("unknown", False)))


@dataclass(frozen=True)
class TimeStatus:
    """TimeStatuses.v1alpha1.talos.dev (id node): whether the clock is synced."""

    node: str
    synced: bool
    sync_disabled: bool
    epoch: int

    @classmethod
    def parse(cls, raw: Raw) -> TimeStatus:
        spec = _spec(raw)
        return cls(node=_node(raw), synced=bool(spec.get("synced", False)),
                   sync_disabled=bool(spec.get("syncDisabled", False)), epoch=int(spec.get("epoch", 0)))
