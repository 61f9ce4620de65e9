"""A broken lab makes the scenario fail end to end (not only the check function).

The test provisions the network with the engine under a fixed run id, breaks it through the
API, then runs the real acceptance suite with --reuse against the same moto server: the suite
adopts the resources by tag, the routing scenario fails, the others pass, and teardown still
removes everything the run owns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.plan import plan
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


def test_missing_default_route_fails_the_routing_scenario(factory: ClientFactory, moto_url: str, run_id: str,
                                                           tmp_path: Path) -> None:
    topo = profiles.load("approved")
    ids = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id)).ensure(
        plan(topo, ("network",)))
    factory.client("ec2").delete_route(RouteTableId=ids["rt-public"], DestinationCidrBlock="0.0.0.0/0")

    result = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--reuse", run_id,
                       "-o", "junit_family=xunit2", reports=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 6 passed" in result.stdout, result.stdout
    assert "Default routes go where the profile says" in result.stdout or \
        "test_default_routes_go_where" in result.stdout
    assert "expected 0.0.0.0/0 -> the internet gateway, found no route" in result.stdout
    assert find_tagged(factory, run_id) == []
    # Steps after the failed one did not run: cucumber.json says skipped, not failed without a message.
    features = json.loads((tmp_path / "cucumber.json").read_text())
    routing = next(e for f in features for e in f["elements"] if "Default routes" in e["name"])
    statuses = [s["result"]["status"] for s in routing["steps"]]
    first = statuses.index("failed")
    assert routing["steps"][first]["result"].get("error_message")
    assert statuses[first + 1:] and set(statuses[first + 1:]) == {"skipped"}, statuses
