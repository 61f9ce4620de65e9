"""Read a run's instances back from the API into plain snapshots (for the node checks).

One InstanceState per instance: addresses from its network interfaces, metadata options,
its volumes and its user-data as EC2 stores it. The user-data is read back (not taken from
the plan), so the secrets check sees what the instance really got.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call

GONE = ("shutting-down", "terminated")


@dataclass(frozen=True)
class VolumeState:
    """One attached EBS volume (size in GiB)."""

    id: str
    device: str
    size_gib: int
    volume_type: str
    encrypted: bool
    tags: dict[str, str]
    delete_on_termination: bool = True


@dataclass(frozen=True)
class InterfaceState:
    """One attached network interface: its private IPv4s, public IPv4 association and groups."""

    id: str
    device_index: int
    private_ips: tuple[str, ...]
    public_ipv4: str | None
    ipv6: tuple[str, ...]
    groups: tuple[str, ...]
    mac: str


@dataclass(frozen=True)
class InstanceState:
    """An instance as EC2 reports it now."""

    id: str
    state: str
    instance_type: str
    image_id: str
    architecture: str
    private_ip: str
    public_ipv4: str | None
    interfaces: tuple[InterfaceState, ...]
    http_tokens: str
    http_endpoint: str
    root_device: str
    volumes: tuple[VolumeState, ...]
    tags: dict[str, str]
    user_data: str
    # --existing: the plan key discovery found this instance for (by its fixed address); "" otherwise
    found_as: str = ""

    @property
    def key(self) -> str:
        """The plan key the instance was created for (tdg:key), or that --existing found it for."""
        return self.tags.get(tagging.SPEC_KEY, "") or self.found_as

    @property
    def root_volume(self) -> VolumeState | None:
        """The volume attached as the root device, or None."""
        for v in self.volumes:
            if v.device == self.root_device:
                return v
        return None

    @property
    def data_volumes(self) -> tuple[VolumeState, ...]:
        """Every attached volume but the root one."""
        return tuple(v for v in self.volumes if v.device != self.root_device)

    @property
    def all_private_ips(self) -> tuple[str, ...]:
        return tuple(ip for i in self.interfaces for ip in i.private_ips)


def decode_user_data(value: str | None) -> str:
    """Decode DescribeInstanceAttribute's base64 user-data ("" when there is none)."""
    if not value:
        return ""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value


def _interface(eni: dict[str, Any]) -> InterfaceState:
    public = (eni.get("Association") or {}).get("PublicIp")
    return InterfaceState(
        id=str(eni["NetworkInterfaceId"]), device_index=int((eni.get("Attachment") or {}).get("DeviceIndex", 0)),
        private_ips=tuple(str(p["PrivateIpAddress"]) for p in eni.get("PrivateIpAddresses", [])),
        public_ipv4=str(public) if public else None,
        ipv6=tuple(str(a["Ipv6Address"]) for a in eni.get("Ipv6Addresses", [])),
        groups=tuple(str(g["GroupId"]) for g in eni.get("Groups", [])), mac=str(eni.get("MacAddress", "")))


def _volume_devices(instance: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Volume id -> (device name, delete on termination) of an instance's EBS mappings."""
    return {m["Ebs"]["VolumeId"]: (m["DeviceName"], bool(m["Ebs"].get("DeleteOnTermination", False)))
            for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m}


def describe_volumes(ec2: Any, instances: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Volume id -> DescribeVolumes item for every EBS volume of instances, in one call."""
    wanted = sorted({v for i in instances for v in _volume_devices(i)})
    if not wanted:
        return {}
    with aws_call("DescribeVolumes"):
        return {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=wanted)["Volumes"]}


def read_volumes(ec2: Any, instance: dict[str, Any],
                 described: dict[str, dict[str, Any]] | None = None) -> tuple[VolumeState, ...]:
    """The EBS volumes attached to instance (a DescribeInstances item), with their device names.

    described: volumes already read for several instances at once (describe_volumes); else one call.
    """
    devices = _volume_devices(instance)
    if not devices:
        return ()
    vols = described if described is not None else describe_volumes(ec2, [instance])
    return tuple(VolumeState(id=v["VolumeId"], device=devices[v["VolumeId"]][0], size_gib=int(v["Size"]),
                             volume_type=str(v.get("VolumeType", "")), encrypted=bool(v.get("Encrypted")),
                             tags=tagging.from_aws(v.get("Tags")), delete_on_termination=devices[v["VolumeId"]][1])
                 for vid, v in sorted(vols.items()) if vid in devices)


def _instance(ec2: Any, i: dict[str, Any], volumes: dict[str, dict[str, Any]] | None = None) -> InstanceState:
    iid = str(i["InstanceId"])
    with aws_call("DescribeInstanceAttribute"):
        attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    meta = i.get("MetadataOptions") or {}
    return InstanceState(
        id=iid, state=str(i["State"]["Name"]), instance_type=str(i["InstanceType"]), image_id=str(i.get("ImageId")),
        architecture=str(i.get("Architecture", "")), private_ip=str(i.get("PrivateIpAddress", "")),
        public_ipv4=i.get("PublicIpAddress"),
        interfaces=tuple(sorted((_interface(e) for e in i.get("NetworkInterfaces", [])), key=lambda x: x.device_index)),
        http_tokens=str(meta.get("HttpTokens", "optional")), http_endpoint=str(meta.get("HttpEndpoint", "enabled")),
        root_device=str(i.get("RootDeviceName", "")), volumes=read_volumes(ec2, i, volumes),
        tags=tagging.from_aws(i.get("Tags")),
        user_data=decode_user_data((attr.get("UserData") or {}).get("Value")))


def read_instances(clients: ClientFactory, run_id: str, phase: str) -> tuple[InstanceState, ...]:
    """Every live (not terminating) instance of the run's phase, ordered by plan key."""
    ec2 = clients.client("ec2")
    filters = [*tagging.run_filters(run_id), {"Name": f"tag:{tagging.PHASE_KEY}", "Values": [phase]}]
    with aws_call("DescribeInstances"):
        pages = ec2.get_paginator("describe_instances").paginate(Filters=filters)
        found = [i for page in pages for r in page["Reservations"] for i in r["Instances"]]
    live = [i for i in found if i["State"]["Name"] not in GONE
            and tagging.is_ours(tagging.from_aws(i.get("Tags")), run_id)]
    volumes = describe_volumes(ec2, live)  # one call for every node's disks
    return tuple(sorted((_instance(ec2, i, volumes) for i in live), key=lambda s: s.key))
