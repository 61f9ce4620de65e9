"""The GitHub Actions workflow: valid for GitHub (vendored schema, offline) and shaped as the README says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "acceptance.yml"
DEAD_PROXY = "http://127.0.0.1:9"  # any attempt to fetch a schema fails instead of reaching the internet


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """Validate path against check-jsonschema's vendored github-workflows schema, with no network."""
    env = {**os.environ, "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY, "http_proxy": DEAD_PROXY,
           "https_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": ""}
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_workflow_passes_the_github_workflows_schema() -> None:
    result = check_schema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    broken = dict(workflow)
    broken["jobs"] = {"offline": {k: v for k, v in workflow["jobs"]["offline"].items() if k != "runs-on"}}
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = check_schema(path)
    assert result.returncode != 0, result.stdout
    assert "runs-on" in result.stdout + result.stderr


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_offline_job_runs_make_acceptance_on_push_and_uploads_reports(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert "push" in triggers and "workflow_dispatch" in triggers
    job = workflow["jobs"]["offline"]
    runs = [s.get("run", "") for s in _steps(job)]
    assert any(r.strip() == "make acceptance" for r in runs)
    upload = next(s for s in _steps(job) if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "reports/"
    assert upload["if"] == "${{ !cancelled() }}"
    assert workflow["permissions"] == {"contents": "read"}


def test_live_job_is_manual_disabled_by_default_and_uses_oidc_only(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["live"]
    assert "workflow_dispatch" in job["if"] and "vars.TDG_LIVE_ENABLED == 'true'" in job["if"]
    assert job["permissions"]["id-token"] == "write"
    creds = next(s for s in _steps(job) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"))
    assert creds["with"]["role-to-assume"] == "${{ vars.TDG_AWS_ROLE_ARN }}"
    text = WORKFLOW.read_text(encoding="utf-8").lower()
    for key_name in ("aws-access-key-id", "aws-secret-access-key", "aws_access_key_id", "aws_secret_access_key"):
        assert key_name not in text, f"long-lived AWS keys must not appear in the workflow ({key_name})"
    assert any("--aws-live" in s.get("run", "") for s in _steps(job))


CREDS_ACTION = "aws-actions/configure-aws-credentials@"
ALWAYS = ("${{ always() }}", "always()")
TEARDOWN_MARGIN_S = 20 * 60  # the run's own teardown after a step timeout, on the first session


def _index(steps: list[dict[str, Any]], predicate: Any, what: str) -> int:
    __tracebackhide__ = True
    hits = [i for i, s in enumerate(steps) if predicate(s)]
    assert hits, f"live job: no step {what}"
    return hits[0]


def test_live_job_refreshes_the_role_session_before_the_sweep(workflow: dict[Any, Any]) -> None:
    """An expired token never strands resources: the run ends inside its session, the sweep gets a fresh one."""
    steps = _steps(workflow["jobs"]["live"])
    creds = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith(CREDS_ACTION)]
    run = _index(steps, lambda s: "--aws-live" in s.get("run", ""), "running the live acceptance run")
    sweep = _index(steps, lambda s: "tdg sweep" in s.get("run", ""), "running tdg sweep")
    first = steps[creds[0]]
    minutes = steps[run].get("timeout-minutes")
    assert isinstance(minutes, int), "the live acceptance step needs timeout-minutes so its teardown runs in-session"
    duration = int(first["with"]["role-duration-seconds"])
    assert minutes * 60 + TEARDOWN_MARGIN_S <= duration, (
        f"role session {duration} s does not cover the run ({minutes} min) plus {TEARDOWN_MARGIN_S} s of teardown")
    refresh = [i for i in creds if run < i < sweep]
    assert refresh, "no configure-aws-credentials step between the live run and the sweep"
    step = steps[refresh[0]]
    assert step.get("if") in ALWAYS, f"the refresh must run after failures too: {step.get('if')}"
    assert step["with"]["role-to-assume"] == first["with"]["role-to-assume"]
    assert steps[sweep].get("if") in ALWAYS
    sweep_minutes = steps[sweep].get("timeout-minutes")
    assert isinstance(sweep_minutes, int), "the sweep step needs its own timeout-minutes"
    job_minutes = workflow["jobs"]["live"]["timeout-minutes"]
    assert job_minutes > minutes + sweep_minutes, (
        f"job timeout {job_minutes} min leaves no room for the run ({minutes}) and the sweep ({sweep_minutes})")
