"""The prices and free trials the cost estimator applies, read from data files and validated.

Pure: provisioning/data/prices.yaml (USD, Linux on-demand, shared tenancy, per region, each price
naming its source) and free_tier.yaml. A missing or malformed entry raises PriceError naming the
file, the entry and what it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioning.data import load_data
from provisioning.errors import TdgError


class PriceError(TdgError):
    """A price or free-trial entry is missing or malformed, or a usage interval is impossible."""


@dataclass(frozen=True)
class Price:
    """One unit price with where it came from."""

    usd: float
    source: str
    verified: bool


@dataclass(frozen=True)
class PriceBook:
    """The prices of one region, as prices.yaml gives them."""

    region: str
    instances: Mapping[str, Price]
    gp3_gb_month: Price
    public_ipv4_hour: Price
    nat_hour: Price
    nat_gb: Price
    hours_per_month: float

    def instance(self, instance_type: str) -> Price:
        """Return the hourly price of instance_type, or raise PriceError naming what is priced."""
        try:
            return self.instances[instance_type]
        except KeyError:
            raise PriceError(f"no price for {instance_type} in {self.region} in provisioning/data/prices.yaml; "
                             f"priced: {sorted(self.instances)} (add it, or run `tdg cost --refresh`)") from None


@dataclass(frozen=True)
class FreeTrial:
    """Free instance-hours per calendar month, pooled over instance_types, until valid_until."""

    name: str
    instance_types: tuple[str, ...]
    hours_per_month: float
    valid_until: date
    source: str

    def applies(self, today: date) -> bool:
        """True while the trial runs (valid_until inclusive)."""
        return today <= self.valid_until


def _price(raw: Any, key: str, where: str) -> Price:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise PriceError(f"prices.yaml {where}: needs a non-negative number {key}, got {raw!r}")
    if not raw.get("source"):
        raise PriceError(f"prices.yaml {where}: names no source")
    return Price(float(value), str(raw["source"]), raw.get("verified") is True)


def price_book(region: str, data: Mapping[str, Any] | None = None) -> PriceBook:
    """Read one region's prices (from prices.yaml unless data is given); PriceError if incomplete."""
    data = load_data("prices") if data is None else data
    regions = data.get("prices") or {}
    if region not in regions:
        raise PriceError(f"no prices for region {region} in prices.yaml; priced regions: {sorted(regions)}")
    per_month = data.get("hours_per_month")
    if not isinstance(per_month, int | float) or per_month <= 0:
        raise PriceError(f"prices.yaml: hours_per_month must be a positive number, got {per_month!r}")
    r = regions[region]
    nat = r.get("nat_gateway")
    return PriceBook(
        region=region,
        instances={t: _price(v, "usd_per_hour", f"{region}.instances.{t}")
                   for t, v in (r.get("instances") or {}).items()},
        gp3_gb_month=_price(r.get("ebs_gp3"), "usd_per_gb_month", f"{region}.ebs_gp3"),
        public_ipv4_hour=_price(r.get("public_ipv4"), "usd_per_hour", f"{region}.public_ipv4"),
        nat_hour=_price(nat, "usd_per_hour", f"{region}.nat_gateway"),
        nat_gb=_price(nat, "usd_per_gb", f"{region}.nat_gateway"),
        hours_per_month=float(per_month),
    )


def free_trials(data: Mapping[str, Any] | None = None) -> tuple[FreeTrial, ...]:
    """Read the free trials (from free_tier.yaml unless data is given); PriceError if malformed."""
    data = load_data("free_tier") if data is None else data
    out = []
    for i, t in enumerate(data.get("trials") or []):
        types, hours, until = t.get("instance_types"), t.get("hours_per_month"), t.get("valid_until")
        if not types or not all(isinstance(x, str) for x in types):
            raise PriceError(f"free_tier.yaml trials[{i}].instance_types: a non-empty list of types, got {types!r}")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise PriceError(f"free_tier.yaml trials[{i}].hours_per_month: a positive number, got {hours!r}")
        if not isinstance(until, date):
            raise PriceError(f"free_tier.yaml trials[{i}].valid_until: a YYYY-MM-DD date, got {until!r}")
        out.append(FreeTrial(str(t.get("name", f"trial {i}")), tuple(types), float(hours), until,
                             str(t.get("source", ""))))
    return tuple(out)
