"""Typed parsing of talosctl objects, fed with the reconstructed shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.talosctl_standin import standin_dir
from provisioning.talos.adapter import parse_json_stream
from provisioning.talos.resources import (
    Address,
    AddressSpec,
    Disk,
    Extension,
    MachineStatus,
    MemoryStats,
    OperatorSpec,
    ResourceShapeError,
    Service,
    SystemDisk,
    TimeStatus,
    Version,
)


def shape_file(name: str) -> list[dict]:
    return parse_json_stream((Path(standin_dir()) / "shapes" / f"{name}.json").read_text())


def test_every_shape_file_is_concatenated_objects_not_a_list() -> None:
    for path in (Path(standin_dir()) / "shapes").glob("*.json"):
        text = path.read_text()
        assert not text.lstrip().startswith("["), path.name
        objs = parse_json_stream(text)
        assert objs, path.name
        assert all(set(o) == {"metadata", "node", "spec"} for o in objs), path.name


def test_memory_kb_is_exposed_in_mib() -> None:
    (mem,) = [MemoryStats.parse(o) for o in shape_file("memorystats")]
    assert mem.node == "10.10.0.101"
    assert mem.total_kb == 3931076
    assert mem.total_mib == 3838


def test_disk_without_rotational_key_is_not_rotational() -> None:
    (disk,) = [Disk.parse(o) for o in shape_file("disks")]
    assert (disk.id, disk.dev_path, disk.transport, disk.rotational) == ("nvme0n1", "/dev/nvme0n1", "nvme", False)
    assert disk.size_gib == 50.0
    assert disk.model == "Amazon Elastic Block Store"


def test_system_disk_machine_status_time_and_version() -> None:
    assert SystemDisk.parse(shape_file("systemdisk")[0]).disk_id == "nvme0n1"
    status = MachineStatus.parse(shape_file("machinestatus")[0])
    assert (status.stage, status.ready, status.unmet) == ("running", True, ())
    assert TimeStatus.parse(shape_file("timestatus")[0]).synced is True
    assert Version.parse(shape_file("versions")[0]).version == "v1.12.7"


def test_network_resources() -> None:
    addrs = [Address.parse(o) for o in shape_file("addresses")]
    assert ("10.10.0.101", "ens5", "inet4") in {(a.ip, a.link_name, a.family) for a in addrs}
    specs = [AddressSpec.parse(o) for o in shape_file("addressspecs")]
    assert {(s.ip, s.layer, s.namespace) for s in specs if s.link_name == "ens5"} == {
        ("10.10.0.101", "configuration", "network")}
    (op,) = [OperatorSpec.parse(o) for o in shape_file("operatorspecs")]
    assert (op.operator, op.link_name, op.layer) == ("dhcp4", "ens5", "default")


def test_extensions_and_services() -> None:
    exts = [Extension.parse(o) for o in shape_file("extensions")]
    assert [(e.name, e.version) for e in exts] == [("spin", "v0.21.0"), ("tailscale", "1.84.3")]
    svcs = {s.id: s for s in (Service.parse(o) for o in shape_file("services"))}
    assert svcs["etcd"].running and svcs["etcd"].healthy
    assert svcs["ext-tailscale"].running and svcs["ext-tailscale"].unknown


def test_missing_fields_raise_a_shape_error() -> None:
    with pytest.raises(ResourceShapeError, match="no 'node'"):
        MemoryStats.parse({"metadata": {"id": "latest"}, "spec": {"total": 1}})
    with pytest.raises(ResourceShapeError, match="spec.total"):
        MemoryStats.parse({"node": "10.0.0.1", "metadata": {"id": "latest"}, "spec": {}})
    with pytest.raises(ResourceShapeError, match="metadata.id"):
        Disk.parse({"node": "10.0.0.1", "metadata": {}, "spec": {}})


def test_a_mistyped_spec_key_raises_a_shape_error_naming_resource_key_and_value() -> None:
    raw = {"node": "10.0.0.1", "metadata": {"id": "nvme0n1"}, "spec": {"size": "big", "rotational": False}}
    with pytest.raises(ResourceShapeError, match="Disk nvme0n1 from '10.0.0.1' spec: size = 'big' is not a valid int"):
        Disk.parse(raw)
    with pytest.raises(ResourceShapeError, match="Service etcd from '10.0.0.1' spec: running = 'yes' is not a valid "
                                                 "bool: a str, not true or false"):
        Service.parse({"node": "10.0.0.1", "metadata": {"id": "etcd"}, "spec": {"running": "yes"}})


def test_absent_spec_keys_take_talos_defaults_and_typed_zero_values() -> None:
    from provisioning.talos.netstate import Route

    route = Route.parse({"node": "10.0.0.1", "metadata": {"id": "inet4/ens5"}, "spec": {"priority": "512"}})
    assert (route.table, route.priority, route.dst, route.is_default) == ("main", 512, "", True)
    disk = Disk.parse({"node": "10.0.0.1", "metadata": {"id": "nvme1n1"}, "spec": {"size": 2**31}})
    assert (disk.dev_path, disk.size_gib, disk.cdrom) == ("/dev/nvme1n1", 2.0, False)
    bare = Extension.parse({"node": "10.0.0.1", "metadata": {"id": "0"}, "spec": {"metadata": None}})
    assert (bare.name, bare.version, bare.image) == ("", "", "")
    with pytest.raises(ValueError):
        Route.parse({"node": "10.0.0.1", "metadata": {"id": "r"}, "spec": {"priority": "high"}})
