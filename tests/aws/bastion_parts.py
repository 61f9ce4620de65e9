"""Shared parts of the compute and scaling kind tests: a VPC with a subnet, group and key pair, and params."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from provisioning.aws.client import ClientFactory
from provisioning.aws.compute import UserData
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.plan import ResourceSpec

PARAM = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


@dataclass
class Net:
    ctx: RunContext
    ec2: Any
    subnet: str
    group: str
    key: str


@contextmanager
def make_net(factory: ClientFactory, run_id: str) -> Iterator[Net]:
    """A VPC (with IPv6), one subnet, a security group and the run's key pair; all removed afterwards."""
    ec2 = factory.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.10.0.0/24", AvailabilityZone="eu-west-1a",
                               Ipv6CidrBlock=block.replace("/56", "/64"))["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"b-{run_id}", Description="b", VpcId=vpc)["GroupId"]
    ctx = RunContext(factory, run_id, "approved")
    key = REGISTRY["key_pair"].create(ctx, ResourceSpec("key_pair", "k", "bastion", "t-key"), {})
    yield Net(ctx, ec2, subnet, group, key)
    REGISTRY["key_pair"].destroy(ctx, key)
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def eni_params(n: Net, **extra: Any) -> dict[str, Any]:
    return {"subnet": n.subnet, "private_ip": "10.10.0.100", "groups": [n.group], "ipv6_count": 1,
            "source_dest_check": False, **extra}


def lt_params(n: Net, eni: str, **extra: Any) -> dict[str, Any]:
    return {"ami_parameter": PARAM, "architecture": "arm64", "instance_type": "t4g.small", "key_pair": n.key,
            "network_interface": eni, "root_volume_gb": 30, "volume_type": "gp3", "encrypted": True,
            "metadata_options": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
            "user_data": UserData("#!/bin/bash\necho bastion\n"), "instance_key": "i", "instance_name": "t-bastion",
            "volume_key": "v", **extra}
