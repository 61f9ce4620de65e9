"""Network checks: compare what the API reports with what the profile plans.

Each function returns a list of violations (empty = the check passes); each violation
names the resource, the expected and the actual value.
"""

from __future__ import annotations

import ipaddress

from provisioning import tags as tagging
from provisioning.aws.state import NetworkState, SecurityGroupState
from provisioning.topology import Topology

ANYWHERE = {"0.0.0.0/0", "::/0"}


def vpc_cidr(t: Topology, s: NetworkState) -> list[str]:
    """The VPC's IPv4 CIDR is the profile's."""
    return [] if s.cidr == t.vpc_cidr else [f"VPC {s.vpc_id}: expected CIDR {t.vpc_cidr}, found {s.cidr}"]


def vpc_ipv6(t: Topology, s: NetworkState) -> list[str]:
    """The VPC has an Amazon /56 exactly when the profile asks for IPv6."""
    blocks = [ipaddress.IPv6Network(c) for c in s.ipv6_cidrs]
    if t.vpc_ipv6 and not any(b.prefixlen == 56 for b in blocks):
        return [f"VPC {s.vpc_id}: expected an associated IPv6 /56, found {list(s.ipv6_cidrs) or 'none'}"]
    if not t.vpc_ipv6 and blocks:
        return [f"VPC {s.vpc_id}: expected no IPv6 block, found {list(s.ipv6_cidrs)}"]
    return []


def subnets(t: Topology, s: NetworkState) -> list[str]:
    """Every planned subnet exists with its CIDR, zone and public-IPv4 mapping; no extra subnets."""
    out: list[str] = []
    for planned in t.subnets:
        got = s.by_key(f"subnet-{planned.name}")
        if got is None:
            out.append(f"subnet {planned.name}: expected {planned.cidr} in {planned.az}, found no such subnet")
            continue
        if got.cidr != planned.cidr:
            out.append(f"subnet {planned.name} ({got.id}): expected CIDR {planned.cidr}, found {got.cidr}")
        if got.az != planned.az:
            out.append(f"subnet {planned.name} ({got.id}): expected zone {planned.az}, found {got.az}")
        if got.map_public_ipv4 != planned.map_public_ipv4:
            out.append(f"subnet {planned.name} ({got.id}): expected MapPublicIpOnLaunch={planned.map_public_ipv4}, "
                       f"found {got.map_public_ipv4}")
    planned_cidrs = {p.cidr for p in t.subnets}
    out += [f"subnet {x.id}: not in the profile, found {x.cidr}" for x in s.subnets if x.cidr not in planned_cidrs]
    return out


def subnet_ipv6(t: Topology, s: NetworkState) -> list[str]:
    """Every IPv6 subnet has a /64 inside the VPC's block; IPv4-only subnets have none."""
    out: list[str] = []
    vpc_blocks = [ipaddress.IPv6Network(c) for c in s.ipv6_cidrs]
    for planned in t.subnets:
        got = s.by_key(f"subnet-{planned.name}")
        if got is None:
            continue
        nets = [ipaddress.IPv6Network(c) for c in got.ipv6_cidrs]
        if planned.ipv6 and not any(n.prefixlen == 64 and any(n.subnet_of(b) for b in vpc_blocks) for n in nets):
            out.append(f"subnet {planned.name} ({got.id}): expected an IPv6 /64 inside {list(s.ipv6_cidrs)}, "
                       f"found {list(got.ipv6_cidrs) or 'none'}")
        if not planned.ipv6 and nets:
            out.append(f"subnet {planned.name} ({got.id}): expected no IPv6, found {list(got.ipv6_cidrs)}")
    return out


def igw_attached(t: Topology, s: NetworkState) -> list[str]:
    """An internet gateway is attached to the VPC exactly when the profile has one."""
    attached = [g for g, vpcs in s.igw_attachments.items() if s.vpc_id in vpcs]
    if t.internet_gateway and not attached:
        return [f"VPC {s.vpc_id}: expected an attached internet gateway, found none"]
    if not t.internet_gateway and attached:
        return [f"VPC {s.vpc_id}: expected no internet gateway, found {attached}"]
    return []


