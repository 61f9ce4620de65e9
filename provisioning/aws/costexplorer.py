"""What the account actually spent: Cost Explorer month to date, and measured run cost.

Cost Explorer answers in us-east-1 (ClientFactory pins it) and charges $0.01 per request,
each page counted (AWS Cost Explorer FAQ); month_to_date makes one request per page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.cost import Bill, ebs_item, instance_items
from provisioning.errors import SetupError
from provisioning.prices import FreeTrial, PriceBook, PriceError

log = logging.getLogger(__name__)

# What this lab may be billed for. Cost Explorer's SERVICE names: EC2 instances, "EC2 - Other"
# (EBS volumes, NAT gateway hours and bytes, data transfer), VPC (public IPv4 addresses), EBS
# (snapshot and direct APIs); Tax follows the others; Cost Explorer bills the queries made here.
ALLOWED_SERVICES: tuple[str, ...] = (
    "Amazon Elastic Compute Cloud - Compute",
    "EC2 - Other",
    "Amazon Virtual Private Cloud",
    "Amazon Elastic Block Store",
    "Tax",
    "AWS Cost Explorer",
)
EC2_MINIMUM_SECONDS = 60  # Linux on-demand is billed per second with a one-minute minimum


class CostExplorerError(SetupError):
    """Cost Explorer answered with something that is not a by-service cost."""


def _period(today: date) -> tuple[str, str] | None:
    start = today.replace(day=1)
    if start == today:
        return None
    return start.isoformat(), today.isoformat()


def month_to_date(clients: ClientFactory, today: date) -> dict[str, float]:
    """Return UnblendedCost USD by service from the 1st of today's month up to (not incl.) today.

    On the 1st there is no whole day yet: returns {} without a request.
    """
    period = _period(today)
    if period is None:
        log.info("month to date on %s: no whole day yet, Cost Explorer not asked", today)
        return {}
    client = clients.client("ce")
    request: dict[str, Any] = {"TimePeriod": {"Start": period[0], "End": period[1]}, "Granularity": "MONTHLY",
                               "Metrics": ["UnblendedCost"], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}
    by_service: dict[str, float] = {}
    with aws_call("ce:GetCostAndUsage"):
        while True:
            resp = client.get_cost_and_usage(**request)
            _add_groups(resp.get("ResultsByTime", []), by_service)
            if not resp.get("NextPageToken"):
                break
            request["NextPageToken"] = resp["NextPageToken"]
    log.info("month to date %s..%s: %s", period[0], period[1], by_service)
    return dict(sorted(by_service.items()))


def _add_groups(results: Iterable[Any], out: dict[str, float]) -> None:
    for r in results:
        for g in r.get("Groups", []):
            keys = g.get("Keys") or []
            metric = (g.get("Metrics") or {}).get("UnblendedCost") or {}
            if len(keys) != 1 or metric.get("Unit") != "USD":
                raise CostExplorerError(f"unexpected Cost Explorer group {g!r}: want one SERVICE key and "
                                        "UnblendedCost in USD")
            try:
                amount = float(metric["Amount"])
            except (KeyError, TypeError, ValueError):
                raise CostExplorerError(f"Cost Explorer group {keys[0]!r} has no numeric Amount: {metric!r}") \
                    from None
            out[keys[0]] = out.get(keys[0], 0.0) + amount


def unexpected_services(result: Mapping[str, float], allowed: Sequence[str] = ALLOWED_SERVICES,
                        min_usd: float = 0.0) -> dict[str, float]:
    """Return the services in result that cost more than min_usd and are not allowed."""
    return {s: usd for s, usd in result.items() if s not in allowed and usd > min_usd}


def _hours(start: datetime, end: datetime, what: str, minimum_s: float = 0.0) -> float:
    seconds = (end - start).total_seconds()
    if seconds < 0:
        raise PriceError(f"{what}: ends ({end}) before it starts ({start})")
    return max(seconds, minimum_s) / 3600.0


def measured_cost(instances: Sequence[tuple[str, datetime, datetime]],
                  volumes: Sequence[tuple[float, datetime, datetime]], prices: PriceBook, *,
                  trials: Sequence[FreeTrial] = (), today: date | None = None) -> Bill:
    """Price what a live run used: (type, launch, end) instances and (GB, created, deleted) volumes.

    Instances are billed per second with a 60 s minimum; volumes pro rata per GB-month.
    Trials apply only when today is given (and assume the month's pool was otherwise unused).
    """
    runs = [(t, _hours(start, end, f"instance {i} ({t})", EC2_MINIMUM_SECONDS))
            for i, (t, start, end) in enumerate(instances)]
    items = instance_items(runs, prices, trials, today)
    gb_hours = sum(gb * _hours(start, end, f"volume {i} ({gb} GB)") for i, (gb, start, end) in enumerate(volumes))
    if volumes:
        items.append(ebs_item(gb_hours, prices, f"{len(volumes)} volume(s), {gb_hours:,.1f} GB-hours measured"))
    return Bill("Measured", tuple(items))


def month_to_date_lines(clients: ClientFactory, today: date) -> list[str]:
    """Summary lines: month-to-date spend by service, and any service outside EC2/EBS/VPC flagged."""
    by_service = month_to_date(clients, today)
    if not by_service:
        return [f"Cost Explorer month to date ({today:%Y-%m}): nothing billed yet"]
    total = sum(by_service.values())
    listing = ", ".join(f"{name} ${usd:.2f}" for name, usd in by_service.items())
    lines = [f"Cost Explorer month to date ({today:%Y-%m}): ${total:.2f} ({listing})"]
    strangers = unexpected_services(by_service)
    if strangers:
        lines.append("WARNING services outside EC2/EBS/VPC are billing this month: "
                     + ", ".join(f"{name} ${usd:.2f}" for name, usd in strangers.items()))
    return lines
