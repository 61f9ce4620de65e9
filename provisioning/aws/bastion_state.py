"""Read the bastion of a run back from the API into plain snapshots (for the bastion checks).

Read-only (Describe/Get/List). It starts from the plan keys' ids (so it works on what --existing
found as well as on what the run made) and follows the API from there: the group to its
instance, the instance to its interfaces, volumes and profile. The user-data is read back from
the launch template and the instance, never taken from the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.aws.iam_state import GroupState, IamState, read_group, read_iam
from provisioning.aws.instance_state import GONE, VolumeState, decode_user_data, read_volumes
from provisioning.errors import NotFoundError
from provisioning.phases import bastion as phase
from provisioning.topology import Topology


@dataclass(frozen=True)
class EniState:
    """The bastion's network interface: addresses, source/dest check, groups, attachment, tags."""

    id: str
    subnet_id: str
    private_ips: tuple[str, ...]
    ipv6: tuple[str, ...]
    source_dest_check: bool
    groups: tuple[str, ...]
    instance_id: str | None
    device_index: int | None
    public_ipv4: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class InstanceState:
    """The bastion instance as EC2 reports it, with its volumes, interfaces and user-data."""

    id: str
    state: str
    subnet_id: str
    private_ip: str
    instance_type: str
    image_id: str
    key_name: str
    http_tokens: str
    http_endpoint: str
    profile_arn: str | None
    root_device: str
    volumes: tuple[VolumeState, ...]
    interfaces: tuple[tuple[str, int], ...]
    user_data: str
    tags: dict[str, str]

    @property
    def root_volume(self) -> VolumeState | None:
        """The volume attached at the root device name, or None."""
        return next((v for v in self.volumes if v.device == self.root_device), None)


@dataclass(frozen=True)
class TemplateVersion:
    """One launch template version ($Default and/or $Latest) as its data says."""

    number: int
    labels: tuple[str, ...]
    image_id: str
    instance_type: str
    key_name: str
    http_tokens: str
    profile: str | None
    interfaces: tuple[tuple[int, str], ...]
    volumes: tuple[tuple[str, bool, str, int], ...]
    user_data: str
    cpu_credits: str | None = None