def _route_for(s: NetworkState, subnet_key: str, destination: str) -> tuple[str, str | None]:
    sub = s.by_key(subnet_key)
    if sub is None:
        return "missing subnet", None
    tables = [rt for rt in s.route_tables if sub.id in rt.subnet_ids] or [rt for rt in s.route_tables if rt.main]
    for rt in tables:
        for r in rt.routes:
            if r.destination == destination:
                return rt.id, r.target
    return (tables[0].id if tables else "no route table"), None


def default_routes(t: Topology, s: NetworkState, family: str) -> list[str]:
    """Each subnet's default route (0.0.0.0/0 or ::/0) goes to the planned gateway, or nowhere."""
    dest = "0.0.0.0/0" if family == "ipv4" else "::/0"
    igws = {g for g, vpcs in s.igw_attachments.items() if s.vpc_id in vpcs}
    nats = {n for n, state in s.nat_gateways.items() if state in ("pending", "available")}
    out: list[str] = []
    for planned in t.subnets:
        want = planned.default_route if family == "ipv4" else planned.ipv6_default_route
        rt, target = _route_for(s, f"subnet-{planned.name}", dest)
        ok = {"igw": target in igws, "nat": target in nats, None: target is None}[want]
        if not ok:
            expected = {"igw": "the internet gateway", "nat": "the NAT gateway", None: "no default route"}[want]
            out.append(f"subnet {planned.name} (route table {rt}): expected {dest} -> {expected}, "
                       f"found {target or 'no route'}")
    return out


def nat_only_if_planned(t: Topology, s: NetworkState) -> list[str]:
    """A NAT gateway exists exactly when the profile plans one (it costs ~$35/month)."""
    live = sorted(n for n, state in s.nat_gateways.items() if state in ("pending", "available"))
    if t.nat_gateway_subnet is None and live:
        return [f"VPC {s.vpc_id}: expected no NAT gateway, found {live}"]
    if t.nat_gateway_subnet is not None and not live:
        return [f"VPC {s.vpc_id}: expected a NAT gateway in subnet {t.nat_gateway_subnet}, found none"]
    return []


def dhcp_dns(t: Topology, s: NetworkState) -> list[str]:
    """The VPC hands out the profile's DNS servers (or AWS's default set when it names none)."""
    if tuple(s.dhcp_dns) == tuple(t.dhcp_dns):
        return []
    expected = list(t.dhcp_dns) or "the AWS default DHCP options"
    return [f"VPC {s.vpc_id}: expected DNS servers {expected}, found {list(s.dhcp_dns) or 'the AWS default'}"]


def no_ingress_from_anywhere(s: NetworkState) -> list[str]:
    """No security group in the VPC admits anything from 0.0.0.0/0 or ::/0."""
    out = []
    for g in s.security_groups:
        for r in g.ingress:
            wide = sorted(ANYWHERE & set(r.ipv4 + r.ipv6))
            if wide:
                out.append(f"security group {g.name} ({g.id}): expected no ingress from anywhere, found "
                           f"{r.protocol} {r.from_port}-{r.to_port} from {wide}")
    return out


def _group(s: NetworkState, key: str) -> SecurityGroupState | None:
    g = s.by_key(key)
    return g if isinstance(g, SecurityGroupState) else None


