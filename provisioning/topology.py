"""The lab as data: frozen, validated dataclasses loaded from YAML profiles.

A profile that breaks a rule raises ProfileError naming every broken field,
its value and the rule, before anything talks to AWS.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from provisioning.data import load_data
from provisioning.errors import Problem, ProfileError

Role = Literal["gateway", "compute"]
RouteTarget = Literal["igw", "nat"]
PHASES: tuple[str, ...] = ("network", "bastion", "talos", "cozystack")


@dataclass(frozen=True)
class Subnet:
    """One subnet: CIDR, zone, and where its default routes go."""

    name: str
    cidr: str
    az: str
    ipv6: bool = False
    map_public_ipv4: bool = False
    default_route: RouteTarget | None = None
    ipv6_default_route: Literal["igw"] | None = None

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)


@dataclass(frozen=True)
class Schedule:
    """Scheduled start/stop (UTC cron) for an ASG bastion."""

    start: str
    stop: str
    hours_per_day: float


@dataclass(frozen=True)
class Bastion:
    """The bastion host: fixed private IP on its own ENI, and what it runs."""

    subnet: str
    private_ip: str
    instance_type: str = "t4g.small"
    mode: Literal["instance", "asg"] = "instance"
    schedule: Schedule | None = None
    root_volume_gb: int = 30
    ipv6: bool = True
    public_ipv4: bool = False
    nat_for_nodes: bool = False
    netboot_services: bool = False
    ssh_user: str = "ec2-user"


@dataclass(frozen=True)
class Node:
    """One Talos node: fixed IP, role and the image its role boots."""

    name: str
    private_ip: str
    role: Role
    instance_type: str
    image: str
    root_volume_gb: int
    data_volume_gb: int = 0


@dataclass(frozen=True)
class Access:
    """Who may reach the lab from outside: the operator's home IPv6 only."""

    home_ipv6: str | None = None
    allow_prefix64: bool = False
    home_api_access: bool = False


@dataclass(frozen=True)
class Existing:
    """How --existing finds infrastructure built by something else (the profile's existing: section).

    names maps a plan key (as provisioning/phases/* name it) to the Name tag, group, ASG or
    role name, or the id the other tool gave that resource; keys in optional may be absent.
    What the design leaves to whoever builds the lab, as that builder does it (None or empty:
    the suite's own choice in provisioning/data/bastion.yaml): iam_path, the path of the
    bastion's role and profile; iam_policies, the managed policy ARNs its role may carry;
    images, the image-name patterns (fnmatch) the bastion may boot.
    """

    names: dict[str, str] = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    iam_path: str | None = None
    iam_policies: tuple[str, ...] = ()
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topology:
    """A whole lab: network, bastion, nodes, access, tags and money rules."""

    name: str
    description: str
    region: str
    vpc_cidr: str
    vpc_ipv6: bool
    subnets: tuple[Subnet, ...]
    internet_gateway: bool
    nat_gateway_subnet: str | None
    dhcp_dns: tuple[str, ...]
    bastion: Bastion
    nodes: tuple[Node, ...]
    node_subnet: str
    node_architecture: str
    boot_method: Literal["boot-to-talos", "pxe"]
    access: Access
    tags: dict[str, str] = field(default_factory=dict)
    hours_per_day: float = 5.0
    days_per_month: int = 30
    budget_usd_per_month: float | None = None
    allow_more_nodes: bool = False
    account_allowlist: tuple[str, ...] = ()
    existing: Existing = field(default_factory=Existing)
    cpu_credits: str = "standard"
    cpu_average_percent: float = 100.0
    source: str = "<memory>"

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise ProfileError(self.source, problems)

    def subnet(self, name: str) -> Subnet:
        """Return the subnet called name (validated to exist)."""
        for s in self.subnets:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def static_ips(self) -> dict[str, str]:
        """Every fixed private IP by the field that sets it."""
        ips = {"bastion.private_ip": self.bastion.private_ip}
        for i, n in enumerate(self.nodes):
            ips[f"nodes[{i}].private_ip"] = n.private_ip
        return ips


