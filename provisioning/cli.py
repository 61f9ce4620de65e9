"""`tdg`: the operator's command line (plan, cost, sweep, ...).

Each subcommand lives in provisioning/commands/<name>.py and exposes
``register(subparsers)``; the parser sets ``func`` to the function that runs it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from provisioning import commands
from provisioning.errors import TdgError


def build_parser() -> argparse.ArgumentParser:
    """Collect every subcommand module under provisioning/commands."""
    parser = argparse.ArgumentParser(prog="tdg", description="Plan, price and sweep the CozyStack-on-AWS lab.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log API calls and waits")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"provisioning.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; TdgError becomes a one-paragraph message and exit code 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except TdgError as exc:
        print(f"tdg {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
