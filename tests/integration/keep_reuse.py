"""--keep then --reuse of one phase, as an operator runs them, and what each session left behind.

Each session is the suite in a subprocess (`--phase P --keep --run-id X`, then `--phase P --reuse X`,
which tears the run down); a Session holds its exit, scenario outcomes (junit.xml, cucumber.json)
and API calls by class (aws_calls.json). Used by test_keep_reuse_phases.py (in-process moto) and
test_keep_reuse_cozystack.py (a moto server in its own process).
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixtures.processes import end
from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from tests.integration.helpers import ROOT, run_suite

RUN_DIR = ROOT / ".tdg" / "runs"
# No Tailscale key in either session: the gateway scenario is skipped the same way both times.
ENV = {"TDG_TAILSCALE_AUTHKEY": "", "TDG_TAILSCALE_AUTHKEY_FILE": ""}
FEATURES = {"network": "features.test_01_network", "bastion": "features.test_02_bastion",
            "talos": "features.test_03_talos_node", "cozystack": "features.test_04_cozystack"}


@dataclass(frozen=True)
class Session:
    """One pytest session of the suite: its exit, scenario outcomes and API calls."""

    returncode: int
    stdout: str
    stderr: str
    junit: dict[str, str]
    cucumber: dict[str, str]
    calls: dict[str, Any]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

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
    calls = json.loads((reports / "aws_calls.json").read_text(encoding="utf-8"))
    return Session(done.returncode, done.stdout, done.stderr, junit_outcomes(reports / "junit.xml"),
                   cucumber_outcomes(reports / "cucumber.json"), calls)


def sweep(endpoint: str, run_id: str) -> None:
    """Remove whatever a failed test left of the run (the tagged resources only)."""
    subprocess.run([sys.executable, "-m", "provisioning.cli", "sweep", "--run-id", run_id, "--endpoint", endpoint,
                    "--yes"], cwd=ROOT, capture_output=True, timeout=300, check=False)


@dataclass(frozen=True)
class Sequence:
    run_id: str
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
        # The run's files (not the bin/ directory of the talosctl launcher, which holds no secret)
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in talos_dir.iterdir() if p.is_file()} \
            if talos_dir.is_dir() else {}
        reused = run_session("--phase", phase, "--aws-endpoint", endpoint, "--reuse", run_id,
                             reports=tmp_path / "reuse")
        left_after_reuse = sorted(f"{f.kind} {f.id}" for f in find_tagged(clients, run_id))
        return Sequence(run_id, kept, reused, left_after_keep, left_after_reuse, files, talos_dir.exists())
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


@contextmanager
def external_moto() -> Iterator[str]:
    """A moto server in its own process on 127.0.0.1, as an operator starts one."""
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
        end(proc, 10.0)


