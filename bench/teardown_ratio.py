"""Benchmark: tearing down 1 Talos node vs 3, with a fixed latency added to every API call.

The network and the bastion's key pair are provisioned once without latency; then, for a 1-node
and a 3-node copy of the profile, the talos phase is launched without latency and torn down
(Executor.teardown: every instance terminated, then one wait for all; interfaces and templates
together) with every call delayed by --latency seconds, against a moto server on 127.0.0.1.
The issue asks for 3 nodes in <= 1.1x the time of 1. `make bench` calls figures(); run alone it
prints the figures and writes reports/bench-teardown-ratio.txt. A benchmark, not a test.

    .venv/bin/python bench/teardown_ratio.py [--profile approved] [--latency 0.2] [--repeat 3]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from parallel_launch import main as launch_main  # noqa: E402
from parallel_launch import measure as launch_measure  # noqa: E402
from parallel_launch import report  # noqa: E402

from provisioning.aws.client import ClientFactory  # noqa: E402
from provisioning.aws.executor import Executor  # noqa: E402
from provisioning.aws.kinds import RunContext  # noqa: E402
from provisioning.aws.ledger import Ledger  # noqa: E402
from provisioning.phases import talos as phase  # noqa: E402
from provisioning.plan import plan  # noqa: E402
from provisioning.topology import Topology  # noqa: E402

TARGET = 1.1


def teardown_time(url: str, topo: Topology, run_id: str, ledger: Ledger, latency: float) -> tuple[float, int]:
    """Launch topo's nodes without latency, then seconds and API calls to tear them down with latency per call."""
    fast = ClientFactory(region=topo.region, mode="offline", endpoint_url=url)
    phase.launch(Executor(RunContext(fast, run_id, topo.name, topo.tags), ledger, sleep=lambda s: None),
                 plan(topo, (phase.PHASE,)))
    slow = ClientFactory(region=topo.region, mode="offline", endpoint_url=url, latency_s=latency)
    for service in ("ec2", "iam", "autoscaling"):  # botocore loads its models once per client: not teardown's time
        slow.client(service)
    ex = Executor(RunContext(slow, run_id, topo.name, topo.tags), ledger, sleep=lambda s: None)
    t0 = time.perf_counter()
    ex.teardown(phase.PHASE)
    return time.perf_counter() - t0, slow.calls.total


def measure(profile: str, latency: float, repeat: int) -> dict[str, Any]:
    """Median seconds and API calls to tear down 1 node and every node of profile, latency s per call."""
    return launch_measure(profile, latency, repeat, timed=teardown_time)


def figures(repeat: int = 3, latency: float = 0.2, profile: str = "approved") -> dict[str, Any]:
    """What `make bench` reports (bench/run_all.py): the ratio and its parts, printed as measured."""
    m = measure(profile, latency, repeat)
    sys.stdout.write(report(m, what="teardown", target=TARGET))
    return {k: v for k, v in m.items() if k not in ("times",)}


def main() -> int:
    return launch_main(teardown_time, what="teardown", target=TARGET, out_name="bench-teardown-ratio.txt",
                       description=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
