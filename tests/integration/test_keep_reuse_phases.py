"""--keep then --reuse, per phase: the same scenario outcomes, nothing created the second time, nothing left.

The Test-Driven Generation loop provisions once with --keep and re-runs the features against the
kept lab with --reuse. For each phase the suite runs twice in a subprocess, as an operator runs
it: `--phase P --keep --run-id X`, then `--phase P --reuse X` (which tears the run down). Then:
- every scenario has the same outcome in both sessions (junit.xml and cucumber.json),
- the second session made no create-class API call (reports/aws_calls.json),
- no resource tagged with the run is left, and the run's Talos files went with it.

The suite's own moto server dies with its session, so --keep is refused there (see
test_keep_reuse.py); a kept run needs an endpoint that outlives pytest. Two kinds are used:
the test process's moto server (in-process, like test_keep_reuse.py) for network, bastion and
talos, and a moto server in its own process, started here as an operator would, for the full
run to cozystack (which covers every phase's scenarios against it).
"""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from tests.integration.helpers import ROOT, run_suite

pytestmark = pytest.mark.integration

RUN_DIR = ROOT / ".tdg" / "runs"
# No Tailscale key in either session: the gateway scenario is skipped the same way both times.
ENV = {"TDG_TAILSCALE_AUTHKEY": "", "TDG_TAILSCALE_AUTHKEY_FILE": ""}
FEATURES = {"network": "features.test_01_network", "bastion": "features.test_02_bastion",
            "talos": "features.test_03_talos_node", "cozystack": "features.test_04_cozystack"}


@dataclass(frozen=True)
class Session:
    """One pytest session of the suite: its exit, scenario outcomes and API calls."""

    returncode: int
    output: str
    junit: dict[str, str]
    cucumber: dict[str, str]
    calls: dict[str, Any]

    @property
    def creates(self) -> int:
        return int(self.calls["classes"]["create"])

    def created_operations(self) -> dict[str, int]:
        return {op: n for op, n in self.calls["operations"].items()
                if op.split(":", 1)[1].startswith(("Create", "Run", "Allocate", "Import", "Put", "Add", "Associate",
                                                   "Attach", "Authorize", "Request", "Register"))}


