"""Ctrl-C and SIGTERM during a real provisioning run leave nothing behind; a second signal
abandons the teardown and writes leftovers.json listing exactly what is still there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from tests.integration.helpers import ROOT, suite_command

pytestmark = pytest.mark.integration


def start(moto_url: str, run_id: str, reports: Path, latency: float) -> subprocess.Popen[str]:
    env = {**os.environ, "TDG_API_LATENCY_S": str(latency)}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = suite_command("features/", "--phase", "network", "--aws-endpoint", moto_url, "--run-id", run_id,
                        reports=reports)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Wait for the suite; on a hang kill it and fail with what it printed."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"suite did not stop within {timeout}s\n{out[-3000:]}\n{err[-3000:]}") from None


def ledger_size(run_id: str) -> int:
    path = ROOT / ".tdg" / "runs" / run_id / "ledger.json"
    try:
        return len(json.loads(path.read_text())["resources"])
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def wait_until(what: str, cond, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_mid_provisioning_tears_everything_down(sig: signal.Signals, factory: ClientFactory,
                                                           moto_url: str, run_id: str, tmp_path: Path) -> None:
    proc = start(moto_url, run_id, tmp_path, latency=0.1)
    wait_until("three resources in the ledger", lambda: ledger_size(run_id) >= 3)
    assert find_tagged(factory, run_id), "provisioning should have created tagged resources by now"
    proc.send_signal(sig)
    out, err = finish(proc)
    assert proc.returncode == 2, out + err
    assert "stopping and tearing down" in err
    assert find_tagged(factory, run_id) == [], "resources of the interrupted run were left behind"
    assert not (tmp_path / "leftovers.json").exists()


def test_second_signal_abandons_and_lists_leftovers(factory: ClientFactory, moto_url: str, run_id: str,
                                                    tmp_path: Path) -> None:
    proc = start(moto_url, run_id, tmp_path, latency=0.25)
    wait_until("six resources in the ledger", lambda: ledger_size(run_id) >= 6)
    proc.send_signal(signal.SIGTERM)
    peak = ledger_size(run_id)
    wait_until("teardown to start", lambda: 0 < ledger_size(run_id) < peak)
    proc.send_signal(signal.SIGTERM)
    out, err = finish(proc)
    assert proc.returncode != 0, out + err
    assert "abandoning teardown" in err
    leftovers = json.loads((tmp_path / "leftovers.json").read_text())
    assert leftovers["run_id"] == run_id
    listed = {r["id"] for r in leftovers["resources"]}
    still_there = {f.id for f in find_tagged(factory, run_id)}
    assert listed and listed == still_there
    # What the sweeper does with the file: tear the rest down by its ledger.
    ledger = Ledger.load(tmp_path / "leftovers.json")
    Executor(RunContext(factory, run_id, "approved"), ledger, sleep=lambda s: None).teardown()
    assert find_tagged(factory, run_id) == []
