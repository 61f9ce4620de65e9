"""A broken lab makes the scenario fail end to end (not only the check function).

The test provisions the network with the engine under a fixed run id, breaks it through the
API, then runs the real acceptance suite with --reuse against the same moto server (a run the
session shares with the report and replay tests, tests/integration/runs.py): the suite
adopts the resources by tag, the routing scenario fails, the others pass, and teardown still
removes everything the run owns.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.shared import SharedRun

pytestmark = pytest.mark.integration


def test_missing_default_route_fails_the_routing_scenario(broken_route_run: SharedRun) -> None:
    result = broken_route_run  # provisioned, route deleted, `--phase network --reuse` (tests/integration/runs.py)
    reports = result.dir / "reports"

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 6 passed" in result.stdout, result.stdout
    assert "Default routes go where the profile says" in result.stdout or \
        "test_default_routes_go_where" in result.stdout
    assert "expected 0.0.0.0/0 -> the internet gateway, found no route" in result.stdout
    assert result.facts["left"] == []
    # Steps after the failed one did not run: cucumber.json says skipped, not failed without a message.
    features = json.loads((reports / "cucumber.json").read_text())
    routing = next(e for f in features for e in f["elements"] if "Default routes" in e["name"])
    statuses = [s["result"]["status"] for s in routing["steps"]]
    first = statuses.index("failed")
    assert routing["steps"][first]["result"].get("error_message")
    assert statuses[first + 1:] and set(statuses[first + 1:]) == {"skipped"}, statuses
