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
