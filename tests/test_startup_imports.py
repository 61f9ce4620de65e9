"""Start-up cost: loading the suite's plugins does not import the kubernetes client (~0.45 s of CPU).

Every features run and every suite subprocess of `make test` loads every module of fixtures/ and
steps/; the client is imported where an API client is first built (phase 04), not before.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import importlib, sys
from pathlib import Path
for package in ("fixtures", "steps"):
    for path in sorted(Path(package).glob("*.py")):
        if path.stem != "__init__":
            importlib.import_module(f"{package}.{path.stem}")
import provisioning.cli, provisioning.platform_data
provisioning.platform_data.millicores("250m")
print(sorted({m.split(".")[0] for m in sys.modules} & {"kubernetes", "fixtures", "steps"}))
"""


def test_loading_the_suites_plugins_does_not_import_the_kubernetes_client():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "['fixtures', 'steps']", done.stdout  # not 'kubernetes'
