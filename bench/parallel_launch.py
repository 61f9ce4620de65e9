"""Benchmark: launching 1 Talos node vs 3, with a fixed latency added to every API call.

The network and the bastion's key pair are provisioned once without latency; then the talos
phase (ENIs, launch templates, instances; each kind concurrently, provisioning.phases.talos.launch)
is launched for a 1-node and a 3-node copy of the profile against a moto server on 127.0.0.1,
every call delayed by --latency seconds (ClientFactory(latency_s=...)), and torn down again.
The issue asks for 3 nodes in <= 1.3x the time of 1. Prints the figures and writes
reports/bench-parallel-launch.txt. A benchmark, not a test: it measures and asserts nothing.

    .venv/bin/python bench/parallel_launch.py [--profile approved] [--latency 0.2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.backend import MotoServer  # noqa: E402
from fixtures.moto_fidelity import moto_fidelity  # noqa: E402
from provisioning import profiles  # noqa: E402
from provisioning.aws.client import ClientFactory  # noqa: E402
from provisioning.aws.executor import Executor  # noqa: E402
from provisioning.aws.kinds import RunContext  # noqa: E402
from provisioning.aws.ledger import Ledger  # noqa: E402
from provisioning.phases import bastion  # noqa: E402
from provisioning.phases import talos as phase  # noqa: E402
from provisioning.plan import plan  # noqa: E402
from provisioning.topology import Topology  # noqa: E402

TARGET = 1.3


def base(url: str, topo: Topology) -> tuple[str, Ledger, dict[str, str]]:
    """Provision the network and the key pair the nodes use, without latency; return run id, ledger, ids."""
    run_id = f"b{secrets.token_hex(4)}"
    clients = ClientFactory(region=topo.region, mode="offline", endpoint_url=url)
    ledger = Ledger(run_id)
    ex = Executor(RunContext(clients, run_id, topo.name, topo.tags), ledger, sleep=lambda s: None)
    key = [s for s in plan(topo, ("bastion",)) if s.key == bastion.KEY_PAIR]
    ids = ex.ensure([*plan(topo, ("network",)), *key])
    return run_id, ledger, ids


def launch_time(url: str, topo: Topology, run_id: str, ledger: Ledger, latency: float) -> tuple[float, int]:
    """Seconds and API calls to launch topo's nodes with latency per call; tears them down after."""
    slow = ClientFactory(region=topo.region, mode="offline", endpoint_url=url, latency_s=latency)
    ex = Executor(RunContext(slow, run_id, topo.name, topo.tags), ledger, sleep=lambda s: None)
    t0 = time.perf_counter()
    phase.launch(ex, plan(topo, (phase.PHASE,)))
    elapsed = time.perf_counter() - t0
    calls = slow.calls.total
    fast = ClientFactory(region=topo.region, mode="offline", endpoint_url=url)
    Executor(RunContext(fast, run_id, topo.name, topo.tags), ledger, sleep=lambda s: None).teardown(phase.PHASE)
    return elapsed, calls


Timed = Callable[[str, Topology, str, Ledger, float], tuple[float, int]]


def measure(profile: str, latency: float, repeat: int, timed: Timed | None = None) -> dict[str, Any]:
    """Median seconds and API calls of timed (default: launching the talos phase) for 1 node and every
    node of profile, latency s per call."""
    timed = timed or launch_time
    full = profiles.load(profile)
    one = dataclasses.replace(full, nodes=full.nodes[:1])
    times: dict[int, list[float]] = {1: [], len(full.nodes): []}
    calls: dict[int, int] = {}
    with MotoServer() as url, moto_fidelity():  # the suite's moto: templates applied, DescribeTags of live resources
        run_id, ledger, _ = base(url, full)
        for _ in range(repeat):
            for topo in (one, full):
                seconds, n_calls = timed(url, topo, run_id, ledger, latency)
                times[len(topo.nodes)].append(seconds)
                calls[len(topo.nodes)] = n_calls
        fast = ClientFactory(region=full.region, mode="offline", endpoint_url=url)
        Executor(RunContext(fast, run_id, full.name, full.tags), ledger, sleep=lambda s: None).teardown()
    many = len(full.nodes)
    med = {n: statistics.median(ts) for n, ts in times.items()}
    return {"profile": full.name, "latency_s": latency, "repeat": repeat, "nodes": many, "times": times,
            "calls": calls, "one_node_s": med[1], "many_nodes_s": med[many], "ratio": med[many] / med[1]}


def main(timed: Timed | None = None, *, what: str = "launch", target: float = TARGET,
         out_name: str = "bench-parallel-launch.txt", description: str = __doc__) -> int:
    """The command line of this benchmark, and of bench/teardown_ratio.py (its own timed step, title and file)."""
    ap = argparse.ArgumentParser(description=description.splitlines()[0])
    ap.add_argument("--profile", default="approved")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds added to every API call (default 0.2)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "reports" / out_name))
    args = ap.parse_args()
    text = report(measure(args.profile, args.latency, args.repeat, timed=timed), what=what, target=target)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.write(f"written to {out}\n")
    return 0


def report(m: dict[str, Any], what: str = "launch", target: float = TARGET) -> str:
    """The text table of a measure() result; what names the timed step (the launch adds a sequential estimate)."""
    times, calls, many, ratio = m["times"], m["calls"], m["nodes"], m["ratio"]
    med = {n: statistics.median(ts) for n, ts in times.items()}
    lines = [
        f"parallel {what} of the talos phase, profile {m['profile']}, moto server on 127.0.0.1",
        f"injected latency {m['latency_s']:.3f} s per API call; {m['repeat']} repetitions; median wall time",
        f"{'nodes':>5} {'median s':>9} {'min s':>7} {'max s':>7} {'API calls':>9}",
        *(f"{n:>5} {med[n]:>9.2f} {min(times[n]):>7.2f} {max(times[n]):>7.2f} {calls[n]:>9}" for n in sorted(med)),
        f"ratio {many} nodes / 1 node = {ratio:.2f} (issue target <= {target}): "
        f"{'met' if ratio <= target else 'NOT met'}",
    ]
    if what == "launch":
        lines.append(f"sequential estimate for {many} nodes: {med[1] * many:.2f} s")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
