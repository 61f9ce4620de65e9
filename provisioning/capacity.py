"""Capacity verdict: does a lab's node list meet CozyStack's and Talos' minimums?

Pure: the inputs are the nodes (types, volumes, count), optional live instance-type facts and an
optional price lookup; the minimums come from data/cozystack.yaml, data/talos_limits.yaml and
data/instance_types.yaml. The verdict predicts which phase-04 checks must fail, so the suite can
mark those as expected failures instead of discovering them after an hour of waiting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioning.data import DATA_DIR, load_data
from provisioning.platform_fit import kubevirt_fit, model_outcome, releases_fit, spin_fit
from provisioning.topology import Node, Topology

PriceLookup = Callable[[str], float | None]

# Which verdict rules predict the failure of which named check (names as in provisioning.kube.checks).
# The documented minimum (node_count, cores/ram_per_node) is the hardware table; whether releases come up is
# the cluster model's answer over the profile's nodes (provisioning.platform_fit): separate predictions.
PREDICTORS: dict[str, tuple[str, ...]] = {
    "helmreleases_ready": ("platform_requests",),
    # spin-operator needs cert-manager, which CozyStack installs, and room for its pod.
    "spinapps_ready": ("spin_operator",),
    "node_capacity": ("ram_per_node", "cores_per_node", "node_count"),
    "kvm": ("kvm",),
    "kubevirt_deployed": ("kubevirt_runs",),
    "nodes_ready": ("talos_controlplane", "talos_worker"),
}
WEBSITE = "cozystack/website docs/v0/install hardware-requirements.md"


@dataclass(frozen=True)
class InstanceInfo:
    """What the verdict needs about an instance type (from describe_instance_types or the data file)."""

    vcpu: int
    memory_mib: int
    architecture: str
    kvm: bool

    @classmethod
    def from_describe(cls, item: Mapping[str, Any]) -> InstanceInfo:
        """Build from one InstanceTypes[] entry; KVM is assumed only on bare metal (BareMetal: true)."""
        archs = item.get("ProcessorInfo", {}).get("SupportedArchitectures", ["unknown"])
        return cls(vcpu=int(item["VCpuInfo"]["DefaultVCpus"]), memory_mib=int(item["MemoryInfo"]["SizeInMiB"]),
                   architecture=str(archs[0]), kvm=bool(item.get("BareMetal", False)))


@dataclass(frozen=True)
class Requirement:
    """One rule of the verdict: what was measured, what is required, and where the rule comes from."""

    name: str
    met: bool
    measured: str
    required: str
    source: str
    problem: str = ""
    verified: bool = True
    blockers: tuple[str, ...] = ()  # what the rule says will fail first (the model's root blockers)

    @property
    def line(self) -> str:
        state = "met" if self.met else "NOT met"
        caveat = "" if self.verified else " (unverified)"
        return f"{self.name}: {state}{caveat}: measured {self.measured}, required {self.required} [{self.source}]"


@dataclass(frozen=True)
class Verdict:
    """Every rule's outcome plus the advice lines (RECOMMENDED / ALSO / ALTERNATIVE)."""

    requirements: tuple[Requirement, ...]
    advice: tuple[str, ...]

    @property
    def met(self) -> bool:
        return all(r.met for r in self.requirements)

    @property
    def unmet(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if not r.met)

    @property
    def recommendation(self) -> str | None:
        return next((a for a in self.advice if a.startswith("RECOMMENDED:")), None)

    def requirement(self, name: str) -> Requirement:
        """Return the rule called name (KeyError names the known rules)."""
        for r in self.requirements:
            if r.name == name:
                return r
        raise KeyError(f"{name}; known: {[r.name for r in self.requirements]}")

    def predicted_blockers(self, check_name: str) -> frozenset[str]:
        """The root blockers the unmet rules predicting check_name name (empty when they name none)."""
        unmet = {r.name: r for r in self.unmet}
        return frozenset(b for rule in PREDICTORS.get(check_name, ()) if rule in unmet for b in unmet[rule].blockers)

    def predicts(self, check_name: str) -> str | None:
        """Return the verdict line that predicts check_name will fail, or None when nothing does."""
        by_name = {r.name: r for r in self.requirements}
        for rule in PREDICTORS.get(check_name, ()):
            req = by_name.get(rule)
            if req is not None and not req.met:
                return req.problem
        return None


