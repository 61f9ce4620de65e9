"""Find what --existing looks for by what identifies it in the design, not by what it is called.

The design fixes a VPC CIDR, subnet CIDRs, the bastion's private address and the nodes'
addresses. From those the rest follows: the security group on the interface that holds the
bastion's address is the bastion group, the groups on the nodes' interfaces are the node
group, the bastion instance's instance profile names its role, its key name its key pair,
the Elastic IP associated with its interface is its public IPv4, and the launch template
whose default version attaches that interface is its template. Every call is read-only.

Ambiguity is an error (SetupError) that lists every candidate with its id and Name, so the
operator can name the right one in the profile's existing.names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import ResourceSpec
from provisioning.topology import Topology

GONE = ("shutting-down", "terminated")


def pick(candidates: Iterable[tuple[str, str]], what: str) -> str | None:
    """The one (id, label) candidate's id, None for none; SetupError naming every candidate when several."""
    unique = sorted(set(candidates))
    if len(unique) > 1:
        listing = ", ".join(f"{rid} ({label})" if label else rid for rid, label in unique)
        raise SetupError(f"existing mode: {len(unique)} resources match {what}: {listing}; name the right one "
                         "(or its id) in the profile's existing.names")
    return unique[0][0] if unique else None


def _name(item: dict[str, Any]) -> str:
    return tagging.from_aws(item.get("Tags") or item.get("TagSet")).get("Name", "")


def vpc_by_cidr(clients: ClientFactory, cidr: str, name: str | None) -> str | None:
    """The VPC whose IPv4 CIDRs include cidr (and whose Name is name, when given)."""
    with aws_call("DescribeVpcs"):
        vpcs = [v for page in clients.client("ec2").get_paginator("describe_vpcs").paginate() for v in page["Vpcs"]]
    want = ipaddress.IPv4Network(cidr)
    found = [(str(v["VpcId"]), f"{_name(v) or 'no Name'}, {cidr}") for v in vpcs
             if any(ipaddress.IPv4Network(a["CidrBlock"]) == want for a in v.get("CidrBlockAssociationSet", [])
                    if a.get("CidrBlockState", {}).get("State", "associated") == "associated")
             and (name is None or _name(v) == name)]
    return pick(found, f"VPC {cidr}" + (f" named {name!r}" if name else ""))


def interfaces_at(clients: ClientFactory, vpc: str, ip: str) -> list[dict[str, Any]]:
    """The network interfaces in vpc holding the private IPv4 ip."""
    with aws_call("DescribeNetworkInterfaces"):
        return list(clients.client("ec2").describe_network_interfaces(Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "addresses.private-ip-address", "Values": [ip]}])["NetworkInterfaces"])


def instance_at(clients: ClientFactory, vpc: str, ip: str) -> dict[str, Any] | None:
    """The live instance in vpc whose private IPv4 is ip (SetupError when several)."""
    with aws_call("DescribeInstances"):
        pages = clients.client("ec2").get_paginator("describe_instances").paginate(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "private-ip-address", "Values": [ip]}])
        found = [i for p in pages for r in p["Reservations"] for i in r["Instances"] if i["State"]["Name"] not in GONE]
    rid = pick(((str(i["InstanceId"]), _name(i)) for i in found), f"instance at {ip}")
    return next((i for i in found if i["InstanceId"] == rid), None)


def group_at(clients: ClientFactory, vpc: str, ips: Iterable[str], what: str) -> str | None:
    """The one security group every interface at ips carries (None when no interface is there)."""
    groups: list[tuple[str, str]] = []
    for ip in ips:
        groups += [(str(g["GroupId"]), str(g.get("GroupName", ""))) for e in interfaces_at(clients, vpc, ip)
                   for g in e.get("Groups", [])]
    return pick(groups, f"the {what} security group (on the interfaces at {', '.join(ips)})")


def profile_of(clients: ClientFactory, instance: dict[str, Any]) -> str | None:
    """The instance profile name of an instance, from its ARN."""
    arn = (instance.get("IamInstanceProfile") or {}).get("Arn")
    return str(arn).rsplit("/", 1)[-1] if arn else None


