"""`tdg sweep`: list what runs left behind (ManagedBy=tdg) and what it costs per hour; --yes deletes it.

    tdg sweep                                   list every run's leftovers (dry run)
    tdg sweep --run-id 1a2b3c4d --yes           delete one run
    tdg sweep --older-than 2h --yes             delete runs whose newest resource is older than 2 h
    tdg sweep --endpoint http://127.0.0.1:5000  a moto server or LocalStack on this machine

Without --endpoint it talks to real AWS: the account must be on the allowlist
(TDG_ACCOUNT_ALLOWLIST or the profile's accounts.allowlist) and the region the profile's.
Only resources tagged ManagedBy=tdg are listed or deleted; nothing else is ever touched.
Exit status: 0 when nothing is left (or on a dry run), 1 when resources remain, 2 when refused.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from provisioning import guards, profiles
from provisioning.aws import sweep
from provisioning.aws.client import ClientFactory, check_endpoint
from provisioning.aws.inventory import Found
from provisioning.errors import OptionError
from provisioning.settings import check_run_id

AGE_RE = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(subparsers: Any) -> None:
    """Add the `sweep` subcommand to the tdg parser."""
    p = subparsers.add_parser("sweep", help="list (and with --yes delete) what runs left behind",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run-id", help="only this run's resources")
    which.add_argument("--older-than", metavar="AGE", help="only runs whose newest resource is older (30m, 2h, 1d)")
    p.add_argument("--endpoint", metavar="URL", help="AWS-compatible endpoint on loopback (default: real AWS)")
    p.add_argument("--profile", default=profiles.DEFAULT_PROFILE,
                   help="profile whose region and account allowlist apply (default: %(default)s)")
    p.add_argument("--region", default=None, help="region to sweep (default and only allowed live: the profile's)")
    p.add_argument("--yes", action="store_true", help="delete; without it nothing is changed")
    p.add_argument("--reports-dir", default="reports", type=Path,
                   help="where a run's leftovers.json is rewritten or removed once swept (default: %(default)s)")
    p.add_argument("--max-rounds", type=int, default=5, help="delete rounds before giving up (default: 5)")
    p.set_defaults(func=run)


def parse_age(value: str) -> timedelta:
    """Turn 30m / 2h / 1d into a timedelta; OptionError otherwise."""
    m = AGE_RE.match(value.strip())
    if not m or int(m.group(1)) == 0:
        raise OptionError("--older-than", value, "an age such as 30m, 2h or 1d (greater than 0)")
    return timedelta(**{UNITS[m.group(2)]: int(m.group(1))})


def live_clients(region: str) -> ClientFactory:
    """The live client factory (credentials from the usual AWS chain)."""
    return ClientFactory(region=region, mode="live")


def _clients(args: argparse.Namespace) -> ClientFactory:
    topo = profiles.load(args.profile)
    region = args.region or topo.region
    if args.endpoint:
        return ClientFactory(region=region, mode="endpoint", endpoint_url=check_endpoint(args.endpoint))
    clients = live_clients(region)
    who = guards.check_account(clients, allowed=guards.allowlist(topo, os.environ), regions=(topo.region,),
                               profile=topo.name)
    sys.stdout.write(f"{who.describe()}: on the allowlist\n")
    return clients


def run(args: argparse.Namespace) -> int:
    """List the leftovers; with --yes delete them and report what is left and why."""
    if args.run_id:
        check_run_id("--run-id", args.run_id)
    older = parse_age(args.older_than) if args.older_than else None
    if args.yes and not (args.run_id or older):
        raise OptionError("--yes", True, "name what to delete with --run-id ID or --older-than AGE (e.g. 2h), so "
                                         "a run still going in another terminal is not swept")
    if args.max_rounds < 1:
        raise OptionError("--max-rounds", args.max_rounds, "at least 1")
    clients = _clients(args)
    out = sys.stdout
    selection = sweep.select(clients, now=datetime.now(UTC), run_id=args.run_id, older_than=older)
    if not selection.leftovers:
        out.write("".join(f"spared run {rid}: {why}\n" for rid, why in selection.spared))
        if args.run_id:
            _settle(args, (args.run_id,), ())
        out.write("0 resources left\n")
        return 0
    out.write(sweep.format_table(selection) + "\n")
    if not args.yes:
        out.write("dry run: nothing deleted; add --yes to delete these resources\n")
        return 0
    result = sweep.delete(clients, selection, max_rounds=args.max_rounds)
    _settle(args, selection.run_ids, [found for found, _ in result.remaining])
    if not result.remaining:
        out.write(f"deleted in {result.rounds} round(s): 0 resources left\n")
        return 0
    out.write(f"{len(result.remaining)} resource(s) left after {result.rounds} round(s):\n")
    for found, why in result.remaining:
        out.write(f"  {found.kind} {found.id} (run {found.run_id}): {why}\n")
    return 1


def _settle(args: argparse.Namespace, swept: Iterable[str], remaining: Iterable[Found]) -> None:
    """Rewrite or remove the swept run's leftovers.json so it never lists what is gone."""
    done = sweep.settle_leftovers_file(args.reports_dir / "leftovers.json", swept, remaining)
    if done:
        sys.stdout.write(done + "\n")
