"""Phase 02 end to end against a moto server this process owns: green, and nothing left tagged afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.bastion_standin import STANDIN_BINARIES
from fixtures.moto_fidelity import moto_fidelity
from fixtures.standin import binaries
from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("profile", "budget"), [("approved", "60"), ("homelab-replica", "20")])
def test_the_bastion_phase_passes_and_tears_down_to_nothing(factory: ClientFactory, moto_url: str, run_id: str,
                                                            tmp_path: Path, profile: str, budget: str) -> None:
    binaries.require(*STANDIN_BINARIES)
    with moto_fidelity():  # the suite's moto is this process's: let it launch from templates as EC2 does
        result = run_suite("features/", "--phase", "bastion", "--profile", profile, "--budget", budget,
                           "--aws-endpoint", moto_url, "--run-id", run_id, reports=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "bastion        17       0" in result.stdout
    assert find_tagged(factory, run_id) == []
