"""Signals at every instant of a real run leave nothing behind.

One reference run (network, bastion, Talos) against a loopback moto server traces every API
call with the stage the run was in. The interrupted runs then signal themselves at points
chosen from that trace by call number (TDG_SIGNAL_AT_CALL, read by the client factory) or
right after a phase's teardown finished (TDG_SIGNAL_AT_BOUNDARY): during creation, checks,
inside and between the phase teardowns and while the summary is written; SIGTERM; and a
second signal that abandons the teardown. After each run: the exit status is 130/143, no
traceback, what carries the run's tags is nothing or exactly what leftovers.json lists, and
no process the run started is still alive.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from tests.integration import warm
from tests.integration.helpers import ROOT, suite_command

pytestmark = pytest.mark.integration
MARK_ENV = "TDG_INTERRUPT_TEST_MARK"
PARALLEL = 3


@dataclass(frozen=True)
class Point:
    """Where to signal: call numbers (with :TERM for SIGTERM) or a boundary, and what exit status follows."""

    name: str
    calls: str = ""
    boundary: str = ""
    status: int = 130
    abandons: bool = False


@dataclass(frozen=True)
class Outcome:
    point: Point
    run_id: str
    returncode: int
    out: str
    reports: Path
    orphans: tuple[str, ...]


def trace_stages(path: Path) -> dict[str, list[int]]:
    """stage -> the call numbers made in it, from a TDG_CALL_TRACE file."""
    stages: dict[str, list[int]] = {}
    for line in path.read_text().splitlines():
        number, _, stage = line.split("\t")
        stages.setdefault(stage, []).append(int(number))
    return stages


def orphans(mark: str) -> tuple[str, ...]:
    """Processes still alive that carry this run's marker in their environment (none may)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name}: {cmdline[:120]}")
        except OSError:
            continue
    return tuple(found)


def run(moto_url: str, point: Point, workdir: Path, trace: Path | None = None) -> Outcome:
    run_id = f"i{secrets.token_hex(4)}"
    reports = workdir / point.name
    mark = secrets.token_hex(8)
    env = {**os.environ, MARK_ENV: mark, "TDG_SIGNAL_AT_CALL": point.calls, "TDG_SIGNAL_AT_BOUNDARY": point.boundary}
    env.pop("PYTEST_ADDOPTS", None)
    if trace is not None:
        env["TDG_CALL_TRACE"] = str(trace)
    cmd = suite_command("features/", "--phase", "talos", "--aws-endpoint", moto_url, "--run-id", run_id,
                        reports=reports)
    try:
        done = warm.run(cmd, cwd=ROOT, env=env, timeout=900)  # a process of its own: a fork of the warm server
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{point.name}: the suite did not stop within 900 s") from exc
    return Outcome(point, run_id, done.returncode, done.stdout + done.stderr, reports, orphans(mark))


def points(stages: dict[str, list[int]]) -> list[Point]:
    """The interrupt points, chosen from the reference run's stages as the K-th call of a stage.

    Stage-relative: the run's total call count varies (NotFound retries of the eventually
    consistent offline EC2, console polls), the place of a call inside its stage far less.
    """
    def at(stage: str, where: float) -> str:
        return f"{stage}#{min(len(stages[stage]), int(len(stages[stage]) * where) + 1)}"

    bastion_teardown = len(stages["teardown:bastion"])
    return [
        Point("network-creation", at("provision:network", 0.3)),
        Point("bastion-creation", at("provision:bastion", 0.5)),
        Point("talos-creation", at("provision:talos", 0.5)),
        Point("network-checks", "checks#1"),
        Point("late-checks", at("checks", 0.75)),
        Point("talos-teardown-first-call", "teardown:talos#1"),
        Point("talos-teardown-late-call", at("teardown:talos", 0.75)),
        Point("after-talos-teardown", boundary="teardown:talos"),
        Point("bastion-teardown-first-call", "teardown:bastion#1"),
        Point("after-bastion-teardown", boundary="teardown:bastion"),
        Point("network-teardown-late-call", at("teardown:network", 0.75)),
        Point("summary", "summary#1"),
        Point("sigterm-between-teardowns", boundary="teardown:talos:TERM", status=143),
        Point("double-during-teardown", f"teardown:bastion#1,teardown:bastion#{min(bastion_teardown, 7)}",
              abandons=True),
    ]


