"""`tdg recording import DIR` and `tdg recording diff A B`: use recorded runs after the fact.

import: a bundle's talosctl and Kubernetes answers become the stand-ins' inputs
(provisioning/recording/importer.py, written to provisioning/data/observed/ unless --into).
diff: what changed between two recorded runs (provisioning/recording/diff.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from provisioning.recording import diff as rdiff
from provisioning.recording.importer import import_bundle
from provisioning.recording.observed import OBSERVED_DIR


def register(sub: Any) -> None:
    p = sub.add_parser("recording", help="import a recorded run's answers for the stand-ins, or diff two runs")
    rsub = p.add_subparsers(dest="recording_command", required=True)
    imp = rsub.add_parser("import", help="turn a bundle's talosctl and Kubernetes answers into the stand-ins' inputs")
    imp.add_argument("bundle", type=Path, help="a directory written by --record")
    imp.add_argument("--into", type=Path, default=OBSERVED_DIR, help=f"where the facts go (default {OBSERVED_DIR})")
    imp.set_defaults(func=run_import)
    dif = rsub.add_parser("diff", help="what changed between two recorded runs (before -> after)")
    dif.add_argument("before", type=Path)
    dif.add_argument("after", type=Path)
    fmt = dif.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the differences as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print the differences as Markdown tables")
    dif.set_defaults(func=run_diff)


def run_import(args: argparse.Namespace) -> int:
    done = import_bundle(args.bundle, args.into)
    o, out = done.observed, sys.stdout
    out.write(f"imported {args.bundle} -> {done.path}\n  {o.label} (run {o.run_id}, Talos {o.talos_version})\n")
    for kind, facts in o.types.items():
        out.write(f"  {kind}: nodes {', '.join(facts.nodes) or '-'}; MemTotal "
                  f"{facts.memtotal_kib if facts.memtotal_kib is not None else '-'} kB; kubelet capacity "
                  f"{facts.capacity_cpu if facts.capacity_cpu is not None else '-'} CPU / "
                  f"{facts.capacity_memory_kib if facts.capacity_memory_kib is not None else '-'} KiB\n")
    if o.extensions:
        out.write("  extensions: " + ", ".join(f"{k} {v}" for k, v in o.extensions.items()) + "\n")
    out.write(f"  pods read: {len(o.pods)}\n")
    for line in done.model_check:
        out.write(f"  model check: {line}\n")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    changes = rdiff.compare(rdiff.summarize(args.before), rdiff.summarize(args.after))
    if args.json:
        sys.stdout.write(json.dumps(changes, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(rdiff.render(changes, markdown=args.markdown))
    return 0
