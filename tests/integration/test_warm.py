"""The warm starter's runs behave as exec'd processes do: status, signals, environment, cwd, output, timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration import warm
from tests.integration.helpers import ROOT, suite_command


@pytest.fixture(scope="module")
def starter() -> warm.WarmStarter:
    s = warm.WarmStarter()
    yield s
    s.close()


def both(starter: warm.WarmStarter, code: str, env: dict[str, str] | None = None,
         timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    cmd = [sys.executable, "-c", code]
    full = {**os.environ, **(env or {})}
    cold = subprocess.run(cmd, cwd=ROOT, env=full, text=True, capture_output=True, timeout=timeout, check=False)
    return cold, starter.run(cmd, cwd=ROOT, env=full, timeout=timeout)


@pytest.mark.parametrize("code", [
    "print('out'); import sys; print('err', file=sys.stderr)",
    "raise SystemExit(3)",
    "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
    "import os, signal; os.kill(os.getpid(), signal.SIGINT)",
    "raise ValueError('boom')",
    "import os, sys; print(os.environ['TDG_WARM_PROBE'], os.getcwd(), sys.argv[1:], os.getppid() > 1)",
    "import atexit; atexit.register(lambda: print('at exit'))",
    "import sys; sys.stdout.write('no newline'); raise SystemExit('a message')",
])
def test_a_warm_run_ends_as_a_cold_one(starter: warm.WarmStarter, code: str) -> None:
    cold, hot = both(starter, code, {"TDG_WARM_PROBE": "probe-value"})
    assert hot.returncode == cold.returncode, (hot, cold)
    assert hot.stdout == cold.stdout
    assert hot.stderr.splitlines()[-1:] == cold.stderr.splitlines()[-1:]


def test_its_own_process_and_the_server_outlive_each_run(starter: warm.WarmStarter) -> None:
    cmd = [sys.executable, "-c", "import os; print(os.getpid())"]
    pids = {starter.run(cmd, cwd=ROOT, env=dict(os.environ), timeout=30).stdout for _ in range(2)}
    assert len(pids) == 2 and str(os.getpid()) not in pids


def test_a_run_past_its_timeout_is_killed(starter: warm.WarmStarter) -> None:
    cmd = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(subprocess.TimeoutExpired):
        starter.run(cmd, cwd=ROOT, env=dict(os.environ), timeout=1)
    assert starter.run([sys.executable, "-c", "print(1)"], cwd=ROOT, env=dict(os.environ), timeout=30).stdout == "1\n"


def test_the_suite_collects_the_same_when_warm(starter: warm.WarmStarter, tmp_path: Path) -> None:
    cmd = suite_command("features/", "--collect-only", reports=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    cold = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, timeout=120, check=False)
    hot = starter.run(cmd, cwd=ROOT, env=env, timeout=120)
    assert (hot.returncode, hot.stdout.splitlines()[:-1]) == (cold.returncode, cold.stdout.splitlines()[:-1])
    assert "PytestAssertRewriteWarning" not in hot.stdout + hot.stderr
    assert "tests collected" in hot.stdout or "test collected" in hot.stdout or "scenario" in hot.stdout


def test_cold_start_is_kept_on_request(starter: warm.WarmStarter) -> None:
    cmd = [sys.executable, "-c", "import os; print(os.getppid())"]
    env = {**os.environ, warm.COLD_ENV: "1"}
    assert starter.run(cmd, cwd=ROOT, env=env, timeout=30).stdout.strip() == str(os.getpid())


def test_a_run_with_its_own_python_variables_starts_a_fresh_interpreter(starter: warm.WarmStarter,
                                                                       tmp_path: Path) -> None:
    """A sitecustomize on PYTHONPATH (the network audit's way in) runs only at interpreter start."""
    (tmp_path / "sitecustomize.py").write_text("import builtins; builtins.TDG_SITE_RAN = True\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-c", "import builtins; print(getattr(builtins, 'TDG_SITE_RAN', False))"]
    assert starter.run(cmd, cwd=ROOT, env=env, timeout=30).stdout.strip() == "True"
