"""Refresh instance prices from the AWS Pricing API and write them into prices.yaml.

The Pricing API answers in us-east-1 (ClientFactory pins it) whatever region is priced;
its PriceList items are JSON strings. Live only: moto has no pricing (tests use Stubber).
EBS, public IPv4 and NAT prices are not refreshed here; they stay as prices.yaml has them.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import NoCredentialsError

from provisioning import yamlio
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.data import DATA_DIR, load_data
from provisioning.errors import GuardError, SetupError

log = logging.getLogger(__name__)

SERVICE_CODE = "AmazonEC2"
SOURCE = "AWS Pricing API get_products"
PRICES_PATH = DATA_DIR / "prices.yaml"
HEADER = """\
# Prices the cost estimator uses (provisioning/cost.py): USD, Linux on-demand, shared tenancy.
# Every item names its source and date; verified: false marks a price not confirmed from AWS.
# `tdg cost --refresh --region R` rewrites the instance items of R from the AWS Pricing API
# (provisioning/aws/pricing.py) and rewrites this file: keep explanations in note fields.
"""


class PricingError(SetupError):
    """The Pricing API gave no usable price (empty, malformed or ambiguous answer)."""


@dataclass(frozen=True)
class Change:
    """One refreshed instance price: the old value (None if new) and the new one."""

    instance_type: str
    old_usd: float | None
    new_usd: float


def product_filters(instance_type: str, region: str) -> list[dict[str, str]]:
    """Return the get_products filters for one Linux on-demand shared-tenancy instance type."""
    fields = {"instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux",
              "tenancy": "Shared", "capacitystatus": "Used", "preInstalledSw": "NA"}
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


def _hourly_prices(doc: Any, n: int, instance_type: str, region: str) -> list[float]:
    where = f"PriceList[{n}] for {instance_type} in {region}"
    if not isinstance(doc, dict) or not isinstance(doc.get("product"), dict):
        raise PricingError(f"{where}: not a product document (no 'product' mapping)")
    attrs = doc["product"].get("attributes") or {}
    got = (attrs.get("instanceType"), attrs.get("regionCode"))
    if got != (instance_type, region):
        raise PricingError(f"{where}: the answer is for {got}, not the filtered type and region")
    on_demand = (doc.get("terms") or {}).get("OnDemand")
    if not isinstance(on_demand, dict) or not on_demand:
        raise PricingError(f"{where}: no OnDemand terms (sku {doc['product'].get('sku')})")
    out = []
    for term in on_demand.values():
        dims = term.get("priceDimensions") if isinstance(term, dict) else None
        if not isinstance(dims, dict):
            raise PricingError(f"{where}: an OnDemand term has no priceDimensions mapping")
        for dim in dims.values():
            if not isinstance(dim, dict) or dim.get("unit") != "Hrs":
                continue
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            try:
                out.append(float(str(usd)))
            except ValueError:
                raise PricingError(f"{where}: pricePerUnit.USD is {usd!r}, not a number") from None
    return out


def parse_on_demand_hourly(price_list: Sequence[Any], instance_type: str, region: str) -> float:
    """Return the one on-demand USD/hour price in price_list (JSON strings); PricingError otherwise."""
    if not price_list:
        raise PricingError(f"the Pricing API returned no products for {instance_type} in {region} "
                           f"(filters {product_filters(instance_type, region)}); check the type and region")
    found: set[float] = set()
    for n, raw in enumerate(price_list):
        try:
            doc = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise PricingError(f"PriceList[{n}] for {instance_type} in {region} is not a JSON document: "
                               f"{exc}") from exc
        found.update(_hourly_prices(doc, n, instance_type, region))
    if not found:
        raise PricingError(f"no hourly USD on-demand price for {instance_type} in {region} "
                           f"among {len(price_list)} product(s)")
    if len(found) > 1:
        raise PricingError(f"ambiguous on-demand prices for {instance_type} in {region}: {sorted(found)}")
    price = found.pop()
    if price <= 0:
        raise PricingError(f"the Pricing API gave {price} USD/h for {instance_type} in {region}: not a price")
    return price


def refresh_prices(clients: ClientFactory, region: str, types: Sequence[str]) -> dict[str, float]:
    """Ask the Pricing API for each type's on-demand USD/hour in region (one paginated query per type)."""
    if not types:
        raise PricingError("no instance types to price")
    client = clients.client("pricing")
    out: dict[str, float] = {}
    for instance_type in types:
        items: list[Any] = []
        request: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "FormatVersion": "aws_v1", "MaxResults": 100,
                                   "Filters": product_filters(instance_type, region)}
        try:
            with aws_call("pricing:GetProducts"):
                while True:
                    resp = client.get_products(**request)
                    items += resp.get("PriceList", [])
                    if not resp.get("NextToken"):
                        break
                    request["NextToken"] = resp["NextToken"]
        except NoCredentialsError as exc:
            raise GuardError("tdg cost --refresh needs AWS credentials (any identity with "
                             "pricing:GetProducts); none were found") from exc
        out[instance_type] = parse_on_demand_hourly(items, instance_type, region)
        log.info("Pricing API: %s in %s costs %s USD/h", instance_type, region, out[instance_type])
    return out


def update_prices(data: Mapping[str, Any], region: str, refreshed: Mapping[str, float],
                  today: date) -> tuple[dict[str, Any], list[Change]]:
    """Return a copy of prices data with refreshed instance prices marked verified, and the changes."""
    new = copy.deepcopy(dict(data))
    regions = new.setdefault("prices", {})
    if region not in regions:
        log.warning("prices.yaml had no region %s: only its instance prices are added", region)
    instances = regions.setdefault(region, {}).setdefault("instances", {})
    changes = []
    for instance_type, usd in refreshed.items():
        old = instances.get(instance_type) or {}
        changes.append(Change(instance_type, old.get("usd_per_hour"), usd))
        instances[instance_type] = {"usd_per_hour": usd, "source": SOURCE, "retrieved": today, "verified": True}
    return new, changes


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes repeated values out instead of as anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_prices(data: Mapping[str, Any]) -> str:
    """Render prices data as prices.yaml text (the header, then block-style YAML in data order)."""
    return HEADER + yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=110)


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yamlio.load(fh)
    if not isinstance(data, dict) or "source" not in data:
        raise PricingError(f"{path} is not a prices file (a mapping with a source)")
    return data


def priced_types(region: str, path: Path = PRICES_PATH) -> list[str]:
    """Return the instance types the prices file at path prices in region (file order)."""
    return list(((_read(path).get("prices") or {}).get(region) or {}).get("instances") or {})


def write_prices(refreshed: Mapping[str, float], region: str, today: date,
                 path: Path = PRICES_PATH) -> list[Change]:
    """Write refreshed instance prices into the prices file at path (atomically); return the changes."""
    new, changes = update_prices(_read(path), region, refreshed, today)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dump_prices(new), encoding="utf-8")
    tmp.replace(path)
    load_data.cache_clear()
    for c in changes:
        log.info("prices.yaml %s %s: %s -> %s USD/h", region, c.instance_type, c.old_usd, c.new_usd)
    return changes
