"""CPU credits of burstable instances: what a launch template asks for, and what unlimited mode costs (pure).

T4g launches in unlimited mode unless told otherwise, and unlimited mode bills the CPU used
above the type's baseline as surplus credits per vCPU-hour. The suite therefore sets
``CreditSpecification: {CpuCredits: standard}`` on every burstable launch template; a profile
may ask for ``burstable.cpu_credits: unlimited``, and then the estimate prices the surplus at
the profile's ``burstable.average_cpu_percent`` (100 by default: the worst case). Facts come
from instance_types.yaml (baseline_percent) and prices.yaml (cpu_credits_unlimited).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provisioning.data import load_data
from provisioning.errors import TdgError


class CreditPriceError(TdgError):
    """A burstable type has no baseline, or its family has no surplus-credit price."""


def _type(instance_type: str) -> Mapping[str, Any]:
    return load_data("instance_types")["types"].get(instance_type) or {}


def burstable(instance_type: str) -> bool:
    """True for a burstable type (T2/T3/T4g): it has a CPU credit mode."""
    return bool(_type(instance_type).get("burstable"))


def planned_mode(instance_type: str, mode: str) -> str | None:
    """The CpuCredits a launch template of instance_type must carry: mode for burstable types, else None."""
    return mode if burstable(instance_type) else None


def credit_specification(instance_type: str, mode: str) -> dict[str, str] | None:
    """The LaunchTemplateData CreditSpecification for instance_type (None for non-burstable types)."""
    planned = planned_mode(instance_type, mode)
    return {"CpuCredits": planned} if planned else None


def surplus_vcpu_hours(instance_type: str, hours: float, average_percent: float) -> float:
    """vCPU-hours above baseline when instance_type runs `hours` at average_percent CPU (0 below baseline).

    Credits earned while below baseline are ignored, so this slightly over-estimates.
    """
    spec = _type(instance_type)
    if "baseline_percent" not in spec:
        raise CreditPriceError(f"instance type {instance_type}: no baseline_percent in instance_types.yaml")
    above = max(0.0, float(average_percent) - float(spec["baseline_percent"])) / 100.0
    return float(spec["vcpu"]) * above * hours


def surplus_price(instance_type: str, region: str, data: Mapping[str, Any] | None = None) -> tuple[float, str, bool]:
    """(USD per surplus vCPU-hour, source, verified) for instance_type's family in region."""
    data = load_data("prices") if data is None else data
    family = instance_type.split(".")[0]
    table = ((data.get("prices") or {}).get(region) or {}).get("cpu_credits_unlimited") or {}
    entry = table.get(family)
    if not isinstance(entry, dict) or not isinstance(entry.get("usd_per_vcpu_hour"), int | float):
        raise CreditPriceError(f"no surplus CPU credit price for {family} in {region} "
                               f"(prices.yaml prices.{region}.cpu_credits_unlimited; priced: {sorted(table)})")
    return float(entry["usd_per_vcpu_hour"]), str(entry.get("source", "")), entry.get("verified") is True


def surplus_runs(runs: Sequence[tuple[str, float]], average_percent: float) -> dict[str, float]:
    """Surplus vCPU-hours per burstable instance type over (instance_type, hours) runs."""
    out: dict[str, float] = {}
    for instance_type, hours in runs:
        if burstable(instance_type):
            out[instance_type] = out.get(instance_type, 0.0) + surplus_vcpu_hours(instance_type, hours,
                                                                                  average_percent)
    return out


def violations(what: str, instance_type: str, recorded: str | None, mode: str) -> list[str]:
    """A launch template (version) of instance_type must record the planned CpuCredits.

    recorded None means the template sets none, and EC2 then launches T4g in unlimited mode.
    """
    planned = planned_mode(instance_type, mode)
    if planned is None:
        return [f"{what}: {instance_type} is not burstable, yet the template sets CpuCredits {recorded}"] \
            if recorded else []
    if recorded == planned:
        return []
    found = recorded or "none (EC2 then launches T4g as unlimited)"
    return [f"{what}: {instance_type} expected CpuCredits {planned} (profile burstable.cpu_credits), found {found}"]