def _gib(mib: float) -> str:
    return f"{mib / 1024:g} GiB"


def _cores(n: int) -> str:
    return f"{n} core" if n == 1 else f"{n} cores"


def _families(types: Sequence[str]) -> str:
    return "/".join(sorted({t.split(".")[0] for t in types}))


def instance_catalog(live: Mapping[str, InstanceInfo] | None = None) -> dict[str, InstanceInfo]:
    """Merge data/instance_types.yaml with live facts (live wins)."""
    catalog = {name: InstanceInfo(vcpu=int(t["vcpu"]), memory_mib=int(t["memory_mib"]),
                                  architecture=str(t["architecture"]), kvm=bool(t["kvm"]))
               for name, t in load_data("instance_types")["types"].items()}
    catalog.update(live or {})
    return catalog


def price_lookup(region: str, injected: PriceLookup | None = None) -> PriceLookup:
    """Return a lookup: injected first, then data/prices.yaml (prices.<region>.instances.<type>.usd_per_hour)."""
    table: dict[str, Any] = {}
    if (DATA_DIR / "prices.yaml").is_file():
        table = (load_data("prices").get("prices") or {}).get(region, {}).get("instances") or {}

    def lookup(instance_type: str) -> float | None:
        value = injected(instance_type) if injected else None
        if value is None:
            entry = table.get(instance_type)
            value = entry.get("usd_per_hour") if isinstance(entry, Mapping) else None
        return float(value) if value is not None else None

    return lookup


