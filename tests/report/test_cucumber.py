"""cucumber.json: steps after a failed step did not run, so they are skipped, not failed."""

from __future__ import annotations

import json
from pathlib import Path

from provisioning.report.cucumber import fix_file, skip_unrun_steps


def scenario(*statuses: tuple[str, str]) -> list[dict[str, object]]:
    steps = [{"name": f"s{i}", "result": {"status": st, **({"error_message": msg} if msg else {})}}
             for i, (st, msg) in enumerate(statuses)]
    return [{"elements": [{"name": "x", "steps": steps}]}]


def test_steps_after_the_failure_become_skipped(tmp_path: Path) -> None:
    data = scenario(("passed", ""), ("failed", "boom"), ("failed", ""), ("failed", ""))
    path = tmp_path / "cucumber.json"
    path.write_text(json.dumps(data))
    assert fix_file(path) == 2
    steps = json.loads(path.read_text())[0]["elements"][0]["steps"]
    assert [s["result"]["status"] for s in steps] == ["passed", "failed", "skipped", "skipped"]
    assert steps[1]["result"]["error_message"] == "boom"


def test_a_passing_scenario_is_left_alone() -> None:
    data = scenario(("passed", ""), ("passed", ""))
    assert skip_unrun_steps(data) == 0


def test_the_first_failure_stays_failed_even_without_a_message() -> None:
    data = scenario(("failed", ""), ("failed", ""))
    assert skip_unrun_steps(data) == 1
    assert data[0]["elements"][0]["steps"][0]["result"]["status"] == "failed"  # type: ignore[index]
