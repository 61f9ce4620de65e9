"""Shared inputs of the report tests: a profile, a run's ledger entries and a read-back network."""

from __future__ import annotations

import pytest

from provisioning import profiles
from provisioning.aws.state import NetworkState, RouteState, RouteTableState, RuleState, SecurityGroupState, SubnetState
from provisioning.report.view import Resource
from provisioning.topology import Topology

HOME = "2001:db8:c0:5e::10/128"


@pytest.fixture
def approved() -> Topology:
    return profiles.load("approved")


@pytest.fixture
def resources() -> list[Resource]:
    return [Resource("vpc", "vpc", "vpc-0a1"), Resource("subnet", "subnet-public", "subnet-0b2"),
            Resource("internet_gateway", "igw", "igw-0c3"), Resource("security_group", "sg-bastion", "sg-0bas"),
            Resource("security_group", "sg-nodes", "sg-0nod"), Resource("network_interface", "bastion-eni", "eni-0b4"),
            Resource("instance", "bastion-instance", "i-0bastion"),
            Resource("network_interface", "eni-talos-gateway", "eni-0g1"),
            Resource("instance", "instance-talos-gateway", "i-0gateway"),
            Resource("instance", "instance-talos-compute-2", "i-0compute2")]


def network(*, bastion_rules: tuple[RuleState, ...] | None = None) -> NetworkState:
    """The approved profile's network as the API would report it (rules overridable)."""
    rules = bastion_rules if bastion_rules is not None else (
        RuleState("-1", None, None, (), (), ("sg-0nod",)), RuleState("tcp", 22, 22, (), (HOME,), ()))
    return NetworkState(
        vpc_id="vpc-0a1", cidr="10.10.0.0/16", ipv6_cidrs=("2a05:d018:1:2300::/56",), tags={},
        subnets=(SubnetState("subnet-0b2", "10.10.0.0/24", "eu-west-1a", False, ("2a05:d018:1:2300::/64",), {}),),
        igw_attachments={"igw-0c3": ("vpc-0a1",)}, igw_tags={},
        route_tables=(RouteTableState("rtb-1", False, ("subnet-0b2",), (
            RouteState("10.10.0.0/16", "local"), RouteState("0.0.0.0/0", "igw-0c3"), RouteState("::/0", "igw-0c3")),
            {}),),
        nat_gateways={}, nat_tags={},
        security_groups=(
            SecurityGroupState("sg-0bas", "approved-bastion", rules, {}),
            SecurityGroupState("sg-0nod", "approved-talos-nodes", (
                RuleState("-1", None, None, (), (), ("sg-0bas",)), RuleState("-1", None, None, (), (), ("sg-0nod",))),
                {}),
        ),
        dhcp_dns=("AmazonProvidedDNS",), dhcp_tags={})
