"""access.home_api_access: the node group opens exactly 50000 and 6443, exactly to the home /128.

With the option on, the network phase adds those two rules (provisioning/phases/network.py
node_rules) and node_group_closed passes; any other port, any other address, a wider prefix,
a port range or a missing port fails it. With the option off, the same rules fail it.
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
from provisioning.aws.state import NetworkState, read_network
from provisioning.checks import network as check
from provisioning.plan import plan
from provisioning.topology import Topology

HOME = profiles.load("approved").access.home_ipv6 or ""


@dataclass
class Lab:
    topo: Topology
    ids: dict[str, str]
    ec2: Any
    factory: ClientFactory

    def state(self) -> NetworkState:
        return read_network(self.factory, self.ids["vpc"])

    def open(self, port: int, cidr: str, to_port: int | None = None) -> None:
        self.ec2.authorize_security_group_ingress(GroupId=self.ids["sg-nodes"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": to_port or port, "Ipv6Ranges": [{"CidrIpv6": cidr}]}])


def with_home_api(on: bool) -> Topology:
    topo = profiles.load("approved")
    return replace(topo, access=replace(topo.access, home_api_access=on))


@pytest.fixture
def home_lab(factory: ClientFactory, run_id: str) -> Iterator[Lab]:
    topo = with_home_api(True)
    ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    ids = ex.ensure(plan(topo, ("network",)))
    yield Lab(topo, ids, factory.client("ec2"), factory)
    ex.teardown()


def address_rules(state: NetworkState, group_id: str) -> set[tuple[str, int | None, int | None, str]]:
    group = next(g for g in state.security_groups if g.id == group_id)
    return {(r.protocol, r.from_port, r.to_port, c) for r in group.ingress for c in r.ipv4 + r.ipv6}


def test_exactly_the_two_api_ports_are_open_from_exactly_home(home_lab: Lab) -> None:
    s = home_lab.state()
    assert address_rules(s, home_lab.ids["sg-nodes"]) == {("tcp", 50000, 50000, HOME), ("tcp", 6443, 6443, HOME)}
    assert check.node_group_closed(home_lab.topo, s) == []
    assert check.no_ingress_from_anywhere(s) == []


@pytest.mark.parametrize(("port", "cidr", "to_port", "found"), [
    (22, HOME, None, f"tcp 22-22 from {HOME}"),                                  # another port from home
    (6443, "2001:db8:bad::1/128", None, "tcp 6443-6443 from 2001:db8:bad::1/128"),  # the port from a stranger
    (6443, "2001:db8:c0:5e::/64", None, "tcp 6443-6443 from 2001:db8:c0:5e::/64"),  # home's whole /64
    (6000, HOME, 7000, f"tcp 6000-7000 from {HOME}"),                            # a range around 6443
])
def test_anything_beyond_the_two_rules_fails(home_lab: Lab, port: int, cidr: str, to_port: int | None,
                                             found: str) -> None:
    home_lab.open(port, cidr, to_port)
    violations = check.node_group_closed(home_lab.topo, home_lab.state())
    assert violations == [f"node security group ({home_lab.ids['sg-nodes']}): expected no address ranges but home "
                          f"on [6443, 50000], found {found}"]


def test_a_missing_api_port_fails(home_lab: Lab) -> None:
    home_lab.ec2.revoke_security_group_ingress(GroupId=home_lab.ids["sg-nodes"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 50000, "ToPort": 50000, "Ipv6Ranges": [{"CidrIpv6": HOME}]}])
    assert check.node_group_closed(home_lab.topo, home_lab.state()) == [
        f"node security group ({home_lab.ids['sg-nodes']}): expected home access on [50000], found none"]


def test_with_the_option_off_the_same_rules_fail(home_lab: Lab) -> None:
    off = with_home_api(False)
    violations = check.node_group_closed(off, home_lab.state())
    assert sorted(violations) == sorted(
        f"node security group ({home_lab.ids['sg-nodes']}): expected no address ranges, found tcp {p}-{p} from {HOME}"
        for p in (6443, 50000))


def test_the_plan_adds_the_rules_only_when_asked() -> None:
    def rules(on: bool) -> list[dict[str, Any]]:
        nodes = next(s for s in plan(with_home_api(on), ("network",)) if s.key == "sg-nodes-ingress")
        return [r for r in nodes.params["rules"] if "ipv6" in r]

    assert [(r["port"], r["ipv6"]) for r in rules(True)] == [(50000, HOME), (6443, HOME)]
    assert rules(False) == []
