"""The operator's Terraform sandbox (upstream-facts §4) rebuilt in moto, as Terraform left it.

Only Name tags, none of the suite's tags (ManagedBy, tdg:*): the suite must find it by name,
CIDR and address. SSH is open to the world on sandbox-eu-bastion-sg, as built. The Talos node
group (made by hand, not in Terraform) is left out: its real id cannot be reproduced here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SUBNETS = (("public-0", "10.10.0.0/24", "eu-west-1a", True, 0), ("public-1", "10.10.1.0/24", "eu-west-1b", True, 1),
           ("private-0", "10.10.10.0/24", "eu-west-1a", False, 10),
           ("private-1", "10.10.11.0/24", "eu-west-1b", False, 11))


def _name(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def build(ec2: Any) -> dict[str, str]:
    """Create the sandbox's network and the bastion ENI; return name -> id."""
    ids: dict[str, str] = {}
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16", AmazonProvidedIpv6CidrBlock=True,
                         TagSpecifications=_name("vpc", "sandbox-eu-vpc"))["Vpc"]["VpcId"]
    ids["sandbox-eu-vpc"] = vpc
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    v6 = list(ipaddress.IPv6Network(block).subnets(new_prefix=64))
    for name, cidr, az, public, index in SUBNETS:
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, Ipv6CidrBlock=str(v6[index]),
                                TagSpecifications=_name("subnet", f"sandbox-eu-{name}"))["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": public})
        ids[f"sandbox-eu-{name}"] = sid
    igw = ec2.create_internet_gateway(TagSpecifications=_name("internet-gateway", "sandbox-eu-igw"))
    ids["sandbox-eu-igw"] = igw = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_name("route-table", "sandbox-eu-public-rt"))
    ids["sandbox-eu-public-rt"] = rt = rt["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    for public in ("sandbox-eu-public-0", "sandbox-eu-public-1"):
        ids[f"{public}-assoc"] = ec2.associate_route_table(RouteTableId=rt, SubnetId=ids[public])["AssociationId"]
    sg = ec2.create_security_group(GroupName="sandbox-eu-bastion-sg", Description="bastion", VpcId=vpc,
                                   TagSpecifications=_name("security-group", "sandbox-eu-bastion-sg"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ids["sandbox-eu-bastion-sg"] = sg
    endpoints = ec2.create_security_group(GroupName="sandbox-eu-endpoints", Description="VPC endpoints",
                                          VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=endpoints, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}])
    ids["sandbox-eu-endpoints"] = endpoints
    eni = ec2.create_network_interface(SubnetId=ids["sandbox-eu-public-1"], PrivateIpAddress="10.10.1.100",
                                       Groups=[sg], Ipv6AddressCount=1,
                                       TagSpecifications=_name("network-interface", "tf-bastion-eni"))
    ids["tf-bastion-eni"] = eni = eni["NetworkInterface"]["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, SourceDestCheck={"Value": False})
    return ids


def destroy(ec2: Any, ids: dict[str, str]) -> None:
    """Remove what build() made (test clean-up; the suite itself never does this)."""
    ec2.delete_network_interface(NetworkInterfaceId=ids["tf-bastion-eni"])
    for key in ("sandbox-eu-public-0-assoc", "sandbox-eu-public-1-assoc"):
        ec2.disassociate_route_table(AssociationId=ids[key])
    ec2.delete_route_table(RouteTableId=ids["sandbox-eu-public-rt"])
    for group in ("sandbox-eu-bastion-sg", "sandbox-eu-endpoints"):
        ec2.delete_security_group(GroupId=ids[group])
    ec2.detach_internet_gateway(InternetGatewayId=ids["sandbox-eu-igw"], VpcId=ids["sandbox-eu-vpc"])
    ec2.delete_internet_gateway(InternetGatewayId=ids["sandbox-eu-igw"])
    for name, *_ in SUBNETS:
        ec2.delete_subnet(SubnetId=ids[f"sandbox-eu-{name}"])
    ec2.delete_vpc(VpcId=ids["sandbox-eu-vpc"])


@contextmanager
def sandbox(ec2: Any) -> Iterator[dict[str, str]]:
    """The sandbox for the duration of a with block."""
    ids = build(ec2)
    try:
        yield ids
    finally:
        destroy(ec2, ids)