def _reserved(net: ipaddress.IPv4Network) -> set[ipaddress.IPv4Address]:
    base = int(net.network_address)
    return {ipaddress.IPv4Address(base + i) for i in range(4)} | {net.broadcast_address}


def _check_network(t: Topology, out: list[Problem]) -> None:
    try:
        vpc = ipaddress.IPv4Network(t.vpc_cidr)
    except ValueError as exc:
        out.append(Problem("vpc.cidr", t.vpc_cidr, f"not an IPv4 network: {exc}"))
        return
    if not 16 <= vpc.prefixlen <= 28:
        out.append(Problem("vpc.cidr", t.vpc_cidr, "a VPC CIDR must be between /16 and /28"))
    regions = load_data("regions")["regions"]
    if t.region not in regions:
        out.append(Problem("region", t.region, f"unknown region; known: {sorted(regions)}"))
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    names = set()
    for i, s in enumerate(t.subnets):
        where = f"subnets[{i}]"
        if s.name in names:
            out.append(Problem(f"{where}.name", s.name, "subnet names must be unique"))
        names.add(s.name)
        try:
            net = ipaddress.IPv4Network(s.cidr)
        except ValueError as exc:
            out.append(Problem(f"{where}.cidr", s.cidr, f"not an IPv4 network: {exc}"))
            continue
        if not net.subnet_of(vpc):
            out.append(Problem(f"{where}.cidr", s.cidr, f"must lie inside the VPC {t.vpc_cidr}"))
        for other_name, other in seen:
            if net.overlaps(other):
                out.append(Problem(f"{where}.cidr", s.cidr, f"overlaps subnet {other_name} ({other})"))
        seen.append((s.name, net))
        if t.region in regions and s.az not in regions[t.region]:
            out.append(Problem(f"{where}.az", s.az, f"not a zone of {t.region}: {regions[t.region]}"))
        if s.ipv6 and not t.vpc_ipv6:
            out.append(Problem(f"{where}.ipv6", True, "an IPv6 subnet needs vpc.ipv6: true"))
        if s.ipv6_default_route and not s.ipv6:
            out.append(Problem(f"{where}.ipv6_default_route", "igw", "needs ipv6: true on the subnet"))
        if "igw" in (s.default_route, s.ipv6_default_route) and not t.internet_gateway:
            out.append(Problem(f"{where}.default_route", "igw", "needs internet_gateway: true"))
        if s.default_route == "nat" and t.nat_gateway_subnet is None:
            out.append(Problem(f"{where}.default_route", "nat", "needs nat_gateway.subnet"))
    if t.nat_gateway_subnet is not None:
        if t.nat_gateway_subnet not in names:
            out.append(Problem("nat_gateway.subnet", t.nat_gateway_subnet, "no such subnet"))
        elif t.subnet(t.nat_gateway_subnet).default_route != "igw":
            out.append(Problem("nat_gateway.subnet", t.nat_gateway_subnet,
                               "a NAT gateway must sit in a subnet whose default route is the IGW"))


def _check_ips(t: Topology, out: list[Problem]) -> None:
    names = {s.name for s in t.subnets}
    placed = [("bastion", t.bastion.subnet, t.bastion.private_ip)]
    placed += [(f"nodes[{i}]", t.node_subnet, n.private_ip) for i, n in enumerate(t.nodes)]
    owners: dict[str, str] = {}
    for where, subnet_name, ip in placed:
        fld = f"{where}.private_ip"
        if subnet_name not in names:
            out.append(Problem(f"{where}.subnet", subnet_name, f"no such subnet; known: {sorted(names)}"))
            continue
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError as exc:
            out.append(Problem(fld, ip, f"not an IPv4 address: {exc}"))
            continue
        net = t.subnet(subnet_name).network
        if addr not in net:
            out.append(Problem(fld, ip, f"must lie inside subnet {subnet_name} ({net})"))
        elif addr in _reserved(net):
            out.append(Problem(fld, ip, f"AWS reserves the first four and the last address of {net}"))
        if ip in owners:
            out.append(Problem(fld, ip, f"already used by {owners[ip]}"))
        owners[ip] = fld
    for dns in t.dhcp_dns:
        if dns != "AmazonProvidedDNS":
            try:
                ipaddress.IPv4Address(dns)
            except ValueError:
                out.append(Problem("dhcp_options.domain_name_servers", dns, "not an IPv4 address"))


