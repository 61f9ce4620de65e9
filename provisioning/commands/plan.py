"""`tdg plan`: validate a profile and print the resources a run would create, in order."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from provisioning import capacity, profiles
from provisioning.phases import talos as talos_phase
from provisioning.plan import Ref, plan
from provisioning.topology import PHASES


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="validate a profile and list what a run would create")
    p.add_argument("--profile", default=profiles.DEFAULT_PROFILE, help="profile name or path")
    p.add_argument("--phase", choices=PHASES, help="plan phases up to and including this one")
    p.set_defaults(func=run)


def _params(params: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        if isinstance(v, Ref):
            return f"<{v.key}>"
        if isinstance(v, list | tuple):
            return "[" + ", ".join(show(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {show(x)}" for k, x in v.items()) + "}"
        return str(v)
    return ", ".join(f"{k}={show(v)}" for k, v in params.items() if v not in (None, "", [], {}))


def run(args: argparse.Namespace) -> int:
    topo = profiles.load(args.profile)
    phases = PHASES[: PHASES.index(args.phase) + 1] if args.phase else PHASES
    specs = plan(topo, phases)
    out = sys.stdout
    out.write(f"profile {topo.name} ({topo.source}): {topo.description}\n")
    out.write(f"region {topo.region}; {len(specs)} resources in {len(phases)} phase(s)\n\n")
    for i, spec in enumerate(specs, 1):
        out.write(f"{i:3d}. [{spec.phase}] {spec.kind} {spec.name} ({spec.key})\n")
        detail = _params(dict(spec.params))
        if detail:
            out.write(f"       {detail}\n")
    if "talos" in phases:
        out.write("\nboot verdict (before anything is launched):\n")
        for line in talos_phase.boot_verdict(topo).lines():
            out.write(f"  {line}\n")
    if "cozystack" in phases:
        verdict = capacity.assess(topo)
        out.write("\ncapacity verdict for CozyStack (before any money is spent):\n")
        for req in verdict.requirements:
            out.write(f"  {req.line}\n")
        for line in verdict.advice:
            out.write(f"  {line}\n")
    return 0
