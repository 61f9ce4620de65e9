"""The picture's model: ids from the ledger, addresses and rules as read back, planned values otherwise."""

from __future__ import annotations

from provisioning import profiles
from provisioning.aws.state import RuleState
from provisioning.report.view import (
    Edge,
    Observed,
    Resource,
    bastion_services,
    find_id,
    lab_view,
    merge_edges,
    observed_from_describe,
)
from provisioning.topology import Topology
from tests.report.conftest import HOME, network


def test_find_id_matches_whole_name_tokens_only() -> None:
    res = [Resource("instance", "instance-talos-compute-23", "i-23"), Resource("instance", "instance-talos-compute-2",
                                                                                 "i-2")]
    assert find_id(res, ("instance",), "talos-compute-2") == "i-2"
    assert find_id(res, ("instance",), "talos-compute-3") is None
    assert find_id(res, ("network_interface",), "talos-compute-2") is None


def test_planned_view_uses_the_profile_and_marks_addresses_as_planned(approved: Topology) -> None:
    view = lab_view(approved, run_id="r1", mode="offline")
    assert view.vpc_id is None and view.vpc_cidr == "10.10.0.0/16"
    assert view.bastion.private_ip == "10.10.0.100" and not view.bastion.ip_observed
    assert [n.private_ip for n in view.nodes] == ["10.10.0.101", "10.10.0.102", "10.10.0.103"]
    assert view.subnets[0].routes == (("0.0.0.0/0", "IGW"), ("::/0", "IGW"))
    assert not view.rules_observed
    assert {(e.source, e.target) for e in view.edges} == {("home", "bastion"), ("nodes", "bastion"),
                                                          ("bastion", "nodes"), ("nodes", "nodes")}
    assert view.edges[0] == Edge("home", "bastion", "tcp/22 SSH")


def test_ids_and_observed_addresses_come_from_the_run(approved: Topology, resources: list[Resource]) -> None:
    observed = {"eni-0b4": Observed("10.10.0.100", "203.0.113.7", ("2a05:d018::100",), "in-use"),
                "i-0bastion": Observed("10.10.0.100", state="running"),
                "i-0gateway": Observed("10.10.0.109", state="running")}
    view = lab_view(approved, run_id="r1", mode="offline", resources=resources, observed=observed)
    assert (view.vpc_id, view.igw_id, view.subnets[0].id) == ("vpc-0a1", "igw-0c3", "subnet-0b2")
    assert (view.bastion.eni_id, view.bastion.instance_id) == ("eni-0b4", "i-0bastion")
    assert view.bastion.ip_observed and view.bastion.public_ip == "203.0.113.7"
    assert view.bastion.state == "running" and view.bastion.ipv6 == ("2a05:d018::100",)
    gateway, compute2, compute3 = view.nodes
    assert (gateway.instance_id, gateway.private_ip, gateway.state) == ("i-0gateway", "10.10.0.109", "running")
    assert compute2.instance_id == "i-0compute2" and not compute2.ip_observed
    assert compute3.instance_id is None


def test_rules_and_routes_as_read_back_replace_the_plan(approved: Topology, resources: list[Resource]) -> None:
    view = lab_view(approved, run_id="r1", mode="live", resources=resources, network=network())
    assert view.rules_observed
    assert view.vpc_ipv6 == "2a05:d018:1:2300::/56"
    assert view.subnets[0].ipv6_cidr == "2a05:d018:1:2300::/64"
    assert view.subnets[0].routes == (("0.0.0.0/0", "IGW"), ("::/0", "IGW"))
    assert not any(e.danger for e in view.edges)


def test_a_rule_open_to_the_world_becomes_a_danger_edge(approved: Topology, resources: list[Resource]) -> None:
    state = network(bastion_rules=(RuleState("tcp", 22, 22, ("0.0.0.0/0",), (), ()),
                                   RuleState("tcp", 8080, 8081, ("192.0.2.0/24",), (), ())))
    view = lab_view(approved, run_id="r1", mode="live", resources=resources, network=state)
    danger = {(e.source, e.target, e.label) for e in view.edges if e.danger}
    assert danger == {("internet", "bastion", "tcp/22 SSH"), ("192.0.2.0/24", "bastion", "tcp/8080-8081")}
    assert ("home", "bastion") not in {(e.source, e.target) for e in view.edges}


def test_merge_edges_joins_labels_per_pair() -> None:
    merged = merge_edges([Edge("home", "nodes", "tcp/50000 Talos API"), Edge("home", "nodes", "tcp/6443 Kubernetes "
                                                                                                "API"),
                          Edge("home", "nodes", "tcp/50000 Talos API")])
    assert merged == (Edge("home", "nodes", "tcp/50000 Talos API, tcp/6443 Kubernetes API"),)


def test_bastion_services_follow_the_profile() -> None:
    approved, homelab = profiles.load("approved"), profiles.load("homelab-replica")
    assert "IPv4 NAT for the nodes" in bastion_services(approved)
    assert not any(s.startswith("netboot") for s in bastion_services(approved))
    assert any(s.startswith("netboot") for s in bastion_services(homelab))
    assert bastion_services(approved)[0].startswith("5 registry caches :")


def test_observed_from_describe_reads_enis_and_instances() -> None:
    got = observed_from_describe(
        [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.10.0.100", "Status": "in-use",
          "Association": {"PublicIp": "203.0.113.7"}, "Ipv6Addresses": [{"Ipv6Address": "2a05::1"}]}],
        [{"InstanceId": "i-1", "PrivateIpAddress": "10.10.0.101", "State": {"Name": "running"},
          "NetworkInterfaces": [{"Ipv6Addresses": [{"Ipv6Address": "2a05::2"}]}]}])
    assert got["eni-1"] == Observed("10.10.0.100", "203.0.113.7", ("2a05::1",), "in-use")
    assert got["i-1"] == Observed("10.10.0.101", None, ("2a05::2",), "running")


def test_view_of_a_nat_profile_names_the_nat_subnet() -> None:
    view = lab_view(profiles.load("homelab-replica"), run_id="r1", mode="offline",
                    resources=[Resource("nat_gateway", "nat", "nat-0x")])
    assert (view.nat_subnet, view.nat_id) == ("public", "nat-0x")
    assert dict(view.subnets[1].routes)["0.0.0.0/0"] == "NAT"
    assert view.home == HOME
