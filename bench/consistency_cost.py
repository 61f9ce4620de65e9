"""Benchmark: what the eventually consistent offline EC2 costs the offline acceptance run.

Runs `pytest features/` (the default profile, offline) N times with the layer on (the default
lag) and N times with --no-eventual-consistency, alternating, and prints the median wall time
of each and the difference; writes reports/bench-consistency-cost.txt. A benchmark, not a
test: it asserts nothing.

    .venv/bin/python bench/consistency_cost.py [--repeat 5] [--lag 0.25] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(extra: list[str]) -> tuple[float, int]:
    """Wall seconds and exit code of one offline acceptance run."""
    with tempfile.TemporaryDirectory(prefix="tdg-bench-") as reports:
        cmd = [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:randomly", "--reports-dir", reports, *extra]
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        return time.perf_counter() - t0, done.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lag", type=float, default=None,
                    help="--consistency-lag of the 'on' runs (default: the suite's)")
    ap.add_argument("extra", nargs="*", help="more pytest arguments for every run (after --)")
    a = ap.parse_args()
    on_args = [*a.extra, *(["--consistency-lag", str(a.lag)] if a.lag is not None else [])]
    off_args = [*a.extra, "--no-eventual-consistency"]
    times: dict[str, list[float]] = {"on": [], "off": []}
    for i in range(a.repeat):
        for name, extra in (("on", on_args), ("off", off_args)):
            seconds, code = one_run(extra)
            times[name].append(seconds)
            print(f"run {i + 1}/{a.repeat} layer {name:3}: {seconds:6.1f} s (exit {code})", flush=True)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    lines = [f"offline acceptance run (pytest features/ {' '.join(a.extra)}), median of {a.repeat}:",
             f"  eventual consistency on  ({'lag ' + str(a.lag) + ' s' if a.lag else 'default lag'}): {on:.1f} s",
             f"  eventual consistency off: {off:.1f} s",
             f"  cost of the layer: {on - off:+.1f} s ({(on - off) / off * 100:+.0f}%)"]
    print("\n".join(lines))
    out = ROOT / "reports" / "bench-consistency-cost.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