@dataclass(frozen=True)
class TemplateState:
    """The launch template and the versions that can be launched ($Default, $Latest)."""

    id: str
    name: str
    versions: tuple[TemplateVersion, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class BastionState:
    """The bastion of a run as the API reports it; None where the resource was not found."""

    planned_subnet: tuple[str, str, tuple[str, ...]] | None
    ami_now: str
    ami_recorded: str
    ami_architecture: str
    eni: EniState | None
    instance: InstanceState | None
    template: TemplateState | None
    group: GroupState | None
    iam: IamState | None
    key_pair: tuple[str, str, dict[str, str]] | None
    eip: tuple[str, str, str | None, dict[str, str]] | None
    missing: tuple[str, ...] = field(default=())


def _eni(ec2: Any, eni_id: str) -> EniState | None:
    try:
        with aws_call("DescribeNetworkInterfaces"):
            items = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    except NotFoundError:
        return None
    if not items:
        return None
    e, att = items[0], items[0].get("Attachment") or {}
    return EniState(
        id=eni_id, subnet_id=str(e.get("SubnetId", "")),
        private_ips=tuple(str(p["PrivateIpAddress"]) for p in e.get("PrivateIpAddresses", [])),
        ipv6=tuple(str(a["Ipv6Address"]) for a in e.get("Ipv6Addresses", [])),
        source_dest_check=bool(e.get("SourceDestCheck", True)), groups=tuple(g["GroupId"] for g in e.get("Groups", [])),
        instance_id=att.get("InstanceId") or None,
        device_index=int(att["DeviceIndex"]) if att.get("DeviceIndex") is not None else None,
        public_ipv4=(e.get("Association") or {}).get("PublicIp"), tags=tagging.from_aws(e.get("TagSet")))


def _instance(ec2: Any, iid: str) -> InstanceState | None:
    try:
        with aws_call("DescribeInstances"):
            res = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    except NotFoundError:
        return None
    found = [i for r in res for i in r["Instances"] if i["InstanceId"] == iid]
    if not found:
        return None
    i = found[0]
    with aws_call("DescribeInstanceAttribute"):
        ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData").get("UserData") or {}
    meta = i.get("MetadataOptions") or {}
    return InstanceState(
        id=iid, state=str(i["State"]["Name"]), subnet_id=str(i.get("SubnetId", "")),
        private_ip=str(i.get("PrivateIpAddress", "")), instance_type=str(i.get("InstanceType", "")),
        image_id=str(i.get("ImageId", "")), key_name=str(i.get("KeyName", "")),
        http_tokens=str(meta.get("HttpTokens", "optional")), http_endpoint=str(meta.get("HttpEndpoint", "enabled")),
        profile_arn=(i.get("IamInstanceProfile") or {}).get("Arn"), root_device=str(i.get("RootDeviceName", "")),
        volumes=read_volumes(ec2, i),
        interfaces=tuple(sorted((str(n["NetworkInterfaceId"]), int(n["Attachment"]["DeviceIndex"]))
                                for n in i.get("NetworkInterfaces", []))),
        user_data=decode_user_data(ud.get("Value")), tags=tagging.from_aws(i.get("Tags")))


def _version(v: dict[str, Any], labels: tuple[str, ...]) -> TemplateVersion:
    d = v["LaunchTemplateData"]
    prof = d.get("IamInstanceProfile") or {}
    return TemplateVersion(
        number=int(v["VersionNumber"]), labels=labels, image_id=str(d.get("ImageId", "")),
        instance_type=str(d.get("InstanceType", "")), key_name=str(d.get("KeyName", "")),
        http_tokens=str((d.get("MetadataOptions") or {}).get("HttpTokens", "optional")),
        profile=prof.get("Arn") or prof.get("Name"),
        interfaces=tuple((int(n.get("DeviceIndex", 0)), str(n.get("NetworkInterfaceId", "")))
                         for n in d.get("NetworkInterfaces", [])),
        volumes=tuple((str(m["DeviceName"]), bool(m["Ebs"].get("Encrypted")), str(m["Ebs"].get("VolumeType", "")),
                       int(m["Ebs"].get("VolumeSize") or 0)) for m in d.get("BlockDeviceMappings", []) if "Ebs" in m),
        user_data=decode_user_data(d.get("UserData")),
        cpu_credits=(d.get("CreditSpecification") or {}).get("CpuCredits"))


def _template(ec2: Any, lt_id: str) -> TemplateState | None:
    try:
        with aws_call("DescribeLaunchTemplates"):
            items = ec2.describe_launch_templates(LaunchTemplateIds=[lt_id])["LaunchTemplates"]
        if not items:
            return None
        with aws_call("DescribeLaunchTemplateVersions"):
            found = {label: ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=[label])
                     ["LaunchTemplateVersions"][0] for label in ("$Default", "$Latest")}
    except NotFoundError:
        return None
    numbers = sorted({int(v["VersionNumber"]) for v in found.values()})
    versions = tuple(_version(next(v for v in found.values() if int(v["VersionNumber"]) == n),
                              tuple(label for label, v in found.items() if int(v["VersionNumber"]) == n))
                     for n in numbers)
    return TemplateState(lt_id, str(items[0]["LaunchTemplateName"]), versions, tagging.from_aws(items[0].get("Tags")))


def read_template(clients: ClientFactory, lt_id: str) -> TemplateState | None:
    """A launch template's $Default and $Latest versions as EC2 records them (None when it is gone)."""
    return _template(clients.client("ec2"), lt_id)


def _key_pair(ec2: Any, kid: str) -> tuple[str, str, dict[str, str]] | None:
    try:
        with aws_call("DescribeKeyPairs"):
            pairs = [k for k in ec2.describe_key_pairs(KeyPairIds=[kid])["KeyPairs"]
                     if k.get("KeyPairId") == kid]  # moto ignores KeyPairIds
    except NotFoundError:
        return None
    return (pairs[0]["KeyPairId"], pairs[0]["KeyName"], tagging.from_aws(pairs[0].get("Tags"))) if pairs else None


