"""Record a full offline run (moto + stand-ins), replay it, and compare wall time and outcomes.

Usage: .venv/bin/python bench/record_replay.py [--profile approved]
Prints the recorded run's time, the replay's time (sockets and child processes refused), the
ratio, and whether the scenario outcomes were identical. A benchmark, never a test assertion.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> tuple[float, str]:
    """Run the features with args; return (seconds, stdout)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:randomly", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="approved")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tdg-bench-") as tmp:
        bundle = Path(tmp) / "bundle"
        rec_s, _ = run("--profile", opts.profile, "--record", str(bundle), "--reports-dir", f"{tmp}/rec")
        rep_s, out = run("--replay", str(bundle), "-p", "tests.recording.no_network", "--reports-dir", f"{tmp}/rep")
        same = next((line for line in out.splitlines() if line.startswith("replay outcomes")), "no comparison line")
        size = sum(p.stat().st_size for p in bundle.iterdir())
    print(f"recorded run: {rec_s:.1f} s; replay: {rep_s:.1f} s ({rep_s / rec_s:.0%} of the recorded run); "  # noqa: T201
          f"bundle {size / 1024:.0f} KiB; {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
