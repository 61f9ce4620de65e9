"""`make bench`: run the benchmarks side by side and write bench/results/results.{json,md}.

Figures (bench/results.py renders them): the full offline run (wall and CPU, median of
BENCH_REPEAT=5), its API calls by run stage and kind (reports/aws_calls.json), the launch and
teardown ratios at 0.2 s per call (bench/parallel_launch.py; the teardown ratio from
bench/teardown_ratio.py when that script exists), the scale of a full run at 3, 6 and 12 nodes
(approved, scale-12 cut to 6, scale-12), the network phase alone (bench/offline_network.py) and
the suite against one `aws` process per assertion (bench/aws_per_assertion.py when it exists).
A benchmark, never a test: nothing here asserts a time.

    .venv/bin/python bench/run_all.py [--repeat 5] [--out bench/results] [--skip scale,launch,...]

--skip full keeps the API-call table unless calls is skipped too: it then comes from one run of its own
(a call count does not need five runs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from results import stage_groups, write_results  # noqa: E402

SECTIONS = ("full", "calls", "launch", "teardown", "scale", "network", "cli")
OUTCOME = re.compile(r"^=*\s*(\d+ passed.*?) in [\d.]+s", re.M)
PER_NODE = re.compile(r"test_03_talos_node\.py::\w+\[\d+\]$")


def suite_run(reports: Path, *args: str) -> dict[str, Any]:
    """One offline acceptance run in a child process: wall and CPU seconds (children included), outcome."""
    cmd = [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:randomly", "--reports-dir", str(reports),
           *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = OUTCOME.findall(done.stdout)
    return {"wall_s": wall, "cpu_s": cpu, "exit": done.returncode,
            "outcome": found[-1] if found else f"exit {done.returncode}", "reports": reports}


def calls_of(reports: Path) -> dict[str, Any]:
    """The run's API calls by stage group and kind, from its aws_calls.json."""
    doc = json.loads((reports / "aws_calls.json").read_text(encoding="utf-8"))
    groups = stage_groups(doc.get("stages", {}))
    mutating = int(doc["mutating"])
    return {"total": doc["total"], "mutating": mutating, "by_stage": groups, "by_class": doc["classes"],
            "provision_teardown_per_mutating": (groups["provision"] + groups["teardown"]) / mutating
            if mutating else None}


def per_node_passed(reports: Path) -> tuple[int, int]:
    """(scenarios passed, per-node scenario tests passed) from the run's junit.xml."""
    passed = per_node = 0
    for case in ET.parse(reports / "junit.xml").getroot().iter("testcase"):
        if any(child.tag in ("failure", "error", "skipped") for child in case):
            continue
        passed += 1
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name', '')}"
        per_node += bool(PER_NODE.search(name))
    return passed, per_node


