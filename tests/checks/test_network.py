"""Every network check passes on the provisioned lab and fails when the real state is wrong.

Each test provisions the network of a profile on the moto server, breaks one thing through
the API (as a person or a bug would), reads the state back and expects the check that the
feature's Then step uses to fail with a message naming resource, expected and actual.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.state import read_network
from provisioning.checks import network as check
from provisioning.plan import plan
from provisioning.topology import Topology
from steps.common import assert_clean


@dataclass
class Built:
    topo: Topology
    ids: dict[str, str]
    ec2: Any
    factory: ClientFactory
    run_id: str

    def state(self):  # type: ignore[no-untyped-def]
        return read_network(self.factory, self.ids["vpc"])


def build(factory: ClientFactory, run_id: str, profile: str) -> Iterator[Built]:
    topo = profiles.load(profile)
    ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    ids = ex.ensure(plan(topo, ("network",)))
    yield Built(topo, ids, factory.client("ec2"), factory, run_id)
    ex.teardown()


@pytest.fixture
def approved(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "approved")


@pytest.fixture
def homelab(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "homelab-replica")


def every_check(b: Built) -> list[str]:
    s, t = b.state(), b.topo
    return (check.vpc_cidr(t, s) + check.vpc_ipv6(t, s) + check.subnets(t, s) + check.subnet_ipv6(t, s)
            + check.igw_attached(t, s) + check.default_routes(t, s, "ipv4") + check.default_routes(t, s, "ipv6")
            + check.nat_only_if_planned(t, s) + check.dhcp_dns(t, s) + check.no_ingress_from_anywhere(s)
            + check.ssh_only_from_home(t, s) + check.node_group_closed(t, s) + check.run_tags(s, b.run_id))


def test_all_checks_pass_on_the_approved_lab(approved: Built) -> None:
    assert every_check(approved) == []


def test_all_checks_pass_on_the_homelab_replica(homelab: Built) -> None:
    assert every_check(homelab) == []


def fails(violations: list[str], *needles: str) -> None:
    with pytest.raises(AssertionError) as exc:
        assert_clean(violations, "check")
    for needle in needles:
        assert needle in str(exc.value), str(exc.value)


def test_missing_igw_route_fails(approved: Built) -> None:
    approved.ec2.delete_route(RouteTableId=approved.ids["rt-public"], DestinationCidrBlock="0.0.0.0/0")
    fails(check.default_routes(approved.topo, approved.state(), "ipv4"),
          "subnet public", "expected 0.0.0.0/0 -> the internet gateway", "found no route")


def test_missing_ipv6_route_fails(approved: Built) -> None:
    approved.ec2.delete_route(RouteTableId=approved.ids["rt-public"], DestinationIpv6CidrBlock="::/0")
    fails(check.default_routes(approved.topo, approved.state(), "ipv6"), "expected ::/0 -> the internet gateway")


def test_route_to_nat_when_igw_planned_fails(homelab: Built) -> None:
    homelab.ec2.replace_route(RouteTableId=homelab.ids["rt-private"], DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=homelab.ids["igw"])
    fails(check.default_routes(homelab.topo, homelab.state(), "ipv4"), "subnet private",
          "expected 0.0.0.0/0 -> the NAT gateway", homelab.ids["igw"])


def test_detached_igw_fails(approved: Built) -> None:
    approved.ec2.delete_route(RouteTableId=approved.ids["rt-public"], DestinationCidrBlock="0.0.0.0/0")
    approved.ec2.delete_route(RouteTableId=approved.ids["rt-public"], DestinationIpv6CidrBlock="::/0")
    approved.ec2.detach_internet_gateway(InternetGatewayId=approved.ids["igw"], VpcId=approved.ids["vpc"])
    fails(check.igw_attached(approved.topo, approved.state()), "expected an attached internet gateway, found none")
    approved.ec2.attach_internet_gateway(InternetGatewayId=approved.ids["igw"], VpcId=approved.ids["vpc"])


def test_unplanned_nat_gateway_fails(approved: Built) -> None:
    eip = approved.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = approved.ec2.create_nat_gateway(SubnetId=approved.ids["subnet-public"], AllocationId=eip)
    try:
        fails(check.nat_only_if_planned(approved.topo, approved.state()), "expected no NAT gateway")
    finally:
        approved.ec2.delete_nat_gateway(NatGatewayId=nat["NatGateway"]["NatGatewayId"])
        approved.ec2.release_address(AllocationId=eip)


def test_world_open_ingress_fails(approved: Built) -> None:
    approved.ec2.authorize_security_group_ingress(GroupId=approved.ids["sg-nodes"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 50000, "ToPort": 50000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    fails(check.no_ingress_from_anywhere(approved.state()), "expected no ingress from anywhere", "['0.0.0.0/0']")


def test_ssh_from_a_stranger_fails(approved: Built) -> None:
    approved.ec2.authorize_security_group_ingress(GroupId=approved.ids["sg-bastion"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "2001:db8:bad::1/128"}]}])
    fails(check.ssh_only_from_home(approved.topo, approved.state()), "expected SSH only from", "2001:db8:bad::1/128")


def test_missing_home_ssh_rule_fails(approved: Built) -> None:
    approved.ec2.revoke_security_group_ingress(GroupId=approved.ids["sg-bastion"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "Ipv6Ranges": [{"CidrIpv6": approved.topo.access.home_ipv6}]}])
    fails(check.ssh_only_from_home(approved.topo, approved.state()), "found no such rule")


def test_node_group_open_to_a_foreign_group_fails(approved: Built) -> None:
    other = approved.ec2.create_security_group(GroupName=f"stranger-{approved.run_id}", Description="x",
                                               VpcId=approved.ids["vpc"])["GroupId"]
    approved.ec2.authorize_security_group_ingress(GroupId=approved.ids["sg-nodes"], IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": other}]}])
    fails(check.node_group_closed(approved.topo, approved.state()), "expected only itself", other)
    approved.ec2.revoke_security_group_ingress(GroupId=approved.ids["sg-nodes"], IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": other}]}])
    approved.ec2.delete_security_group(GroupId=other)


def test_public_ipv4_mapping_fails(approved: Built) -> None:
    approved.ec2.modify_subnet_attribute(SubnetId=approved.ids["subnet-public"], MapPublicIpOnLaunch={"Value": True})
    fails(check.subnets(approved.topo, approved.state()), "expected MapPublicIpOnLaunch=False, found True")


def test_unplanned_subnet_fails(approved: Built) -> None:
    sid = approved.ec2.create_subnet(VpcId=approved.ids["vpc"], CidrBlock="10.10.9.0/24",
                                     AvailabilityZone="eu-west-1b")["Subnet"]["SubnetId"]
    try:
        fails(check.subnets(approved.topo, approved.state()), f"subnet {sid}: not in the profile")
        fails(check.run_tags(approved.state(), approved.run_id), f"subnet {sid}: expected ManagedBy=tdg")
    finally:
        approved.ec2.delete_subnet(SubnetId=sid)


def test_wrong_vpc_cidr_and_ipv6_expectations_fail(approved: Built) -> None:
    wrong = replace(approved.topo, vpc_cidr="10.10.0.0/17")
    fails(check.vpc_cidr(wrong, approved.state()), "expected CIDR 10.10.0.0/17, found 10.10.0.0/16")
    no_v6 = replace(approved.topo, vpc_ipv6=False,
                    subnets=(replace(approved.topo.subnets[0], ipv6=False, ipv6_default_route=None),))
    fails(check.vpc_ipv6(no_v6, approved.state()), "expected no IPv6 block")
    fails(check.subnet_ipv6(no_v6, approved.state()), "expected no IPv6")


def test_subnet_without_ipv6_fails(homelab: Built) -> None:
    wants_v6 = replace(homelab.topo, subnets=(replace(homelab.topo.subnets[0], ipv6=True),
                                              homelab.topo.subnets[1]))
    fails(check.subnet_ipv6(wants_v6, homelab.state()), "subnet public", "expected an IPv6 /64")


def test_wrong_dns_servers_fail(homelab: Built) -> None:
    approved_like = replace(homelab.topo, dhcp_dns=())
    fails(check.dhcp_dns(approved_like, homelab.state()), "expected DNS servers the AWS default DHCP options")


def test_missing_run_tag_fails(approved: Built) -> None:
    approved.ec2.delete_tags(Resources=[approved.ids["sg-nodes"]], Tags=[{"Key": "tdg:run-id"}])
    fails(check.run_tags(approved.state(), approved.run_id), f"security group {approved.ids['sg-nodes']}")
    approved.ec2.create_tags(Resources=[approved.ids["sg-nodes"]],
                             Tags=[{"Key": "tdg:run-id", "Value": approved.run_id}])
