"""What the topology picture shows: the profile merged with the run's real ids, addresses and rules.

Pure. Ids come from the run's ledger (kind, plan key, id); addresses from what the API reported
(Observed, by resource id); security-group rules and routes from a NetworkState read during the
run. Whatever was not observed falls back to the profile and is marked as planned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioning.aws.state import NetworkState
from provisioning.phases.network import bastion_rules, node_rules
from provisioning.plan import Ref
from provisioning.topology import Topology
from provisioning.userdata.bastion import live_bindings

PORT_NAMES = {22: "SSH", 53: "DNS", 6443: "Kubernetes API", 50000: "Talos API"}
WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Resource:
    """One ledger entry: kind, plan key and AWS id."""

    kind: str
    key: str
    id: str


@dataclass(frozen=True)
class Observed:
    """Addresses and state of one instance or ENI as the API reported them."""

    private_ip: str | None = None
    public_ip: str | None = None
    ipv6: tuple[str, ...] = ()
    state: str | None = None


@dataclass(frozen=True)
class Edge:
    """Allowed traffic: source peer (home, internet, bastion, nodes or a CIDR) to target group."""

    source: str
    target: str
    label: str
    danger: bool = False


@dataclass(frozen=True)
class SubnetView:
    name: str
    cidr: str
    az: str
    id: str | None
    ipv6_cidr: str | None
    routes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class HostView:
    """The bastion or a node: what it is, its address and ids (None when not created)."""

    name: str
    role: str
    instance_type: str
    private_ip: str
    ip_observed: bool
    instance_id: str | None = None
    eni_id: str | None = None
    public_ip: str | None = None
    ipv6: tuple[str, ...] = ()
    state: str | None = None
    services: tuple[str, ...] = ()
    public_ipv4: bool = False


@dataclass(frozen=True)
class LabView:
    profile: str
    region: str
    run_id: str
    mode: str
    vpc_cidr: str
    vpc_ipv6: str | None
    vpc_id: str | None
    subnets: tuple[SubnetView, ...]
    internet_gateway: bool
    igw_id: str | None
    nat_subnet: str | None
    nat_id: str | None
    home: str | None
    bastion: HostView
    bastion_subnet: str
    nodes: tuple[HostView, ...]
    node_subnet: str
    edges: tuple[Edge, ...]
    rules_observed: bool


def _token(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|[-:/_.]){re.escape(name)}($|[-:/_.])")


def find_id(resources: Sequence[Resource], kinds: Sequence[str], name: str) -> str | None:
    """The id of the first resource of one of kinds whose plan key names name (as a whole token)."""
    pattern = _token(name)
    for kind in kinds:
        for r in resources:
            if r.kind == kind and (r.key == name or pattern.search(r.key)):
                return r.id
    return None


def bastion_services(t: Topology) -> tuple[str, ...]:
    """The bastion's services, with ports, from the same bindings its user-data is rendered with."""
    b = live_bindings(t)
    ports = sorted(b.cache_ports.values())
    span = f":{ports[0]}\u2013{ports[-1]}" if len(ports) > 1 else f":{ports[0]}" if ports else ""
    out = [f"{len(ports)} registry caches {span}", f"DNS forwarder :{b.dns_port}",
           f"boot-to-talos assets :{b.asset_port}"]
    if t.bastion.nat_for_nodes:
        out.append("IPv4 NAT for the nodes")
    if t.bastion.netboot_services:
        out += [f"netboot: DHCP + matchbox :{b.matchbox_port}", f"pi-hole DNS :{b.pihole_dns_port}"]
    return tuple(out)


def _rule_label(protocol: str, port: int | None, to_port: int | None = None) -> str:
    if protocol == "-1":
        return "all traffic"
    if port is None:
        return protocol
    span = f"{port}" if to_port in (None, port) else f"{port}-{to_port}"
    name = PORT_NAMES.get(port, "")
    return f"{protocol}/{span}" + (f" {name}" if name and to_port in (None, port) else "")


def _planned_edges(t: Topology) -> list[Edge]:
    peers = {"sg-bastion": "bastion", "sg-nodes": "nodes"}
    out = []
    for target, rules in (("bastion", bastion_rules(t)), ("nodes", node_rules(t))):
        for rule in rules:
            label = _rule_label(str(rule["protocol"]), rule.get("port"))
            group: Any = rule.get("group")
            if isinstance(group, Ref):
                out.append(Edge(peers.get(group.key, group.key), target, label))
            elif rule.get("ipv6"):
                out.append(Edge("home" if rule["ipv6"] == t.access.home_ipv6 else str(rule["ipv6"]), target, label))
    return out


def _source(cidr: str, home: str | None) -> tuple[str, bool]:
    if home is not None and cidr == home:
        return "home", False
    return ("internet" if cidr in WORLD else cidr), True


def _observed_edges(t: Topology, state: NetworkState, groups: Mapping[str, str]) -> list[Edge]:
    by_id = {gid: peer for peer, gid in groups.items()}
    out = []
    for sg in state.security_groups:
        target = by_id.get(sg.id)
        if target is None:
            continue
        for rule in sg.ingress:
            label = _rule_label(rule.protocol, rule.from_port, rule.to_port)
            out += [Edge(by_id.get(g, g), target, label, g not in by_id) for g in rule.groups]
            for cidr in (*rule.ipv4, *rule.ipv6):
                source, danger = _source(cidr, t.access.home_ipv6)
                out.append(Edge(source, target, label, danger))
    return out


def merge_edges(edges: Sequence[Edge]) -> tuple[Edge, ...]:
    """One edge per (source, target), labels joined in first-seen order."""
    merged: dict[tuple[str, str], Edge] = {}
    for e in edges:
        old = merged.get((e.source, e.target))
        if old is None:
            merged[(e.source, e.target)] = e
        elif e.label not in old.label.split(", "):
            merged[(e.source, e.target)] = Edge(e.source, e.target, f"{old.label}, {e.label}", old.danger or e.danger)
    return tuple(merged.values())


