"""Typed views of the Talos resources the suite reads with `talosctl get <type> -o json`.

Each object talosctl prints has `node`, `metadata` and `spec`; the spec keys are the YAML tags of
the Go types (siderolabs/talos pkg/machinery/resources/...), and omitempty fields may be missing,
so every parser here tolerates absent keys. Units are kept as Talos reports them (memory in kB,
disk sizes in bytes) with derived properties for MiB/GiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

from provisioning.table_view import ShapeError, annotations_of, read_fields

Raw = Mapping[str, Any]


class ResourceShapeError(ShapeError):
    """A talosctl object lacks a field the suite needs (node, metadata.id or a required spec key) or mistypes one."""


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


class SpecView:
    """A resource read by a table: each attribute from a spec key (a.b for nested), typed by its annotation.

    `node` comes from the object, `id` (when the class has one) from metadata.id; META maps attributes
    to metadata keys; DEFAULTS gives an absent key's value where the type's zero value is not Talos's.
    """

    SPEC: ClassVar[Mapping[str, str]] = {}
    META: ClassVar[Mapping[str, str]] = {}
    DEFAULTS: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def parse(cls, raw: Raw) -> Self:
        spec, types = _spec(raw), annotations_of(cls)
        values: dict[str, Any] = {"node": _node(raw)}
        if "id" in types:
            values["id"] = str(_meta(raw)["id"])
        for attr, key in cls.META.items():
            values[attr] = str(_meta(raw).get(key, ""))
        where = f"{cls.__name__} {values.get('id', '')} from {values['node']!r} spec".replace("  ", " ")
        values |= read_fields(spec, cls.SPEC, types, where=where, defaults=cls.DEFAULTS, zero_when_absent=True,
                              error=ResourceShapeError)
        return cls(**values)


@dataclass(frozen=True)
class Version(SpecView):
    """Versions.runtime.talos.dev: the Talos version a node runs."""

    SPEC = {"version": "version"}

    node: str
    version: str


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
class Disk(SpecView):
    """Disks.block.talos.dev: one block device (size in bytes)."""

    SPEC = {"dev_path": "dev_path", "size_bytes": "size", "pretty_size": "pretty_size", "transport": "transport",
            "model": "model", "serial": "serial", "rotational": "rotational", "readonly": "readonly",
            "cdrom": "cdrom"}

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
        disk = super().parse(raw)
        return disk if disk.dev_path else replace(disk, dev_path=f"/dev/{disk.id}")

    @property
    def size_gib(self) -> float:
        return self.size_bytes / 2**30


@dataclass(frozen=True)
class SystemDisk(SpecView):
    """SystemDisks.block.talos.dev (id system-disk): which disk Talos is installed on."""

    SPEC = {"disk_id": "diskID", "dev_path": "devPath"}

    node: str
    disk_id: str
    dev_path: str


@dataclass(frozen=True)
class Address(SpecView):
    """AddressStatuses.net.talos.dev: an address the kernel has (id link/addr/prefix)."""

    SPEC = {"address": "address", "link_name": "linkName", "family": "family", "scope": "scope", "flags": "flags"}

    node: str
    id: str
    address: str
    link_name: str
    family: str
    scope: str
    flags: str


    @property
    def ip(self) -> str:
        return self.address.split("/", 1)[0]


@dataclass(frozen=True)
class AddressSpec(SpecView):
    """AddressSpecs.net.talos.dev: a desired address and the config layer it came from."""

    SPEC = {"address": "address", "link_name": "linkName", "family": "family", "layer": "layer"}
    META = {"namespace": "namespace"}

    node: str
    id: str
    namespace: str
    address: str
    link_name: str
    family: str
    layer: str


    @property
    def ip(self) -> str:
        return self.address.split("/", 1)[0]


@dataclass(frozen=True)
class OperatorSpec(SpecView):
    """OperatorSpecs.net.talos.dev: a network operator (dhcp4, dhcp6, vip) that runs on a link."""

    SPEC = {"operator": "operator", "link_name": "linkName", "layer": "layer"}

    node: str
    id: str
    operator: str
    link_name: str
    layer: str


@dataclass(frozen=True)
class Extension(SpecView):
    """ExtensionStatuses.runtime.talos.dev: one system extension in the booted image."""

    SPEC = {"name": "metadata.name", "version": "metadata.version", "image": "image"}

    node: str
    id: str
    name: str
    version: str
    image: str


@dataclass(frozen=True)
class Service(SpecView):
    """Services.v1alpha1.talos.dev: a Talos service (id = service name, e.g. etcd, ext-tailscale)."""

    SPEC = {"running": "running", "healthy": "healthy", "unknown": "unknown"}

    node: str
    id: str
    running: bool
    healthy: bool
    unknown: bool


@dataclass(frozen=True)
class TimeStatus(SpecView):
    """TimeStatuses.v1alpha1.talos.dev (id node): whether the clock is synced."""

    SPEC = {"synced": "synced", "sync_disabled": "syncDisabled", "epoch": "epoch"}

    node: str
    synced: bool
    sync_disabled: bool
    epoch: int

