"""Acceptance runs shared by the tests that only read them: one run per key per pytest session.

Several tests ask the same question of the same run (the full offline run of the approved
profile; the network run of a lab with its default route deleted) and differ only in what they
read from it. Such a run is made once per pytest session under a key and its outcome (exit
status, output, reports and whatever else the producer wrote into its directory, and the facts
it observed, such as what was left tagged) is kept on disk. Under pytest-xdist the workers share
one directory of the session's base temp, and a lock file makes the first worker that asks run
it while the others wait for it and then read the same outcome.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

Produce = Callable[[Path], tuple[subprocess.CompletedProcess[str], dict[str, Any]]]


@dataclass(frozen=True)
class SharedRun:
    """A finished run: its exit status and output, its directory (reports, bundles) and observed facts."""

    returncode: int
    stdout: str
    stderr: str
    dir: Path
    facts: dict[str, Any]


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The session's directory of shared runs (under xdist: the one all workers of the session share)."""
    base = factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-runs"
    root.mkdir(exist_ok=True)
    return root


def shared_run(root: Path, key: str, produce: Produce) -> SharedRun:
    """The run stored under key, made by produce(its directory) if no test of this session made it yet.

    produce returns the finished process and the facts it observed (JSON-able). If it raises,
    nothing is stored and the next test that asks runs it again (and fails the same honest way).
    """
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        work, done = root / key, root / f"{key}.json"
        if not done.exists():
            if work.exists():
                shutil.rmtree(work)
            work.mkdir()
            result, facts = produce(work)
            done.write_text(json.dumps({"returncode": result.returncode, "stdout": result.stdout,
                                        "stderr": result.stderr, "facts": facts}), encoding="utf-8")
        data = json.loads(done.read_text(encoding="utf-8"))
    return SharedRun(data["returncode"], data["stdout"], data["stderr"], work, data["facts"])
