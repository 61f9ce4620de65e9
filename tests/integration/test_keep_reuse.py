"""--keep leaves the run in place and says how to reuse and sweep it; --reuse adopts it and tears it down."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


def test_keep_then_reuse(factory: ClientFactory, moto_url: str, run_id: str, tmp_path: Path) -> None:
    kept = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--run-id", run_id, "--keep",
                     reports=tmp_path / "first")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "tdg preflight: will create 8 resources (network)" in kept.stderr, "preflight is shown up front"
    assert f"kept run {run_id}" in kept.stdout
    assert f"--reuse {run_id}" in kept.stdout and f"tdg sweep --run-id {run_id}" in kept.stdout
    left = find_tagged(factory, run_id)
    assert {"vpc", "subnet", "security_group"} <= {f.kind for f in left}

    reused = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--reuse", run_id,
                       reports=tmp_path / "second")
    assert reused.returncode == 0, reused.stdout + reused.stderr
    assert find_tagged(factory, run_id) == []


def test_keep_is_refused_offline(tmp_path: Path) -> None:
    result = run_suite("features/", "--keep", reports=tmp_path)
    assert result.returncode == 4
    assert "--keep" in result.stderr and "moto server dies with the session" in result.stderr
