"""`pytest features/ -m talos` alone: the Talos phase pulls the network and bastion it needs, and probes the asset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.bastion_standin import STANDIN_BINARIES
from fixtures.standin import binaries
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


def test_the_talos_marker_alone_runs_green(tmp_path: Path) -> None:
    binaries.require(*STANDIN_BINARIES)
    result = run_suite("features/", "-m", "talos", reports=tmp_path, timeout=900)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    final = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, \d+ deselected in .*", final), final  # nothing failed, skipped or errored
    assert "the bastion serves the boot-to-talos asset" in out
