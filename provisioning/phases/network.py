"""Network phase: VPC, subnets, gateways, route tables, DHCP options and security groups."""

from __future__ import annotations

from typing import Any

from provisioning.plan import Ref, ResourceSpec
from provisioning.topology import Topology


def specs(t: Topology) -> list[ResourceSpec]:
    """The network phase's resources, in creation order."""
    return _network(t)


def _network(t: Topology) -> list[ResourceSpec]:
    n = t.name
    specs = [ResourceSpec("vpc", "vpc", "network", f"{n}-vpc", {"cidr": t.vpc_cidr, "ipv6": t.vpc_ipv6})]
    for i, s in enumerate(t.subnets):
        specs.append(ResourceSpec("subnet", f"subnet-{s.name}", "network", f"{n}-{s.name}", {
            "vpc": Ref("vpc"), "cidr": s.cidr, "az": s.az, "ipv6_index": i if s.ipv6 else None,
            "map_public_ipv4": s.map_public_ipv4}))
    if t.internet_gateway:
        specs.append(ResourceSpec("internet_gateway", "igw", "network", f"{n}-igw", {"vpc": Ref("vpc")}))
    if t.nat_gateway_subnet:
        specs.append(ResourceSpec("elastic_ip", "nat-eip", "network", f"{n}-nat-eip", {}))
        specs.append(ResourceSpec("nat_gateway", "nat", "network", f"{n}-nat", {
            "subnet": Ref(f"subnet-{t.nat_gateway_subnet}"), "eip": Ref("nat-eip")}))
    for s in t.subnets:
        routes: list[dict[str, Any]] = []
        if s.default_route == "igw":
            routes.append({"destination": "0.0.0.0/0", "gateway": Ref("igw")})
        elif s.default_route == "nat":
            routes.append({"destination": "0.0.0.0/0", "nat_gateway": Ref("nat")})
        if s.ipv6_default_route == "igw":
            routes.append({"destination": "::/0", "gateway": Ref("igw")})
        specs.append(ResourceSpec("route_table", f"rt-{s.name}", "network", f"{n}-{s.name}-rt", {
            "vpc": Ref("vpc"), "subnet": Ref(f"subnet-{s.name}"), "routes": routes}))
    if t.dhcp_dns:
        specs.append(ResourceSpec("dhcp_options", "dhcp", "network", f"{n}-dhcp", {
            "vpc": Ref("vpc"), "domain_name_servers": list(t.dhcp_dns)}))
    specs += [
        ResourceSpec("security_group", "sg-bastion", "network", f"{n}-bastion", {
            "vpc": Ref("vpc"), "description": "bastion: SSH from the operator home address only; all from nodes"}),
        ResourceSpec("security_group", "sg-nodes", "network", f"{n}-talos-nodes", {
            "vpc": Ref("vpc"), "description": "Talos nodes: all from the bastion and from each other; nothing else"}),
        ResourceSpec("sg_ingress", "sg-bastion-ingress", "network", f"{n}-bastion", {
            "group": Ref("sg-bastion"), "rules": bastion_rules(t)}),
        ResourceSpec("sg_ingress", "sg-nodes-ingress", "network", f"{n}-talos-nodes", {
            "group": Ref("sg-nodes"), "rules": node_rules(t)}),
    ]
    return specs


def bastion_rules(t: Topology) -> list[dict[str, Any]]:
    """Ingress of the bastion SG: SSH from home only, everything from the nodes."""
    rules: list[dict[str, Any]] = [{"protocol": "-1", "group": Ref("sg-nodes"), "description": "all from Talos nodes"}]
    if t.access.home_ipv6:
        rules.append({"protocol": "tcp", "port": 22, "ipv6": t.access.home_ipv6, "description": "SSH from home"})
    return rules


def node_rules(t: Topology) -> list[dict[str, Any]]:
    """Ingress of the nodes SG: all from bastion and itself; Talos/K8s API from home if enabled."""
    rules: list[dict[str, Any]] = [
        {"protocol": "-1", "group": Ref("sg-bastion"), "description": "all from the bastion"},
        {"protocol": "-1", "group": Ref("sg-nodes"), "description": "all between nodes"},
    ]
    if t.access.home_api_access and t.access.home_ipv6:
        for port, what in ((50000, "Talos API"), (6443, "Kubernetes API")):
            rules.append({"protocol": "tcp", "port": port, "ipv6": t.access.home_ipv6,
                          "description": f"{what} from home"})
    return rules
