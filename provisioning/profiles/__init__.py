"""Profile loading: YAML files here (or any path) become a validated Topology."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import yaml

from provisioning.errors import Problem, ProfileError
from provisioning.topology import Access, Bastion, Existing, Node, Schedule, Subnet, Topology

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


def _take(raw: dict[str, Any], where: str, allowed: set[str], problems: list[Problem]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(Problem(where, raw, "must be a mapping"))
        return {}
    for key in sorted(set(raw) - allowed):
        problems.append(Problem(f"{where}.{key}" if where else key, raw[key],
                                f"unknown key; allowed: {sorted(allowed)}"))
    return {k: v for k, v in raw.items() if k in allowed}


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def parse(raw: dict[str, Any], source: str) -> Topology:
    """Build a Topology from a profile mapping; every problem is reported at once."""
    problems: list[Problem] = []
    top_keys = {"name", "description", "region", "vpc", "subnets", "internet_gateway", "nat_gateway",
                "dhcp_options", "bastion", "nodes", "access", "tags", "usage", "budget", "accounts", "existing",
                "burstable"}
    top = _take(raw, "", top_keys, problems)
    vpc = _take(top.get("vpc", {}), "vpc", {"cidr", "ipv6"}, problems)
    subnets = tuple(Subnet(**_take(s, f"subnets[{i}]", _names(Subnet), problems))
                    for i, s in enumerate(top.get("subnets", [])))
    b = _take(top.get("bastion", {}), "bastion", _names(Bastion), problems)
    if b.get("schedule") is not None:
        b["schedule"] = Schedule(**_take(b["schedule"], "bastion.schedule", _names(Schedule), problems))
    nodes_raw = _take(top.get("nodes", {}), "nodes",
                      {"subnet", "instance_type", "root_volume_gb", "data_volume_gb", "architecture",
                       "boot", "images", "members", "allow_more"}, problems)
    images = nodes_raw.get("images", {})
    members = []
    for i, m in enumerate(nodes_raw.get("members", [])):
        m = _take(m, f"nodes.members[{i}]", {"name", "private_ip", "role", "instance_type",
                                            "root_volume_gb", "data_volume_gb"}, problems)
        role = m.get("role", "compute")
        if role not in ("gateway", "compute"):
            problems.append(Problem(f"nodes.members[{i}].role", role, "must be gateway or compute"))
            continue
        if role not in images:
            problems.append(Problem("nodes.images", sorted(images), f"no image for role {role}"))
            continue
        members.append(Node(name=m.get("name", f"node-{i + 1}"), private_ip=m.get("private_ip", ""),
                            role=role, image=images[role],
                            instance_type=m.get("instance_type", nodes_raw.get("instance_type", "")),
                            root_volume_gb=int(m.get("root_volume_gb", nodes_raw.get("root_volume_gb", 0))),
                            data_volume_gb=int(m.get("data_volume_gb", nodes_raw.get("data_volume_gb", 0)))))
    access = Access(**_take(top.get("access", {}), "access", _names(Access), problems))
    usage = _take(top.get("usage", {}), "usage", {"hours_per_day", "days_per_month"}, problems)
    accounts = _take(top.get("accounts") or {}, "accounts", {"allowlist"}, problems)
    allowlist = accounts.get("allowlist") or []
    if not isinstance(allowlist, list):
        problems.append(Problem("accounts.allowlist", allowlist, "must be a list of quoted 12-digit account ids"))
        allowlist = []
    existing = _existing(top.get("existing") or {}, problems)
    burstable = _take(top.get("burstable") or {}, "burstable", {"cpu_credits", "average_cpu_percent"}, problems)
    nat = top.get("nat_gateway") or {}
    dhcp = top.get("dhcp_options") or {}
    boot = nodes_raw.get("boot", "boot-to-talos")
    if boot not in ("boot-to-talos", "pxe"):
        problems.append(Problem("nodes.boot", boot, "must be boot-to-talos or pxe"))
    if problems:
        raise ProfileError(source, problems)
    return Topology(
        name=top.get("name", Path(source).stem), description=top.get("description", ""),
        region=top.get("region", ""), vpc_cidr=vpc.get("cidr", ""), vpc_ipv6=bool(vpc.get("ipv6", False)),
        subnets=subnets, internet_gateway=bool(top.get("internet_gateway", False)),
        nat_gateway_subnet=nat.get("subnet"), dhcp_dns=tuple(dhcp.get("domain_name_servers", ())),
        bastion=Bastion(**b), nodes=tuple(members), node_subnet=nodes_raw.get("subnet", ""),
        node_architecture=nodes_raw.get("architecture", "arm64"), boot_method=boot, access=access,
        tags={str(k): str(v) for k, v in (top.get("tags") or {}).items()},
        hours_per_day=float(usage.get("hours_per_day", 5)), days_per_month=int(usage.get("days_per_month", 30)),
        budget_usd_per_month=(top.get("budget") or {}).get("usd_per_month"),
        allow_more_nodes=bool(nodes_raw.get("allow_more", False)),
        account_allowlist=tuple(str(a) for a in allowlist), existing=existing,
        cpu_credits=burstable.get("cpu_credits", "standard"),
        cpu_average_percent=burstable.get("average_cpu_percent", 100.0), source=source,
    )


def _existing(raw: Any, problems: list[Problem]) -> Existing:
    """Parse the existing: section (plan key -> name or id; optional keys)."""
    ex = _take(raw, "existing", {"names", "optional"}, problems)
    names = ex.get("names") or {}
    optional = ex.get("optional") or []
    if not isinstance(names, dict):
        problems.append(Problem("existing.names", names, "must map plan keys to names or ids"))
        names = {}
    for key, value in names.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(f"existing.names.{key}", value, "must be a Name tag, group name or id"))
    if not isinstance(optional, list) or not all(isinstance(k, str) for k in optional):
        problems.append(Problem("existing.optional", optional, "must be a list of plan keys"))
        optional = []
    return Existing(names={str(k): str(v) for k, v in names.items()}, optional=tuple(optional))


def load(name_or_path: str = DEFAULT_PROFILE, **overrides: Any) -> Topology:
    """Load and validate a profile; overrides replace top-level fields (validated again)."""
    path = resolve(name_or_path)
    with path.open(encoding="utf-8") as fh:
        try:
            raw = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise ProfileError(str(path), [Problem("<file>", str(path), f"not valid YAML: {exc}")]) from exc
    topo = parse(raw or {}, source=path.name)
    return replace(topo, **overrides) if overrides else topo


def with_home_ipv6(topo: Topology, home: str | None) -> Topology:
    """Return topo with the operator's home address set (validated)."""
    if home is None:
        return topo
    return replace(topo, access=replace(topo.access, home_ipv6=home))

