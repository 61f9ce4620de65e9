"""Benchmark: wall time, API calls and memory of the offline network phase.

Provision + verify (read back, every network check) + teardown of a profile's network phase
against a moto server on 127.0.0.1, repeated; prints a table and writes
reports/bench-offline-network.txt. A benchmark, not a test: it asserts nothing.

    .venv/bin/python bench/offline_network.py [--profile approved] [--repeat 5] [--latency 0]
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.backend import MotoServer  # noqa: E402
from provisioning import profiles  # noqa: E402
from provisioning.aws.client import ClientFactory  # noqa: E402
from provisioning.aws.executor import Executor  # noqa: E402
from provisioning.aws.kinds import RunContext  # noqa: E402
from provisioning.aws.ledger import Ledger  # noqa: E402
from provisioning.aws.state import read_network  # noqa: E402
from provisioning.checks import network as check  # noqa: E402
from provisioning.plan import plan  # noqa: E402


def one_run(url: str, profile: str, latency: float) -> dict[str, float]:
    topo = profiles.load(profile)
    clients = ClientFactory(region=topo.region, mode="offline", endpoint_url=url, latency_s=latency)
    run_id = f"b{secrets.token_hex(4)}"
    ex = Executor(RunContext(clients, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    t0 = time.perf_counter()
    ids = ex.ensure(plan(topo, ("network",)))
    t1 = time.perf_counter()
    provisioned = clients.calls.total
    state = read_network(clients, ids["vpc"])
    violations = (check.vpc_cidr(topo, state) + check.subnets(topo, state) + check.igw_attached(topo, state)
                  + check.default_routes(topo, state, "ipv4") + check.default_routes(topo, state, "ipv6")
                  + check.nat_only_if_planned(topo, state) + check.no_ingress_from_anywhere(state)
                  + check.ssh_only_from_home(topo, state) + check.node_group_closed(topo, state)
                  + check.run_tags(state, run_id))
    t2 = time.perf_counter()
    verified = clients.calls.total
    ex.teardown()
    t3 = time.perf_counter()
    if violations:
        raise SystemExit(f"the lab failed its own checks: {violations}")
    return {"provision_s": t1 - t0, "verify_s": t2 - t1, "teardown_s": t3 - t2, "total_s": t3 - t0,
            "calls_provision": provisioned, "calls_verify": verified - provisioned,
            "calls_teardown": clients.calls.total - verified, "calls_total": clients.calls.total}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="approved")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench-offline-network.txt"))
    args = ap.parse_args()
    with MotoServer() as url:
        one_run(url, args.profile, args.latency)  # warm-up: moto loads its data lazily
        runs = [one_run(url, args.profile, args.latency) for _ in range(args.repeat)]
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [f"offline network phase, profile {args.profile}, {args.repeat} runs after one warm-up, "
             f"latency {args.latency}s/call, moto server on 127.0.0.1",
             f"{'metric':<16}{'median':>10}{'min':>10}{'max':>10}"]
    for key in runs[0]:
        values = [r[key] for r in runs]
        fmt = "{:>10.2f}" if key.endswith("_s") else "{:>10.0f}"
        lines.append(f"{key:<16}" + "".join(fmt.format(v) for v in
                                            (statistics.median(values), min(values), max(values))))
    lines.append(f"peak RSS of the benchmark process (moto server included): {rss_mib:.0f} MiB")
    text = "\n".join(lines)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
