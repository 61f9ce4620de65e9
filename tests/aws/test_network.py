"""The VPC kind: polls DescribeVpcs only while CreateVpc's answer says pending or associating."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from provisioning.aws.client import ClientFactory
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.plan import ResourceSpec

BLOCK = "2a05:d018:1:2300::/56"


def vpc(state: str, block_state: str) -> dict[str, Any]:
    return {"VpcId": "vpc-0123456789abcdef0", "State": state, "CidrBlock": "10.10.0.0/16",
            "Ipv6CidrBlockAssociationSet": [{"AssociationId": "vpc-cidr-assoc-1", "Ipv6CidrBlock": BLOCK,
                                             "Ipv6CidrBlockState": {"State": block_state}}]}


def test_a_pending_vpc_is_waited_for_and_its_block_read_once_for_every_subnet(factory: ClientFactory,
                                                                              run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    spec = ResourceSpec("vpc", "vpc", "network", "t-vpc", {"cidr": "10.10.0.0/16", "ipv6": True})
    with Stubber(factory.client("ec2")) as stub:
        stub.add_response("create_vpc", {"Vpc": vpc("pending", "associating")})
        stub.add_response("describe_vpcs", {"Vpcs": [vpc("available", "associating")]})  # the waiter
        stub.add_response("modify_vpc_attribute", {})
        stub.add_response("describe_vpcs", {"Vpcs": [vpc("available", "associated")]})  # the IPv6 block
        for n in range(2):  # two subnets: no DescribeVpcs for either
            stub.add_response("create_subnet", {"Subnet": {"SubnetId": f"subnet-0123456789abcdef{n}"}})
            stub.add_response("modify_subnet_attribute", {})
            stub.add_response("modify_subnet_attribute", {})
        vpc_id = REGISTRY["vpc"].create(ctx, spec, dict(spec.params))
        for n in range(2):
            REGISTRY["subnet"].create(ctx, ResourceSpec("subnet", f"s{n}", "network", f"s{n}"), {
                "vpc": vpc_id, "cidr": f"10.10.{n}.0/24", "az": "eu-west-1a", "ipv6_index": n,
                "map_public_ipv4": False})
        stub.assert_no_pending_responses()


def test_an_available_vpc_with_its_block_is_not_read_again(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    spec = ResourceSpec("vpc", "vpc", "network", "t-vpc", {"cidr": "10.10.0.0/16", "ipv6": True})
    with Stubber(factory.client("ec2")) as stub:
        stub.add_response("create_vpc", {"Vpc": vpc("available", "associated")})
        stub.add_response("modify_vpc_attribute", {})
        assert REGISTRY["vpc"].create(ctx, spec, dict(spec.params)) == "vpc-0123456789abcdef0"
        stub.assert_no_pending_responses()
        assert ctx.memo.peek(("ipv6_block", "vpc-0123456789abcdef0")) == BLOCK