def reach(point: Point, stages: dict[str, list[int]]) -> float:
    """How far into the reference run point signals (its first call number; a boundary: just after its stage).

    The interrupted runs start the farthest-reaching first: a run lasts about as long as its point is far, so
    with PARALLEL at a time the short ones fill in at the end instead of one long run finishing alone.
    """
    if point.boundary:
        return max(stages[point.boundary.split(":TERM")[0]]) + 0.5
    stage, _, k = point.calls.split(",")[0].split(":TERM")[0].rpartition("#")
    return float(stages[stage][int(k) - 1])


def check(outcome: Outcome, factory: ClientFactory) -> list[str]:
    """What went wrong with one interrupted run (empty = it held)."""
    p, problems = outcome.point, []
    if outcome.returncode != p.status:
        problems.append(f"exit status {outcome.returncode}, expected {p.status}")
    for bad in ("Traceback", "INTERNALERROR"):
        if bad in outcome.out:
            problems.append(f"printed {bad}")
    tagged = find_tagged(factory, outcome.run_id)
    listed_path = outcome.reports / "leftovers.json"
    entries = json.loads(listed_path.read_text())["resources"] if listed_path.exists() else []
    listed = {r["id"] for r in entries}
    # A root volume goes with its instance (DeleteOnTermination): covered when its phase's instance is listed.
    instance_phases = {r["phase"] for r in entries if r["kind"] == "instance"}
    left = {f.id for f in tagged if not (f.kind == "volume" and f.tags.get("tdg:phase") in instance_phases)}
    if left != listed:
        problems.append(f"tagged resources {sorted(left)} but leftovers.json lists {sorted(listed)}")
    if p.abandons and "abandoning teardown" not in outcome.out:
        problems.append("the second signal did not abandon the teardown")
    if not p.abandons and left:
        problems.append(f"one signal left {len(left)} resource(s)")
    if outcome.orphans:
        problems.append(f"processes still alive: {list(outcome.orphans)}")
    if "AWS API calls" not in outcome.out:
        problems.append("no summary printed")
    return [f"{p.name} (run {outcome.run_id}, calls {p.calls or p.boundary}): {x}" for x in problems]


def sweep(factory: ClientFactory, outcome: Outcome) -> None:
    """Remove what an abandoned run left, from its leftovers.json (what `tdg sweep` does)."""
    path = outcome.reports / "leftovers.json"
    if path.exists():
        Executor(RunContext(factory, outcome.run_id, "approved"), Ledger.load(path), sleep=lambda s: None).teardown()


def test_a_signal_at_any_instant_leaves_nothing(factory: ClientFactory, moto_url: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace.tsv"
    reference = run(moto_url, Point("reference", status=0), tmp_path, trace)
    assert reference.returncode == 0, reference.out[-4000:]
    assert find_tagged(factory, reference.run_id) == [] and not reference.orphans
    made = len(trace.read_text().splitlines())  # every call, the last Cost Explorer one included
    assert f"run {reference.run_id}: {made} AWS API calls" in reference.out, reference.out[-2000:]
    stages = trace_stages(trace)
    chosen = sorted(points(stages), key=lambda p: reach(p, stages), reverse=True)
    assert len(chosen) >= 12
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(lambda p: run(moto_url, p, tmp_path), chosen))
    problems = [x for o in outcomes for x in check(o, factory)]
    for o in outcomes:
        sweep(factory, o)
    assert not problems, "\n".join(problems)
    assert all(find_tagged(factory, o.run_id) == [] for o in outcomes)
