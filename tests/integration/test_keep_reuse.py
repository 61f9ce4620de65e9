"""--keep is refused where the moto server dies with the session (offline).

What --keep and --reuse do against an endpoint that outlives pytest: test_keep_reuse_phases.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


def test_keep_is_refused_offline(tmp_path: Path) -> None:
    result = run_suite("features/", "--keep", reports=tmp_path)
    assert result.returncode == 4
    assert "--keep" in result.stderr and "moto server dies with the session" in result.stderr