def order_edges(edges: Sequence[Edge]) -> tuple[Edge, ...]:
    """Edges in reading order: from home, between bastion and nodes, among nodes, then the rest."""
    rank = {("home", "bastion"): 0, ("home", "nodes"): 1, ("bastion", "nodes"): 2, ("nodes", "bastion"): 3,
            ("nodes", "nodes"): 4}
    return tuple(sorted(edges, key=lambda e: rank.get((e.source, e.target), 5)))


def _routes(t: Topology, name: str, subnet_id: str | None, state: NetworkState | None,
            targets: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    if state is not None and subnet_id is not None:
        for rt in state.route_tables:
            if subnet_id in rt.subnet_ids:
                return tuple((r.destination, targets.get(r.target, r.target)) for r in rt.routes
                             if r.target != "local")
    s = t.subnet(name)
    planned = [("0.0.0.0/0", s.default_route.upper())] if s.default_route else []
    if s.ipv6_default_route:
        planned.append(("::/0", s.ipv6_default_route.upper()))
    return tuple(planned)


def _host(name: str, role: str, itype: str, ip: str, resources: Sequence[Resource],
          observed: Mapping[str, Observed], **extra: Any) -> HostView:
    instance_id = find_id(resources, ("instance", "autoscaling_group"), name)
    eni_id = find_id(resources, ("network_interface",), name)
    eni, inst = observed.get(eni_id or "", Observed()), observed.get(instance_id or "", Observed())
    private = eni.private_ip or inst.private_ip
    return HostView(name=name, role=role, instance_type=itype, private_ip=private or ip,
                    ip_observed=private is not None, instance_id=instance_id, eni_id=eni_id,
                    public_ip=eni.public_ip or inst.public_ip, ipv6=eni.ipv6 or inst.ipv6,
                    state=inst.state or eni.state, **extra)


def lab_view(t: Topology, *, run_id: str, mode: str, resources: Sequence[Resource] = (),
             observed: Mapping[str, Observed] | None = None, network: NetworkState | None = None) -> LabView:
    """Merge the profile with what the run created and observed (see the module docstring)."""
    observed = observed or {}
    ids = {r.key: r.id for r in resources}
    vpc_id = network.vpc_id if network else ids.get("vpc")
    targets = {i: label for key, label in (("igw", "IGW"), ("nat", "NAT")) if (i := ids.get(key))}
    subnets = []
    for s in t.subnets:
        sid = ids.get(f"subnet-{s.name}")
        got = next((x for x in (network.subnets if network else ()) if x.id == sid), None)
        subnets.append(SubnetView(s.name, got.cidr if got else s.cidr, got.az if got else s.az, sid,
                                  got.ipv6_cidrs[0] if got and got.ipv6_cidrs else None,
                                  _routes(t, s.name, sid, network, targets)))
    groups = {peer: gid for peer, key in (("bastion", "sg-bastion"), ("nodes", "sg-nodes")) if (gid := ids.get(key))}
    rules_observed = network is not None and all(g in {sg.id for sg in network.security_groups}
                                                 for g in groups.values()) and len(groups) == 2
    edges = _observed_edges(t, network, groups) if network is not None and rules_observed else _planned_edges(t)
    b = t.bastion
    bastion = _host("bastion", "bastion", b.instance_type, b.private_ip, resources, observed,
                    services=bastion_services(t), public_ipv4=b.public_ipv4)
    nodes = tuple(_host(n.name, n.role, n.instance_type, n.private_ip, resources, observed) for n in t.nodes)
    vpc_ipv6 = network.ipv6_cidrs[0] if network and network.ipv6_cidrs else None
    return LabView(profile=t.name, region=t.region, run_id=run_id, mode=mode,
                   vpc_cidr=network.cidr if network else t.vpc_cidr,
                   vpc_ipv6=vpc_ipv6 or ("Amazon IPv6 /56" if t.vpc_ipv6 else None), vpc_id=vpc_id,
                   subnets=tuple(subnets), internet_gateway=t.internet_gateway,
                   igw_id=ids.get("igw") if t.internet_gateway else None,
                   nat_subnet=t.nat_gateway_subnet, nat_id=ids.get("nat"), home=t.access.home_ipv6,
                   bastion=bastion, bastion_subnet=b.subnet, nodes=nodes, node_subnet=t.node_subnet,
                   edges=order_edges(merge_edges(edges)), rules_observed=rules_observed)



def observed_from_describe(interfaces: Sequence[Mapping[str, Any]] = (),
                           instances: Sequence[Mapping[str, Any]] = ()) -> dict[str, Observed]:
    """Addresses by resource id from describe_network_interfaces' and describe_instances' items."""
    out: dict[str, Observed] = {}
    for eni in interfaces:
        out[str(eni["NetworkInterfaceId"])] = Observed(
            private_ip=eni.get("PrivateIpAddress"), public_ip=(eni.get("Association") or {}).get("PublicIp"),
            ipv6=tuple(a["Ipv6Address"] for a in eni.get("Ipv6Addresses", ())), state=eni.get("Status"))
    for inst in instances:
        ipv6 = tuple(a["Ipv6Address"] for n in inst.get("NetworkInterfaces", ()) for a in n.get("Ipv6Addresses", ()))
        out[str(inst["InstanceId"])] = Observed(
            private_ip=inst.get("PrivateIpAddress"), public_ip=inst.get("PublicIpAddress"), ipv6=ipv6,
            state=(inst.get("State") or {}).get("Name"))
    return out
