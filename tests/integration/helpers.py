"""Run the acceptance suite in a subprocess against a moto server this test process owns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration import warm

ROOT = Path(__file__).resolve().parents[2]


def suite_command(*args: str, reports: Path) -> list[str]:
    """The pytest command line of an acceptance run writing its reports to reports."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args, "--reports-dir", str(reports)]


def run_suite(*args: str, reports: Path, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run pytest on the features in a process of its own (a fork of the warm server: tests/integration/warm.py)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTEST_ADDOPTS", None)
    return warm.run(suite_command(*args, reports=reports), cwd=ROOT, env=full_env, timeout=timeout)
