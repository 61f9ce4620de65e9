"""`tdg cost`: price a profile (run and month) against its budget, or refresh prices from AWS.

    tdg cost --profile approved [--hours 5] [--budget 60] [--today 2026-11-22] [--nat-gb 2]
    tdg cost --refresh [--region eu-west-1]     (live: needs AWS credentials, rewrites prices.yaml)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from provisioning import cost, profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.pricing import PRICES_PATH, priced_types, refresh_prices, write_prices
from provisioning.errors import OptionError


def register(subparsers: Any) -> None:
    """Add the `cost` subcommand to the tdg parser."""
    p = subparsers.add_parser("cost", help="price a profile (run + month) and check its budget",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default=profiles.DEFAULT_PROFILE, help="profile name or YAML path")
    p.add_argument("--hours", type=float, default=None, help="length of the run (default: the profile's h/day)")
    p.add_argument("--budget", type=float, default=None,
                   help="USD per month the projection must stay under (default: the profile's budget)")
    p.add_argument("--today", default=None, help="YYYY-MM-DD the free trial is judged on (default: today)")
    p.add_argument("--nat-gb", type=float, default=0.0, help="GB the NAT gateway processes in the run")
    p.add_argument("--nat-gb-month", type=float, default=0.0, help="GB the NAT gateway processes per month")
    p.add_argument("--refresh", action="store_true",
                   help="live: ask the AWS Pricing API for instance prices and rewrite the prices file")
    p.add_argument("--region", default=None, help="region to refresh (default: the profile's region)")
    p.add_argument("--types", default=None,
                   help="comma-separated instance types to refresh (default: those already priced there)")
    p.add_argument("--prices-file", type=Path, default=PRICES_PATH, help="prices file --refresh rewrites")
    p.set_defaults(func=run)


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OptionError("--today", value, "must be a date in YYYY-MM-DD form") from None


def live_clients(region: str) -> ClientFactory:
    """Build the live client factory --refresh uses (credentials from the usual AWS chain)."""
    return ClientFactory(region=region, mode="live")


def _refresh(args: argparse.Namespace) -> int:
    region = args.region or profiles.load(args.profile).region
    if args.types:
        types = [t.strip() for t in args.types.split(",") if t.strip()]
    else:
        types = priced_types(region, args.prices_file)
    if not types:
        raise OptionError("--types", args.types, f"nothing is priced in {region} yet: name the types to refresh")
    prices = refresh_prices(live_clients(region), region, types)
    changes = write_prices(prices, region, _today(args.today), path=args.prices_file)
    for c in changes:
        old = "new" if c.old_usd is None else f"{c.old_usd:g}"
        sys.stdout.write(f"{region} {c.instance_type}: {old} -> {c.new_usd:g} USD/h (verified)\n")
    sys.stdout.write(f"wrote {len(changes)} price(s) to {args.prices_file}\n")
    return 0


def run(args: argparse.Namespace) -> int:
    """Print the estimate; exit 2 with the budget message when the month is over budget."""
    if args.refresh:
        return _refresh(args)
    topo = profiles.load(args.profile)
    hours = topo.hours_per_day if args.hours is None else args.hours
    est = cost.estimate(topo, hours=hours, today=_today(args.today), nat_gb=args.nat_gb,
                        nat_gb_per_month=args.nat_gb_month)
    sys.stdout.write(cost.format_estimate(est) + "\n")
    budget = topo.budget_usd_per_month if args.budget is None else args.budget
    if budget is None:
        sys.stdout.write("No budget: the profile sets none and --budget was not given.\n")
        return 0
    try:
        cost.check_budget(est, float(budget),
                          "--budget" if args.budget is not None else f"profile {topo.name}: budget.usd_per_month")
    except cost.BudgetError as exc:
        sys.stderr.write(f"tdg cost: refused: {exc.summary}\n")
        return 2
    sys.stdout.write(f"Within the budget of ${float(budget):.2f}/month.\n")
    return 0
