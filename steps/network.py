"""Steps of features/01_network.feature: read the network back from the API and check it."""

from __future__ import annotations

from pytest_bdd import given, then

from fixtures.lab import NetworkLab
from provisioning.aws.state import NetworkState
from provisioning.checks import network as check
from provisioning.settings import RunSettings
from provisioning.topology import Topology
from steps.common import assert_clean

EVIDENCE = "aws"


@given("the network of the lab is provisioned", target_fixture="network")
def _(network_lab: NetworkLab) -> NetworkLab:
    return network_lab


@then("the VPC has the profile's IPv4 range")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.vpc_cidr(topology, network_state), "VPC IPv4 range")


@then("the VPC has an Amazon IPv6 block exactly when the profile asks for one")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.vpc_ipv6(topology, network_state), "VPC IPv6 block")


@then("every planned subnet exists with its range and zone, and no other subnet does")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.subnets(topology, network_state), "subnets")


@then("every IPv6 subnet has a /64 inside the VPC's IPv6 block")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.subnet_ipv6(topology, network_state), "subnet IPv6 blocks")


@then("the internet gateway is attached to the lab's VPC")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.igw_attached(topology, network_state), "internet gateway")


@then("each subnet's IPv4 default route goes where the profile says")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.default_routes(topology, network_state, "ipv4"), "IPv4 default routes")


@then("each subnet's IPv6 default route goes where the profile says")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.default_routes(topology, network_state, "ipv6"), "IPv6 default routes")


@then("a NAT gateway exists only if the profile plans one")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.nat_only_if_planned(topology, network_state), "NAT gateway")


@then("the VPC hands out the DNS servers the profile names")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.dhcp_dns(topology, network_state), "DHCP options")


@then("no security group admits anything from anywhere")
def _(network_state: NetworkState) -> None:
    assert_clean(check.no_ingress_from_anywhere(network_state), "security groups open to the world")


@then("SSH to the bastion is allowed only from the home address")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.ssh_only_from_home(topology, network_state), "bastion SSH access")


@then("the node group admits only the bastion group and itself")
def _(topology: Topology, network_state: NetworkState) -> None:
    assert_clean(check.node_group_closed(topology, network_state), "node security group")


@then("every network resource of the run carries the run's tags")
def _(tdg_settings: RunSettings, network_state: NetworkState) -> None:
    assert_clean(check.run_tags(network_state, tdg_settings.run_id), "run tags")
