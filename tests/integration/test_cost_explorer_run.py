"""A run ends with month-to-date spend from Cost Explorer and flags services outside EC2/EBS/VPC.

The moto server is this test's own, so the queued Cost Explorer answer is the one the run gets.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixtures.backend import MotoServer
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


def queue_cost(url: str, services: dict[str, str]) -> None:
    groups = [{"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": usd, "Unit": "USD"}}}
              for name, usd in services.items()]
    body = json.dumps({"results": [{"ResultsByTime": [{"Groups": groups, "Estimated": True}]}]}).encode()
    req = urllib.request.Request(f"{url}/moto-api/static/ce/cost-and-usage-results", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback moto server
        assert resp.status == 201


def test_month_to_date_spend_is_summarised_and_strangers_flagged(tmp_path: Path, run_id: str) -> None:
    if datetime.now(UTC).day == 1:
        pytest.skip("on the 1st there is no whole day of this month to ask Cost Explorer about")
    with MotoServer() as url:
        queue_cost(url, {"Amazon Elastic Compute Cloud - Compute": "1.25",
                         "Amazon Relational Database Service": "7.50"})
        result = run_suite("features/", "--phase", "network", "--aws-endpoint", url, "--run-id", run_id,
                           reports=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Cost Explorer month to date" in result.stdout and "$8.75" in result.stdout
    assert "WARNING services outside EC2/EBS/VPC are billing this month: Amazon Relational Database Service $7.50" \
        in result.stdout