def role_of(clients: ClientFactory, profile: str) -> str | None:
    """The role an instance profile holds (SetupError when it holds several)."""
    try:
        with aws_call("GetInstanceProfile"):
            roles = clients.client("iam").get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    except NotFoundError:
        return None
    return pick(((str(r["RoleName"]), "") for r in roles), f"roles of instance profile {profile}")


def key_pair_named(clients: ClientFactory, key_name: str) -> str | None:
    """The id of the key pair called key_name."""
    try:
        with aws_call("DescribeKeyPairs"):
            pairs = clients.client("ec2").describe_key_pairs(KeyNames=[key_name])["KeyPairs"]
    except NotFoundError:
        return None
    return pick(((str(k["KeyPairId"]), str(k["KeyName"])) for k in pairs if k["KeyName"] == key_name),
                f"key pair {key_name}")


def address_of(clients: ClientFactory, eni: str) -> str | None:
    """The allocation id of the Elastic IP associated with the interface eni."""
    with aws_call("DescribeAddresses"):
        found = clients.client("ec2").describe_addresses(
            Filters=[{"Name": "network-interface-id", "Values": [eni]}])["Addresses"]
    return pick(((str(a["AllocationId"]), str(a.get("PublicIp", ""))) for a in found if a.get("AllocationId")),
                f"Elastic IPs on {eni}")


def template_attaching(clients: ClientFactory, eni: str) -> str | None:
    """The launch template whose default version attaches the interface eni."""
    ec2, found = clients.client("ec2"), []
    with aws_call("DescribeLaunchTemplates"):
        templates = [t for p in ec2.get_paginator("describe_launch_templates").paginate()
                     for t in p["LaunchTemplates"]]
    for t in templates:
        with aws_call("DescribeLaunchTemplateVersions"):
            versions = ec2.describe_launch_template_versions(LaunchTemplateId=t["LaunchTemplateId"],
                                                             Versions=["$Default"])["LaunchTemplateVersions"]
        nics = [n for v in versions for n in v["LaunchTemplateData"].get("NetworkInterfaces", [])]
        if any(n.get("NetworkInterfaceId") == eni for n in nics):
            found.append((str(t["LaunchTemplateId"]), str(t["LaunchTemplateName"])))
    return pick(found, f"launch templates attaching {eni}")


def bastion_instance(clients: ClientFactory, topo: Topology, vpc: str | None) -> dict[str, Any] | None:
    """The instance at the bastion's fixed address, or None."""
    return instance_at(clients, vpc, topo.bastion.private_ip) if vpc else None


def bastion_interface(clients: ClientFactory, topo: Topology, vpc: str | None) -> str | None:
    """The id of the interface holding the bastion's fixed address, or None."""
    if not vpc:
        return None
    at = interfaces_at(clients, vpc, topo.bastion.private_ip)
    return pick(((str(e["NetworkInterfaceId"]), _name(e)) for e in at), f"interfaces at {topo.bastion.private_ip}")


def by_identity(clients: ClientFactory, topo: Topology, vpc: str, spec: ResourceSpec,
                params: Mapping[str, Any]) -> str | None:
    """What the design's addresses identify for spec when its name found nothing (None: nothing)."""
    key, kind = spec.key, spec.kind
    if key == "sg-bastion":
        return group_at(clients, vpc, [topo.bastion.private_ip], "bastion")
    if key == "sg-nodes":
        return group_at(clients, vpc, [n.private_ip for n in topo.nodes], "node")
    if kind == "launch_template" and isinstance(params.get("network_interface"), str):
        return template_attaching(clients, params["network_interface"])
    if kind == "elastic_ip" and spec.phase == "bastion":
        eni = bastion_interface(clients, topo, vpc)
        return address_of(clients, eni) if eni else None
    if kind in ("iam_role", "instance_profile", "key_pair") and spec.phase == "bastion":
        inst = bastion_instance(clients, topo, vpc)
        if inst is None:
            return None
        if kind == "key_pair":
            return key_pair_named(clients, str(inst["KeyName"])) if inst.get("KeyName") else None
        profile = profile_of(clients, inst)
        return profile if kind == "instance_profile" or profile is None else role_of(clients, profile)
    return None