def _cozystack_rules(nodes: Sequence[Node], info: Mapping[str, InstanceInfo],
                     attached: Mapping[str, int] | None = None) -> list[Requirement]:
    data = load_data("cozystack")
    low, archs = data["minimum"], data["architectures"]
    out = []
    out.append(Requirement("node_count", len(nodes) >= low["nodes"], f"{len(nodes)} nodes", f"{low['nodes']} nodes",
                           WEBSITE, f"too few nodes ({low['nodes']} needed, {len(nodes)} available)"))
    cpu_node = min(nodes, key=lambda n: info[n.instance_type].vcpu)
    cores = info[cpu_node.instance_type].vcpu
    out.append(Requirement("cores_per_node", cores >= low["cores"], f"{cores} vCPU ({cpu_node.instance_type})",
                           f"{low['cores']} cores", WEBSITE,
                           f"insufficient CPU ({low['cores']} cores needed, {cores} available)"))
    ram_node = min(nodes, key=lambda n: info[n.instance_type].memory_mib)
    ram = info[ram_node.instance_type].memory_mib
    need = low["memory_gib"] * 1024
    out.append(Requirement("ram_per_node", ram >= need, f"{_gib(ram)} ({ram_node.instance_type})",
                           f"{_gib(need)}", WEBSITE,
                           f"insufficient RAM ({_gib(need)} needed, {_gib(ram)} available)"))
    root = min(n.root_volume_gb for n in nodes)
    out.append(Requirement("system_disk", root >= low["system_disk_gb"], f"{root} GB", f"{low['system_disk_gb']} GB",
                           WEBSITE, f"system disk too small ({low['system_disk_gb']} GB needed, {root} GB available)"))
    # What EC2 says is attached once the nodes exist (a reused run), else what the profile asks for.
    data_gb = min(attached.get(n.name, 0) if attached is not None else n.data_volume_gb for n in nodes)
    missing = "none attached" if data_gb == 0 else f"{data_gb} GB attached"
    where = " attached (read from EC2)" if attached is not None else " (profile)"
    out.append(Requirement("data_disk", data_gb >= low["data_disk_gb"], f"{data_gb} GB{where}",
                           f"{low['data_disk_gb']} GB raw", WEBSITE,
                           f"no usable data disk ({low['data_disk_gb']} GB raw disk needed per node, {missing}); "
                           f"LINSTOR has no storage pool"))
    node_archs = sorted({info[n.instance_type].architecture for n in nodes})
    known = [archs.get(a) for a in node_archs]
    arch_ok = all(k is not None for k in known)
    arch_verified = arch_ok and all(bool(k and k.get("verified")) for k in known)
    status = ", ".join(f"{a} ({k['status'] if k else 'not supported'})" for a, k in zip(node_archs, known, strict=True))
    out.append(Requirement("architecture", arch_ok, status, f"one of {sorted(archs)}",
                           "cozystack/website v0 docs (x86_64); v0.31 changelog (arm64 beta)",
                           f"{status}; CozyStack documents x86_64 only", verified=arch_verified))
    roles = {role: spec["machine_type"] for role, spec in load_data("talos_limits")["roles"].items()}
    outcome = model_outcome(nodes, lambda n: (info[n.instance_type].vcpu, info[n.instance_type].memory_mib), roles)
    for name, fit in (("platform_requests", releases_fit(outcome)), ("spin_operator", spin_fit(outcome)),
                      ("kubevirt_runs", kubevirt_fit(outcome))):
        out.append(Requirement(name, fit.met, fit.measured, fit.required, fit.source, fit.problem,
                               blockers=fit.blockers))
    no_kvm = [n.instance_type for n in nodes if not info[n.instance_type].kvm]
    out.append(Requirement("kvm", not no_kvm, "no /dev/kvm" if no_kvm else "/dev/kvm on every node",
                           "/dev/kvm on every node", "AWS EC2 User Guide, nested virtualization; kubevirt "
                           "docs/software-emulation.md",
                           f"no /dev/kvm on {_families(no_kvm)}; KubeVirt VMs cannot run; "
                           f"needs a .metal or nested-virt family"))
    return out


def _talos_rules(nodes: Sequence[Node], info: Mapping[str, InstanceInfo]) -> list[Requirement]:
    talos = load_data("talos_limits")
    limits, roles = talos["documented_minimum"], talos["roles"]
    out = []
    for machine in ("controlplane", "worker"):
        members = [n for n in nodes if roles.get(n.role, {}).get("machine_type") == machine]
        if not members:
            continue
        low = limits[machine]
        short = [n for n in members if info[n.instance_type].memory_mib < low["memory_mib"]
                 or info[n.instance_type].vcpu < low["cores"] or n.root_volume_gb < low["disk_gb"]]
        worst = short[0] if short else members[0]
        w = info[worst.instance_type]
        measured = f"{_gib(w.memory_mib)}, {w.vcpu} vCPU, {worst.root_volume_gb} GB ({worst.name})"
        required = f"{_gib(low['memory_mib'])} RAM, {_cores(low['cores'])}, {low['disk_gb']} GB disk"
        out.append(Requirement(f"talos_{machine}", not short, measured, required,
                               "siderolabs/talos v1.11 system-requirements.md",
                               f"below the Talos {machine} minimum on {worst.name} (needs {required}; has {measured})"))
    return out


def _cheapest(catalog: Mapping[str, InstanceInfo], *, arch: str, cores: int, memory_mib: int, kvm: bool,
              prices: PriceLookup, family: str) -> tuple[str, InstanceInfo, float | None] | None:
    fits = [(name, i) for name, i in catalog.items()
            if i.architecture == arch and i.vcpu >= cores and i.memory_mib >= memory_mib and (i.kvm or not kvm)]
    if not fits:
        return None

    def key(item: tuple[str, InstanceInfo]) -> tuple[float, int, int, bool, str]:
        price = prices(item[0])
        return (math.inf if price is None else price, item[1].vcpu, item[1].memory_mib,
                item[0].split(".")[0] != family, item[0])

    name, i = min(fits, key=key)
    return name, i, prices(name)