def ssh_only_from_home(t: Topology, s: NetworkState) -> list[str]:
    """Port 22 of the bastion is open from the home address only (and from the node group)."""
    g = _group(s, "sg-bastion")
    if g is None:
        return ["bastion security group: expected it to exist, found none"]
    nodes = _group(s, "sg-nodes")
    allowed = {t.access.home_ipv6} if t.access.home_ipv6 else set()
    out = []
    for r in g.ingress:
        if not r.covers(22):
            continue
        sources = set(r.ipv4 + r.ipv6) - allowed
        groups = set(r.groups) - ({nodes.id} if nodes else set())
        if sources or groups:
            out.append(f"bastion security group ({g.id}): expected SSH only from {sorted(allowed)}, found "
                       f"{r.protocol} {r.from_port}-{r.to_port} from {sorted(sources | groups)}")
    if t.access.home_ipv6 and not any(r.covers(22) and t.access.home_ipv6 in r.ipv6 for r in g.ingress):
        out.append(f"bastion security group ({g.id}): expected SSH from {t.access.home_ipv6}, found no such rule")
    return out


def node_group_closed(t: Topology, s: NetworkState) -> list[str]:
    """The node group admits only the bastion group, itself, and the home API ports when enabled."""
    g, bastion = _group(s, "sg-nodes"), _group(s, "sg-bastion")
    if g is None or bastion is None:
        return ["node or bastion security group: expected both to exist, found "
                f"{[k for k, v in (('sg-nodes', g), ('sg-bastion', bastion)) if v is not None]}"]
    out = []
    home_ports = {50000, 6443} if t.access.home_api_access else set()
    seen_home_ports: set[int] = set()
    for r in g.ingress:
        strangers = set(r.groups) - {g.id, bastion.id}
        if strangers:
            out.append(f"node security group ({g.id}): expected only itself and {bastion.id}, "
                       f"found {sorted(strangers)}")
        for cidr in r.ipv4 + r.ipv6:
            if cidr == t.access.home_ipv6 and r.from_port == r.to_port and r.from_port in home_ports:
                seen_home_ports.add(int(r.from_port))
            else:
                out.append(f"node security group ({g.id}): expected no address ranges"
                           f"{' but home on ' + str(sorted(home_ports)) if home_ports else ''}, found "
                           f"{r.protocol} {r.from_port}-{r.to_port} from {cidr}")
    for group_id, what in ((bastion.id, "the bastion group"), (g.id, "itself")):
        if not any(group_id in r.groups and r.protocol == "-1" for r in g.ingress):
            out.append(f"node security group ({g.id}): expected all traffic from {what} ({group_id}), found none")
    missing = home_ports - seen_home_ports
    if missing:
        out.append(f"node security group ({g.id}): expected home access on {sorted(missing)}, found none")
    return out


def run_tags(s: NetworkState, run_id: str) -> list[str]:
    """Every resource of the run's VPC that the suite made carries ManagedBy, run id, phase and Name."""
    items: list[tuple[str, dict[str, str]]] = [(f"VPC {s.vpc_id}", s.tags)]
    items += [(f"subnet {x.id}", x.tags) for x in s.subnets]
    items += [(f"internet gateway {g}", tg) for g, tg in s.igw_tags.items()]
    items += [(f"route table {x.id}", x.tags) for x in s.route_tables if not x.main]
    items += [(f"NAT gateway {n}", tg) for n, tg in s.nat_tags.items() if s.nat_gateways[n] != "deleted"]
    items += [(f"security group {x.id}", x.tags) for x in s.security_groups if x.name != "default"]
    if s.dhcp_dns:
        items.append(("DHCP options", s.dhcp_tags))
    keys = (tagging.MANAGED_BY_KEY, tagging.RUN_ID_KEY, "Name", tagging.PHASE_KEY)
    out = []
    for what, tg in items:
        missing = [k for k in ("Name", tagging.PHASE_KEY) if not tg.get(k)]
        if not tagging.is_ours(tg, run_id) or missing:
            out.append(f"{what}: expected {tagging.MANAGED_BY_KEY}={tagging.MANAGED_BY_VALUE}, "
                       f"{tagging.RUN_ID_KEY}={run_id}, Name and {tagging.PHASE_KEY}, found "
                       f"{ {k: tg.get(k) for k in keys} }")
    return out