def _address(ec2: Any, alloc: str) -> tuple[str, str, str | None, dict[str, str]] | None:
    try:
        with aws_call("DescribeAddresses"):
            addrs = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    except NotFoundError:
        return None
    if not addrs:
        return None
    a = addrs[0]
    return a["AllocationId"], a["PublicIp"], a.get("NetworkInterfaceId") or None, tagging.from_aws(a.get("Tags"))


def recorded_image(template: TemplateState | None) -> str:
    """The AMI the launch template recorded when it was created: its $Default version's ("" without one).

    The SSM parameter moves with every AL2023 release; what the bastion must run is the image
    resolved at creation, so a release during a run or before --reuse is no failure.
    """
    if template is None:
        return ""
    default = [v for v in template.versions if "$Default" in v.labels]
    return default[0].image_id if default else ""


def read_bastion(clients: ClientFactory, topo: Topology, ids: Mapping[str, str], ami_parameter: str) -> BastionState:
    """Describe everything the bastion checks look at, starting from the plan keys' ids."""
    ec2, missing = clients.client("ec2"), []
    subnet_id = ids.get(f"subnet-{topo.bastion.subnet}")
    planned = None
    if subnet_id:
        with aws_call("DescribeSubnets"):
            s = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
        planned = (subnet_id, str(s["CidrBlock"]),
                   tuple(a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet", [])))
    with aws_call("GetParameter"):
        ami = str(clients.client("ssm").get_parameter(Name=ami_parameter)["Parameter"]["Value"])
    eni = _eni(ec2, ids[phase.ENI]) if phase.ENI in ids else None
    template = _template(ec2, ids[phase.TEMPLATE]) if phase.TEMPLATE in ids else None
    recorded = recorded_image(template) or ami
    with aws_call("DescribeImages"):
        images = ec2.describe_images(ImageIds=[recorded])["Images"]
    group = read_group(clients.client("autoscaling"), ids[phase.GROUP]) if phase.GROUP in ids else None
    iid = ids.get(phase.INSTANCE) or (group.instances[0] if group and group.instances else None) \
        or (eni.instance_id if eni else None)
    instance = _instance(ec2, iid) if iid else None
    if instance is not None and instance.state in GONE:
        instance = None
    iam = read_iam(clients.client("iam"), ids[phase.ROLE], ids[phase.PROFILE]) \
        if phase.ROLE in ids and phase.PROFILE in ids else None
    key = _key_pair(ec2, ids[phase.KEY_PAIR]) if phase.KEY_PAIR in ids else None
    eip = _address(ec2, ids[phase.EIP]) if phase.EIP in ids else None
    for what, value in (("network interface", eni), ("launch template", template), ("instance", instance),
                        ("IAM role and instance profile", iam), ("key pair", key)):
        if value is None:
            missing.append(what)
    return BastionState(planned_subnet=planned, ami_now=ami, ami_recorded=recorded,
                        ami_architecture=str(images[0].get("Architecture", "")) if images else "unknown",
                        eni=eni, instance=instance, template=template, group=group, iam=iam, key_pair=key, eip=eip,
                        missing=tuple(missing))


def image_names(clients: ClientFactory, s: BastionState) -> dict[str, tuple[str, str]]:
    """Image id -> (name, architecture) for every image the bastion's instance and template versions use."""
    wanted = sorted({v.image_id for v in (s.template.versions if s.template else ())}
                    | ({s.instance.image_id} if s.instance else set()) - {""})
    if not wanted:
        return {}
    try:
        with aws_call("DescribeImages"):
            found = clients.client("ec2").describe_images(ImageIds=wanted)["Images"]
    except NotFoundError:
        return {}
    return {str(i["ImageId"]): (str(i.get("Name", "")), str(i.get("Architecture", ""))) for i in found}