def _money(price: float | None) -> str:
    return "" if price is None else f", ${price:.4f}/hour"


def _advice(nodes: Sequence[Node], reqs: Sequence[Requirement], catalog: Mapping[str, InstanceInfo],
            prices: PriceLookup, arch: str) -> tuple[str, ...]:
    low = load_data("cozystack")["minimum"]
    unmet = {r.name for r in reqs if not r.met}
    family = nodes[0].instance_type.split(".")[0]
    count = max(len(nodes), low["nodes"])
    need = {"arch": arch, "cores": low["cores"], "memory_mib": low["memory_gib"] * 1024}
    out = []
    if unmet & {"node_count", "cores_per_node", "ram_per_node"}:
        pick = _cheapest(catalog, **need, kvm=False, prices=prices, family=family)
        if pick is None:
            out.append(f"RECOMMENDED: no listed {arch} instance type has {low['cores']} cores and "
                       f"{low['memory_gib']} GiB RAM")
        else:
            name, i, price = pick
            out.append(f"RECOMMENDED: scale to {count} nodes with {_gib(i.memory_mib)} RAM each "
                       f"({name}{_money(price)})")
    if "data_disk" in unmet:
        out.append(f"ALSO: attach a {low['data_disk_gb']} GB raw data volume to each node (LINSTOR storage pool)")
    if "kvm" in unmet:
        pick = _cheapest(catalog, **need, kvm=True, prices=prices, family=family)
        if pick is None:
            out.append(f"ALTERNATIVE: no listed {arch} instance type offers /dev/kvm; KubeVirt VMs stay out of scope")
        else:
            name, i, price = pick
            out.append(f"ALTERNATIVE: for KubeVirt VMs use {count} x {name} ({i.vcpu} vCPU, {_gib(i.memory_mib)}"
                       f"{_money(price)}), the cheapest listed {arch} type with /dev/kvm")
    return tuple(out)


def assess(lab: Topology | Sequence[Node], *, instance_info: Mapping[str, InstanceInfo] | None = None,
           price_per_hour: PriceLookup | None = None, region: str | None = None,
           architecture: str | None = None, attached_data_gb: Mapping[str, int] | None = None) -> Verdict:
    """Return the verdict for a topology (or a bare node list) against CozyStack and Talos minimums.

    instance_info overrides data/instance_types.yaml per type (a live caller passes what
    describe_instance_types said). attached_data_gb (node name -> GB) is what EC2 reports attached
    once the nodes exist; then the data-disk rule reads it instead of the profile. Prices come
    from price_per_hour, then data/prices.yaml if present;
    without either, advice lines carry no $ figure. Raises ValueError for an unknown instance type.
    """
    if isinstance(lab, Topology):
        nodes: Sequence[Node] = lab.nodes
        region = region or lab.region
        architecture = architecture or lab.node_architecture
    else:
        nodes = list(lab)
    if not nodes:
        raise ValueError("the verdict needs at least one node")
    catalog = instance_catalog(instance_info)
    unknown = sorted({n.instance_type for n in nodes} - set(catalog))
    if unknown:
        raise ValueError(f"unknown instance type(s) {unknown}: not in instance_types.yaml nor the live answer")
    reqs = _cozystack_rules(nodes, catalog, attached_data_gb) + _talos_rules(nodes, catalog)
    prices = price_lookup(region or "eu-west-1", price_per_hour)
    arch = architecture or catalog[nodes[0].instance_type].architecture
    return Verdict(requirements=tuple(reqs), advice=_advice(nodes, reqs, catalog, prices, arch))
