"""Profile loading: YAML files here (or any path) become a validated Topology."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal

from provisioning.errors import Problem, ProfileError
from provisioning.profiles.schema import ABSENT, PROFILE, Reader, read_yaml
from provisioning.topology import Access, Bastion, Existing, Node, Subnet, Topology

PROFILE_DIR = Path(__file__).resolve().parent
DEFAULT_PROFILE = "approved"


def available() -> list[str]:
    """Names of the bundled profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def resolve(name_or_path: str) -> Path:
    """Turn a profile name or a path into an existing file, or raise ProfileError."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} and path.is_file():
        return path
    bundled = PROFILE_DIR / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    raise ProfileError(name_or_path, [Problem("--profile", name_or_path,
                                              f"no such profile file; bundled profiles: {available()}")])


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


TOP_KEYS = {"name", "description", "region", "vpc", "subnets", "internet_gateway", "nat_gateway", "dhcp_options",
            "bastion", "nodes", "access", "tags", "usage", "budget", "accounts", "existing", "burstable"}
NODE_KEYS = {"subnet", "instance_type", "root_volume_gb", "data_volume_gb", "architecture", "boot", "images",
             "members", "generate", "allow_more"}
GENERATE_KEYS = {"count", "first_ip", "name_prefix"}
MEMBER_KEYS = {"name", "private_ip", "role", "instance_type", "root_volume_gb", "data_volume_gb"}
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def parse(raw: Any, source: str) -> Topology:
    """Build a Topology from a profile mapping; every problem (type, missing, unknown, limit) is reported at once."""
    r = Reader()
    top = r.section(raw, "", TOP_KEYS, required=("region", "vpc", "subnets", "bastion", "nodes"))
    if not isinstance(raw, dict):
        raise ProfileError(source, r.problems)
    vpc = r.section(top.get("vpc"), "vpc", {"cidr", "ipv6"})
    subnets_raw = r.value(top, "subnets", "", list, [])
    subnets = tuple(s for s in (r.dataclass(Subnet, raw_s, f"subnets[{i}]")
                                for i, raw_s in enumerate(subnets_raw if isinstance(subnets_raw, list) else []))
                    if s is not None)
    bastion = r.dataclass(Bastion, top.get("bastion"), "bastion") if "bastion" in top else None
    nodes_raw = r.section(top.get("nodes"), "nodes", NODE_KEYS)
    members = _members(r, nodes_raw)
    usage = r.section(top.get("usage"), "usage", {"hours_per_day", "days_per_month"})
    budget = r.section(top.get("budget"), "budget", {"usd_per_month"})
    accounts = r.section(top.get("accounts"), "accounts", {"allowlist"})
    allowlist = r.value(accounts, "allowlist", "accounts", tuple[str, ...], ())
    for i, acct in enumerate(allowlist):
        if acct and not ACCOUNT_ID.match(acct):
            r.bad(f"accounts.allowlist[{i}]", acct, "an account id is 12 digits, quoted in YAML")
    nat = r.section(top.get("nat_gateway"), "nat_gateway", {"subnet"})
    dhcp = r.section(top.get("dhcp_options"), "dhcp_options", {"domain_name_servers"})
    burstable = r.section(top.get("burstable"), "burstable", {"cpu_credits", "average_cpu_percent"})
    topo_kwargs = dict(
        name=r.value(top, "name", "", str, Path(source).stem), description=r.value(top, "description", "", str, ""),
        region=r.value(top, "region", "", str) if "region" in top else "", vpc_cidr=r.value(vpc, "cidr", "vpc", str),
        vpc_ipv6=r.value(vpc, "ipv6", "vpc", bool, False), subnets=subnets,
        internet_gateway=r.value(top, "internet_gateway", "", bool, False),
        nat_gateway_subnet=r.value(nat, "subnet", "nat_gateway", str | None, None),
        dhcp_dns=r.value(dhcp, "domain_name_servers", "dhcp_options", tuple[str, ...], ()),
        bastion=bastion, nodes=members,
        node_subnet=r.value(nodes_raw, "subnet", "nodes", str, "" if not nodes_raw else ABSENT),
        node_architecture=r.value(nodes_raw, "architecture", "nodes", Literal["arm64", "x86_64"], "arm64"),
        boot_method=r.value(nodes_raw, "boot", "nodes", Literal["boot-to-talos", "pxe"], "boot-to-talos"),
        access=r.dataclass(Access, top.get("access") or {}, "access"),
        tags=r.tags(top.get("tags") or {}, "tags"),
        hours_per_day=r.number(usage, "hours_per_day", "usage", 5.0, 0.5, 24),
        days_per_month=r.number(usage, "days_per_month", "usage", 30, 1, 31, hint=int),
        budget_usd_per_month=r.number(budget, "usd_per_month", "budget", None, 0, 1e6, hint=float | None),
        allow_more_nodes=r.value(nodes_raw, "allow_more", "nodes", bool, False),
        account_allowlist=allowlist, existing=_existing(r, top.get("existing") or {}),
        cpu_credits=r.value(burstable, "cpu_credits", "burstable", Literal["standard", "unlimited"], "standard"),
        cpu_average_percent=r.number(burstable, "average_cpu_percent", "burstable", 100.0, 0, 100),
        source=source)
    if r.problems or bastion is None:
        raise ProfileError(source, r.problems)
    access = topo_kwargs["access"]
    if isinstance(access, Access):  # allow_prefix64 admits the /64 around a /128 home
        topo_kwargs["access"] = replace(access, home_ipv6=admitted_home(access.home_ipv6, access.allow_prefix64))
    return Topology(**topo_kwargs)


def _members(r: Reader, nodes_raw: dict[str, Any]) -> tuple[Node, ...]:
    """The nodes.members list, each member typed, with the nodes-level defaults applied."""
    images = r.value(nodes_raw, "images", "nodes", dict, {})
    if isinstance(images, dict):
        images = r.section(images, "nodes.images", {"gateway", "compute"})
        for role, image in images.items():
            r.check(image, f"nodes.images.{role}", str)
    raw_members = r.value(nodes_raw, "members", "nodes", list, []) if nodes_raw else []
    if nodes_raw and "generate" in nodes_raw:
        if raw_members:
            r.bad("nodes.generate", "with nodes.members", "give the members or generate them, not both")
        raw_members = generated_members(r, nodes_raw["generate"])
    if not isinstance(raw_members, list) or len(raw_members) > PROFILE["max_list_items"]:
        if isinstance(raw_members, list):
            r.bad("nodes.members", f"{len(raw_members)} items", f"at most {PROFILE['max_list_items']} nodes")
        return ()
    default_type = r.value(nodes_raw, "instance_type", "nodes", str, "")
    default_root = r.value(nodes_raw, "root_volume_gb", "nodes", int, 0)
    default_data = r.value(nodes_raw, "data_volume_gb", "nodes", int, 0)
    members = []
    for i, raw_m in enumerate(raw_members):
        where = f"nodes.members[{i}]"
        m = r.section(raw_m, where, MEMBER_KEYS, required=("private_ip",))
        if not isinstance(raw_m, dict):
            continue
        role = r.value(m, "role", where, Literal["gateway", "compute"], "compute")
        image = images.get(role) if isinstance(images, dict) else None
        if not isinstance(image, str):
            r.bad("nodes.images", sorted(images) if isinstance(images, dict) else images, f"no image for role {role}")
            continue
        node_type = r.value(m, "instance_type", where, str, default_type)
        if not node_type:
            r.bad(f"{where}.instance_type", None, "required (here or as nodes.instance_type)")
        members.append(Node(name=r.value(m, "name", where, str, f"node-{i + 1}"),
                            private_ip=r.value(m, "private_ip", where, str, ""), role=role, image=image,
                            instance_type=node_type,
                            root_volume_gb=r.number(m, "root_volume_gb", where, default_root, 0, 16384, int),
                            data_volume_gb=r.number(m, "data_volume_gb", where, default_data, 0, 16384, int)))
    return tuple(members)


def generated_members(r: Reader, raw: Any) -> list[dict[str, Any]]:
    """Members for nodes.generate {count, first_ip, name_prefix}: consecutive addresses, the first the gateway.

    Node i (from 1) is named <name_prefix><i> at first_ip + i - 1; the topology's own rules (inside
    the node subnet, not reserved, not the bastion's) then apply to every generated address.
    """
    g = r.section(raw, "nodes.generate", GENERATE_KEYS, required=("count", "first_ip"))
    count = r.number(g, "count", "nodes.generate", None, 1, PROFILE["max_list_items"], int)
    first = r.value(g, "first_ip", "nodes.generate", str, "")
    prefix = r.value(g, "name_prefix", "nodes.generate", str, "node-")
    try:
        start = ipaddress.IPv4Address(first)
    except ValueError:
        if first:
            r.bad("nodes.generate.first_ip", first, "an IPv4 address (node i gets first_ip + i - 1)")
        return []
    if not isinstance(count, int) or not 1 <= count <= PROFILE["max_list_items"]:
        return []
    if int(start) + count - 1 > int(ipaddress.IPv4Address("255.255.255.255")):
        r.bad("nodes.generate", f"{count} from {first}", "runs past 255.255.255.255")
        return []
    return [{"name": f"{prefix}{i}", "private_ip": str(start + i - 1), "role": "gateway" if i == 1 else "compute"}
            for i in range(1, count + 1)]


def _existing(r: Reader, raw: Any) -> Existing:
    """Parse the existing: section (plan key -> name or id; optional keys)."""
    ex = r.section(raw, "existing", {"names", "optional", "iam_path", "iam_policies", "images"})
    names = r.value(ex, "names", "existing", dict, {}) or {}
    if not isinstance(names, dict):
        r.bad("existing.names", names, "must map plan keys to names or ids")
        names = {}
    for key, value in names.items():
        if not isinstance(value, str) or not value.strip():
            r.bad(f"existing.names.{key}", value, "must be a Name tag, group name or id")
    optional = r.value(ex, "optional", "existing", tuple[str, ...], ())
    iam_path = r.value(ex, "iam_path", "existing", str, None)
    if iam_path is not None and not (iam_path.startswith("/") and iam_path.endswith("/")):
        r.bad("existing.iam_path", iam_path, "an IAM path starts and ends with '/'")
    return Existing(names={str(k): str(v) for k, v in names.items()}, optional=optional, iam_path=iam_path,
                    iam_policies=r.value(ex, "iam_policies", "existing", tuple[str, ...], ()),
                    images=r.value(ex, "images", "existing", tuple[str, ...], ()))


def load(name_or_path: str = DEFAULT_PROFILE, **overrides: Any) -> Topology:
    """Load and validate a profile; overrides replace top-level fields (validated again)."""
    path = resolve(name_or_path)
    problems: list[Problem] = []
    raw = read_yaml(path, problems)
    if problems:
        raise ProfileError(path.name, problems)
    topo = parse(raw, source=path.name)
    return replace(topo, **overrides) if overrides else topo


def admitted_home(home: str | None, prefix64: bool) -> str | None:
    """The network SSH admits: with prefix64, a /128 widens to its /64 (desktops use temporary addresses in it)."""
    if not (home and prefix64):
        return home
    try:
        net = ipaddress.IPv6Network(home, strict=True)
    except ValueError:
        return home  # validation names it
    return str(net.supernet(new_prefix=64)) if net.prefixlen == 128 else home


def with_home_ipv6(topo: Topology, home: str | None, *, prefix64: bool | None = None) -> Topology:
    """Return topo with the operator's home address set and, if prefix64 is given, the /64 choice (validated)."""
    if home is None and prefix64 is None:
        return topo
    allow = topo.access.allow_prefix64 if prefix64 is None else prefix64
    value = home if home is not None else topo.access.home_ipv6
    return replace(topo, access=replace(topo.access, home_ipv6=admitted_home(value, allow), allow_prefix64=allow))