def junit_outcomes(path: Path) -> dict[str, str]:
    """Test case -> passed, failed, error, skipped or xfailed, from pytest's junit.xml."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        skipped = case.find("skipped")
        if case.find("failure") is not None:
            out[name] = "failed"
        elif case.find("error") is not None:
            out[name] = "error"
        elif skipped is not None:
            out[name] = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            out[name] = "passed"
    return out


def cucumber_outcomes(path: Path) -> dict[str, str]:
    """Scenario -> the statuses of its steps in order (failed, passed, skipped ...), from cucumber.json."""
    out = {}
    for feature in json.loads(path.read_text(encoding="utf-8")):
        for element in feature.get("elements", []):
            key = f"{feature['name']}::{element['name']}::{element.get('id', '')}"
            out[key] = ",".join(step["result"]["status"] for step in element.get("steps", []))
    return out


def run_session(*args: str, reports: Path) -> Session:
    done = run_suite("features/", *args, reports=reports, env=ENV, timeout=900)
    output = done.stdout + done.stderr
    calls = json.loads((reports / "aws_calls.json").read_text(encoding="utf-8"))
    return Session(done.returncode, output, junit_outcomes(reports / "junit.xml"),
                   cucumber_outcomes(reports / "cucumber.json"), calls)


def sweep(endpoint: str, run_id: str) -> None:
    """Remove whatever a failed test left of the run (the tagged resources only)."""
    subprocess.run([sys.executable, "-m", "provisioning.cli", "sweep", "--run-id", run_id, "--endpoint", endpoint,
                    "--yes"], cwd=ROOT, capture_output=True, timeout=300, check=False)


@dataclass(frozen=True)
class Sequence:
    kept: Session
    reused: Session
    left_after_keep: list[str]
    left_after_reuse: list[str]
    talos_files_after_keep: dict[str, int]
    talos_dir_after_reuse: bool


def keep_then_reuse(endpoint: str, phase: str, run_id: str, tmp_path: Path) -> Sequence:
    """--phase phase --keep --run-id run_id, then --phase phase --reuse run_id; what each left behind."""
    clients = ClientFactory(region="eu-west-1", mode="endpoint", endpoint_url=endpoint)
    talos_dir = RUN_DIR / run_id / "talos"
    try:
        kept = run_session("--phase", phase, "--aws-endpoint", endpoint, "--run-id", run_id, "--keep",
                           reports=tmp_path / "keep")
        left_after_keep = sorted(f"{f.kind} {f.id}" for f in find_tagged(clients, run_id))
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in talos_dir.iterdir()} if talos_dir.is_dir() else {}
        reused = run_session("--phase", phase, "--aws-endpoint", endpoint, "--reuse", run_id,
                             reports=tmp_path / "reuse")
        left_after_reuse = sorted(f"{f.kind} {f.id}" for f in find_tagged(clients, run_id))
        return Sequence(kept, reused, left_after_keep, left_after_reuse, files, talos_dir.exists())
    finally:
        if find_tagged(clients, run_id):
            sweep(endpoint, run_id)


def check_sequence(seq: Sequence, phase: str) -> None:
    __tracebackhide__ = True
    kept, reused = seq.kept, seq.reused
    assert kept.returncode == 0, f"--keep session failed:\n{kept.output[-4000:]}"
    assert seq.left_after_keep, "--keep left nothing tagged to reuse"
    assert kept.creates > 0, f"the --keep session created nothing: {kept.calls['classes']}"
    assert reused.returncode == 0, f"--reuse session failed:\n{reused.output[-4000:]}"
    assert reused.junit == kept.junit, _differences("junit", kept.junit, reused.junit)
    assert reused.cucumber == kept.cucumber, _differences("cucumber", kept.cucumber, reused.cucumber)
    ran = {name: o for name, o in kept.junit.items() if name.startswith(f"{FEATURES[phase]}::")}
    assert ran and set(ran.values()) <= {"passed", "xfailed", "skipped"} and "passed" in ran.values(), \
        f"the {phase} feature's scenarios did not run: {ran}"
    assert reused.creates == 0, f"--reuse created: {reused.created_operations()}"
    assert seq.left_after_reuse == [], f"left after the --reuse teardown: {seq.left_after_reuse}"


def _differences(what: str, first: dict[str, str], second: dict[str, str]) -> str:
    keys = sorted(set(first) | set(second))
    diff = [f"  {k}: keep={first.get(k)} reuse={second.get(k)}" for k in keys if first.get(k) != second.get(k)]
    return f"{what} outcomes differ between --keep and --reuse:\n" + "\n".join(diff)


def counts(session: Session) -> dict[str, int]:
    found: dict[str, int] = {}
    for outcome in session.junit.values():
        found[outcome] = found.get(outcome, 0) + 1
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def external_moto() -> Iterator[str]:
    """A moto server in its own process on 127.0.0.1, as an operator starts one, shared by this module."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server on 127.0.0.1:{port} did not come up") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.parametrize("phase", ["network", "bastion", "talos"])
def test_keep_then_reuse_each_phase_in_process_moto(phase: str, moto_url: str, run_id: str, tmp_path: Path) -> None:
    seq = keep_then_reuse(moto_url, phase, run_id, tmp_path)
    check_sequence(seq, phase)
    print(f"{phase} (in-process moto): keep {counts(seq.kept)}, reuse {counts(seq.reused)}, "  # noqa: T201
          f"creates {seq.kept.creates}/{seq.reused.creates}, left {len(seq.left_after_reuse)}")


def test_keep_then_reuse_through_cozystack_on_an_external_moto_server(external_moto: str, run_id: str,
                                                                       tmp_path: Path) -> None:
    seq = keep_then_reuse(external_moto, "cozystack", run_id, tmp_path)
    check_sequence(seq, "cozystack")
    assert counts(seq.kept).get("xfailed", 0) > 0, "the approved profile's blockers should be expected failures"
    secret = {name: mode for name, mode in seq.talos_files_after_keep.items() if not name.endswith(".jsonl")}
    assert {"talosconfig", "kubeconfig", "talosctl-standin.json", "kube-standin.json"} <= set(secret), secret
    assert all(mode == 0o600 for mode in secret.values()), secret
    assert not seq.talos_dir_after_reuse, "the run's Talos files outlived its teardown"
    print(f"cozystack (external moto): keep {counts(seq.kept)}, reuse {counts(seq.reused)}, "  # noqa: T201
          f"creates {seq.kept.creates}/{seq.reused.creates}, left {len(seq.left_after_reuse)}")
