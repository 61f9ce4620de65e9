"""Recorded runs replay as they ran: the committed bundle with no network, and a failed run as the same failure.

The committed bundle (tests/data/recordings/bastion, network and bastion phases of the
offline run) is replayed with every socket connection and child process refused: no moto,
no stand-in, nothing dialled. If request shapes change (another engineer's change to what
the suite asks AWS or the bastion), the replay stops naming the request and the nearest
recorded one: regenerate the bundle with `make recording` and commit it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.helpers import ROOT, run_suite
from tests.integration.shared import SharedRun

pytestmark = pytest.mark.integration
COMMITTED = ROOT / "tests" / "data" / "recordings" / "bastion"
REGENERATE = "request shapes changed since the bundle was recorded: regenerate it with `make recording` and commit it"
NO_NETWORK = ("-p", "tests.recording.no_network")


@pytest.fixture(scope="module")
def committed_replay(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One replay of the committed bundle with no network (its reports directory and the finished process)."""
    reports = tmp_path_factory.mktemp("committed-replay")
    return reports, run_suite("features/", "--replay", str(COMMITTED), *NO_NETWORK, reports=reports)


def test_the_committed_bundle_is_small_and_replays_with_no_network(
        committed_replay: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    size = sum(p.stat().st_size for p in COMMITTED.iterdir())
    assert size < 1_000_000, f"the committed bundle is {size} bytes; keep it under 1 MB"
    reports, result = committed_replay
    out = result.stdout + result.stderr
    assert result.returncode == 0, f"{REGENERATE}\n{out[-6000:]}"
    manifest = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))
    assert f"replay outcomes identical to the recorded run's ({len(manifest['outcomes'])} scenarios)" in out, \
        f"{REGENERATE}\n{out[-3000:]}"
    assert (reports / "results.txt").read_text(encoding="utf-8") == manifest["results_text"], "TEST RESULTS differ"


def test_every_step_says_it_was_replayed_and_from_which_run(
        committed_replay: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    reports, result = committed_replay
    assert result.returncode == 0, f"{REGENERATE}\n{result.stdout[-4000:]}"
    when = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))["when"][:10]
    steps = [s for f in json.loads((reports / "cucumber.json").read_text(encoding="utf-8"))
             for e in f["elements"] for s in e["steps"]]
    assert steps, "no steps in cucumber.json"
    html = (reports / "acceptance.html").read_text(encoding="utf-8")
    assert f"replayed from a run of {when}" in html and "mode offline" in html


def _edited_copy(tmp_path: Path, edit: str, into: str) -> Path:
    """A copy of the committed bundle with one recorded request changed (checksums fixed up)."""
    copy = tmp_path / "bundle"
    shutil.copytree(COMMITTED, copy)
    aws = copy / "aws.jsonl.gz"
    text = gzip.decompress(aws.read_bytes()).decode()
    assert edit in text, f"{edit!r} not in the committed bundle: {REGENERATE}"
    aws.write_bytes(gzip.compress(text.replace(edit, into, 1).encode()))
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][aws.name] = hashlib.sha256(aws.read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return copy


def test_a_request_the_bundle_does_not_hold_stops_the_replay_naming_it_and_the_nearest(tmp_path: Path) -> None:
    vpc = '"op": "CreateVpc", "params": {"AmazonProvidedIpv6CidrBlock": true, "CidrBlock": '
    bundle = _edited_copy(tmp_path, vpc + '"10.10.0.0/16"', vpc + '"10.99.0.0/16"')
    result = run_suite("features/", "--replay", str(bundle), *NO_NETWORK, reports=tmp_path / "r")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "replay: the bundle holds no aws call for" in out and "CreateVpc" in out, out[-3000:]
    assert "nearest recorded" in out and "10.99.0.0/16" in out and "re-record" in out


def test_an_edited_bundle_is_refused_before_anything_runs(tmp_path: Path) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(COMMITTED, copy)
    with gzip.open(copy / "ssh.jsonl.gz", "ab") as fh:
        fh.write(b'{"key": {}, "answer": {}}\n')
    result = run_suite("features/", "--replay", str(copy), *NO_NETWORK, reports=tmp_path / "r")
    assert result.returncode == 4 and "sha256 differs from the manifest's" in result.stderr, result.stderr


def test_a_failed_run_replays_as_the_same_failure(broken_route_run: SharedRun, tmp_path: Path) -> None:
    recorded = broken_route_run  # route deleted, `--phase network --reuse --record` (tests/integration/runs.py)
    bundle = recorded.dir / "bundle"
    assert recorded.returncode == 1 and "1 failed," in recorded.stdout, recorded.stdout[-3000:]
    summary = next(line for line in recorded.stdout.splitlines() if line.startswith("1 failed,")).split(" in ")[0]
    assert recorded.facts["left"] == []

    replayed = run_suite("features/", "--replay", str(bundle), *NO_NETWORK, reports=tmp_path / "replayed")
    assert replayed.returncode == 1 and summary in replayed.stdout, replayed.stdout[-3000:]
    assert "expected 0.0.0.0/0 -> the internet gateway, found no route" in replayed.stdout
    assert "replay outcomes identical to the recorded run's" in replayed.stdout
    assert (recorded.dir / "reports" / "results.txt").read_text() == (tmp_path / "replayed" / "results.txt").read_text()


def test_a_full_offline_run_replays_with_the_same_outcomes_and_test_results(full_offline_run: SharedRun,
                                                                           tmp_path: Path) -> None:
    recorded = full_offline_run  # `pytest features/ --record <dir>/bundle` (tests/integration/runs.py)
    bundle = recorded.dir / "bundle"
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["talosctl"] > 0 and manifest["counts"]["kube"] > 0 and manifest["counts"]["ssh"] > 0
    replayed = run_suite("features/", "--replay", str(bundle), *NO_NETWORK, reports=tmp_path / "replayed")
    assert replayed.returncode == 0, replayed.stdout[-3000:]
    assert f"replay outcomes identical to the recorded run's ({len(manifest['outcomes'])} scenarios)" in \
        replayed.stdout, replayed.stdout[-3000:]
    assert (recorded.dir / "reports" / "results.txt").read_text(encoding="utf-8") == \
        (tmp_path / "replayed" / "results.txt").read_text(encoding="utf-8")