def full_runs(repeat: int, work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    runs = [suite_run(work / f"full-{i}") for i in range(repeat)]
    for i, r in enumerate(runs):
        print(f"full run {i + 1}/{repeat}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, {r['outcome']}",
              flush=True)
    walls, cpus = [r["wall_s"] for r in runs], [r["cpu_s"] for r in runs]
    full = {"profile": "approved", "wall_s": walls, "cpu_s": cpus, "median_wall_s": statistics.median(walls),
            "median_cpu_s": statistics.median(cpus), "outcome": runs[-1]["outcome"]}
    return full, calls_of(runs[-1]["reports"])


def scale_runs(work: Path) -> list[dict[str, Any]]:
    """One full run per node count: approved (3), scale-12 cut to 6 nodes, scale-12."""
    six = work / "scale-6.yaml"
    text = (ROOT / "provisioning" / "profiles" / "scale-12.yaml").read_text(encoding="utf-8")
    six.write_text(text.replace("name: scale-12", "name: scale-6").replace("count: 12", "count: 6"),
                   encoding="utf-8")
    out = []
    for nodes, profile in ((3, "approved"), (6, str(six)), (12, "scale-12")):
        r = suite_run(work / f"scale-{nodes}", "--profile", profile)
        passed, per_node = per_node_passed(r["reports"])
        print(f"scale {nodes} nodes: {r['wall_s']:.1f} s wall, {r['outcome']}", flush=True)
        out.append({"nodes": nodes, "profile": Path(profile).stem, "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                    "calls": calls_of(r["reports"])["total"], "passed": passed, "per_node_tests": per_node})
    return out


def optional_script(name: str, what: str) -> dict[str, Any]:
    """Figures from bench/<name>.py's figures() when that benchmark exists; else why they are missing."""
    if not (ROOT / "bench" / f"{name}.py").exists():
        return {"status": f"not measured: bench/{name}.py ({what}) is not in this tree yet"}
    module = importlib.import_module(name)
    if not hasattr(module, "figures"):
        return {"status": f"not measured: bench/{name}.py has no figures() for make bench"}
    return dict(module.figures())


def kept_from_previous(figures: dict[str, Any], previous: Path) -> dict[str, Any]:
    """figures with every skipped section taken from the previous results (if measured there), named in meta."""
    if not previous.exists():
        return figures
    old = json.loads(previous.read_text(encoding="utf-8"))
    kept = [key for key, value in figures.items()
            if key != "meta" and isinstance(value, dict) and str(value.get("status", "")).endswith("(--skip)")
            and key in old and not (isinstance(old[key], dict) and "status" in old[key])]
    out = {**figures, **{key: old[key] for key in kept}}
    if kept:
        old_meta = old.get("meta", {})
        dates = {key: old_meta.get("kept_dates", {}).get(key, old_meta.get("date", "?")) for key in kept}
        out["meta"] = {**figures["meta"], "kept": kept, "kept_dates": dates}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "5")))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--skip", default=os.environ.get("BENCH_SKIP", ""), help=f"comma list of {SECTIONS}")
    ap.add_argument("--update", action="store_true",
                    help="keep the previous results.json's figures for the sections skipped now (meta says which)")
    a = ap.parse_args()
    skip = {s for s in a.skip.split(",") if s}
    figures: dict[str, Any] = {"meta": {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                                        "cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2),
                                        "repeat": a.repeat}}
    skipped = {"status": "not measured: skipped (--skip)"}
    with tempfile.TemporaryDirectory(prefix="tdg-bench-") as tmp:
        work = Path(tmp)
        if "full" in skip:  # the calls come from the last full run; alone, from one run of their own
            figures["full_run"] = skipped
            figures["calls"] = skipped if "calls" in skip else calls_of(suite_run(work / "calls")["reports"])
        else:
            figures["full_run"], figures["calls"] = full_runs(a.repeat, work)
        figures["launch"] = figures["network_phase"] = skipped
        if "launch" not in skip:
            import parallel_launch

            m = parallel_launch.measure("approved", 0.2, a.repeat)
            print(parallel_launch.report(m), end="", flush=True)
            figures["launch"] = {k: v for k, v in m.items() if k not in ("times", "calls")}
        figures["teardown"] = skipped if "teardown" in skip else optional_script(
            "teardown_ratio", "teardown of 1 vs 3 nodes at 0.2 s per call")
        figures["scale"] = skipped if "scale" in skip else scale_runs(work)
        if "network" not in skip:
            import offline_network

            from fixtures.backend import MotoServer

            with MotoServer() as url:
                offline_network.one_run(url, "approved", 0.0)  # warm-up: moto loads its data lazily
                runs = [offline_network.one_run(url, "approved", 0.0) for _ in range(a.repeat)]
            figures["network_phase"] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        figures["suite_vs_aws_cli"] = skipped if "cli" in skip else optional_script(
            "aws_per_assertion", "network verification vs one aws CLI process per assertion")
    figures["meta"]["load_after"] = round(os.getloadavg()[0], 2)
    if a.update:
        figures = kept_from_previous(figures, Path(a.out) / "results.json")
    js, md = write_results(figures, Path(a.out))
    print(md.read_text(encoding="utf-8"))
    print(f"written: {js} {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