def _check_access(t: Topology, out: list[Problem]) -> None:
    home = t.access.home_ipv6
    if home is None:
        return
    try:
        net = ipaddress.IPv6Network(home, strict=True)
    except ValueError as exc:
        out.append(Problem("access.home_ipv6", home, f"not an IPv6 network in CIDR form: {exc}"))
        return
    allowed = {128, 64} if t.access.allow_prefix64 else {128}
    if net.prefixlen not in allowed:
        rule = "must be a /128 (or a /64 with allow_prefix64: true)" if not t.access.allow_prefix64 \
            else "must be a /128 or a /64"
        out.append(Problem("access.home_ipv6", home, rule))
    if not net.is_global and not net.subnet_of(ipaddress.IPv6Network("2001:db8::/32")):
        out.append(Problem("access.home_ipv6", home, "must be a global unicast address"))


def _check_nodes(t: Topology, out: list[Problem]) -> None:
    types = load_data("instance_types")["types"]
    if not 1 <= len(t.nodes) <= 3 and not t.allow_more_nodes:
        out.append(Problem("nodes", len(t.nodes), "1 to 3 nodes (set allow_more_nodes: true for more)"))
    if len(t.nodes) < 1:
        out.append(Problem("nodes", 0, "at least one node is needed"))
    names = set()
    for i, n in enumerate(t.nodes):
        if n.name in names:
            out.append(Problem(f"nodes[{i}].name", n.name, "node names must be unique"))
        names.add(n.name)
        info = types.get(n.instance_type)
        if info is None:
            out.append(Problem(f"nodes[{i}].instance_type", n.instance_type,
                               f"unknown instance type; known: {sorted(types)}"))
        elif info["architecture"] != t.node_architecture:
            out.append(Problem(f"nodes[{i}].instance_type", n.instance_type,
                               f"is {info['architecture']} but the node image is {t.node_architecture}"))
        if n.root_volume_gb < 10:
            out.append(Problem(f"nodes[{i}].root_volume_gb", n.root_volume_gb, "Talos needs at least 10 GB"))
    gateways = [n.name for n in t.nodes if n.role == "gateway"]
    if len(gateways) != 1:
        out.append(Problem("nodes[].role", gateways, "exactly one node must have role gateway"))
    if t.bastion.instance_type not in types:
        out.append(Problem("bastion.instance_type", t.bastion.instance_type, "unknown instance type"))
    elif types[t.bastion.instance_type]["architecture"] != "arm64":
        out.append(Problem("bastion.instance_type", t.bastion.instance_type,
                           "the bastion runs Amazon Linux 2023 arm64"))
    if t.bastion.mode == "asg" and t.bastion.schedule is None:
        out.append(Problem("bastion.schedule", None, "an ASG bastion needs a start/stop schedule"))


def validate(t: Topology) -> list[Problem]:
    """Return every rule the topology breaks (empty when it is sound)."""
    out: list[Problem] = []
    _check_network(t, out)
    _check_ips(t, out)
    _check_access(t, out)
    _check_nodes(t, out)
    if t.cpu_credits not in ("standard", "unlimited"):
        out.append(Problem("burstable.cpu_credits", t.cpu_credits,
                           "standard or unlimited (unlimited bills surplus CPU credits per vCPU-hour)"))
    if isinstance(t.cpu_average_percent, bool) or not isinstance(t.cpu_average_percent, int | float) \
            or not 0 <= t.cpu_average_percent <= 100:
        out.append(Problem("burstable.average_cpu_percent", t.cpu_average_percent,
                           "a number from 0 to 100: the sustained CPU the estimate prices surplus credits for"))
    return out
