"""The acceptance runs several tests read: each made once per pytest session (see shared.py).

- full_offline_run: `pytest features/` of the approved profile, offline, as an operator runs it,
  with no Tailscale key, recorded to a bundle (--record), with the network audit hook in every
  Python process and, as root, inside a network namespace that has only loopback. Read by the
  phase-04 end-to-end test (exit 0, expected blockers, TEST RESULTS), the loopback-only test
  (nothing dialled past loopback) and the full-run replay test (the bundle replays the same).
- broken_route_run: the network provisioned by the engine, its public default route deleted through
  the API, then `--phase network --reuse` against the same moto server, recorded. Read by the
  scenario-fails test, the report's failed-scenario test and the failed-run replay test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.plan import plan
from tests.integration.audit import audited_env, loopback_namespace
from tests.integration.helpers import ROOT, run_suite, suite_command
from tests.integration.shared import SharedRun, shared_run

NO_TAILSCALE = {"TDG_TAILSCALE_AUTHKEY": ""}


def full_offline_run(root: Path) -> SharedRun:
    """The approved profile's whole offline run: dir/reports, the bundle in dir/bundle, the audit in dir/audit.tsv."""
    def produce(work: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
        prefix = loopback_namespace()
        cmd = [*prefix, *suite_command("features/", "--record", str(work / "bundle"), reports=work / "reports")]
        done = subprocess.run(cmd, cwd=ROOT, env=audited_env(work / "audit.tsv", NO_TAILSCALE), text=True,
                              capture_output=True, timeout=900, check=False)
        return done, {"namespace": bool(prefix)}

    return shared_run(root, "full-offline-approved", produce)


def broken_route_run(root: Path, factory: ClientFactory, moto_url: str, run_id: str) -> SharedRun:
    """The network phase reused on a lab without its public default route: reports in dir/reports, bundle in
    dir/bundle; facts: run_id, the route table, what stayed tagged afterwards."""
    def produce(work: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
        topo = profiles.load("approved")
        ids = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id)).ensure(
            plan(topo, ("network",)))
        factory.client("ec2").delete_route(RouteTableId=ids["rt-public"], DestinationCidrBlock="0.0.0.0/0")
        done = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--reuse", run_id,
                         "--record", str(work / "bundle"), "-o", "junit_family=xunit2", reports=work / "reports")
        left = sorted(f"{f.kind} {f.id}" for f in find_tagged(factory, run_id))
        return done, {"run_id": run_id, "rt_public": ids["rt-public"], "left": left}

    return shared_run(root, "broken-route-network", produce)
