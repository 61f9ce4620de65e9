"""The order test files start in: the ones that run the acceptance suite for minutes first.

`make test` gives each xdist worker whole files (--dist loadfile) in collection order
(--no-loadscope-reorder; xdist's default reorder puts files with many tests first, which starts
these one- or two-test files last and leaves one worker running them alone at the end). Ranked
by their wall time in `pytest tests/ -n 2 --dist loadfile --durations` on this 2-core machine
under load (2026-11-30, before the shared runs); a file not listed is quick and keeps its place after these.
"""

from __future__ import annotations

import pytest

LONGEST_FIRST = (
    "tests/integration/test_interrupts.py",  # 650 s: a reference run and 14 interrupted ones to phase talos
    "tests/integration/test_keep_reuse_phases.py",  # 410 s: keep/reuse to network, bastion, talos
    "tests/integration/test_terraform_existing.py",  # a Terraform lab applied three times, --existing each
    "tests/integration/test_terraform_existing_replaced.py",  # its own lab applied twice (was one 390 s file)
    "tests/integration/test_keep_reuse_cozystack.py",  # 290 s: keep/reuse of the full run, external moto
    "tests/integration/test_cozystack_offline.py",  # 210 s: full, --strict-verdict and recommended runs
    "tests/recording/test_replay_runs.py",  # 150 s: replays of a full and of a failed run, the committed bundle
    "tests/integration/test_terraform_sandbox.py",  # 110 s
    "tests/integration/test_report_browser.py",  # 110 s: a full run and Chromium
    "tests/integration/test_loopback_only.py",  # 80 s: the full offline run (shared)
    "tests/integration/test_bastion_phase.py",  # 60 s
    "tests/recording/test_planted_secrets.py",  # 50 s
    "tests/fixtures/test_reporting_terminal.py",  # 45 s
    "tests/integration/test_talos_alone.py",  # 30 s
)


def rank(item: pytest.Item) -> int:
    """Where item's file comes in LONGEST_FIRST (len(LONGEST_FIRST) for every other file)."""
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
