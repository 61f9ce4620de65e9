"""tdg recording diff: what changed between two recorded runs, and "no changes" for the same run.

The "after" run is a copy of the committed full offline run with what a second run could change:
one HelmRelease not Ready, one scenario failed, talosctl health failing, one instance fewer
launched, a slower Talos phase.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provisioning.cli import main
from provisioning.recording.bundle import BundleError
from provisioning.recording.diff import compare, render, summarize
from tests.recording.bundles import (
    BASTION,
    FULL,
    REGENERATE,
    copy,
    edit_channel,
    edit_json_answer,
    manifest,
    write_manifest,
)

FAILED_SCENARIO = "The cluster passes talosctl health"
HEALTH_LINE = "waiting for all nodes memory sizes: node 10.10.0.102: memory 1.9 GiB is below 2.0 GiB"


def _worse_run(tmp_path: Path) -> Path:
    bundle = copy(FULL, tmp_path / "after")

    def helmrelease(items: list[dict[str, Any]]) -> None:
        def fail(body: dict[str, Any]) -> None:
            release = next(r for r in body["items"] if r["metadata"]["name"] == "kubevirt-operator")
            release["status"]["conditions"][0].update(status="False", reason="InstallFailed")
        found = [e for e in items if e["key"]["method"] == "GET" and e["key"]["path"].endswith("/helmreleases")]
        assert found, f"no HelmRelease list in the bundle: {REGENERATE}"
        edit_json_answer(found[-1], fail)

    def health(items: list[dict[str, Any]]) -> None:
        entry = next(e for e in items if e["key"]["args"][0] == "health")
        entry["answer"].update(rc=1, stderr=entry["answer"]["stderr"] + HEALTH_LINE + "\n")

    def one_instance_fewer(items: list[dict[str, Any]]) -> None:
        items.remove(next(e for e in reversed(items) if e["key"]["op"] == "RunInstances"))

    edit_channel(bundle, "kube", helmrelease)
    edit_channel(bundle, "talosctl", health)
    edit_channel(bundle, "aws", one_instance_fewer)
    body = manifest(bundle)
    for outcome in body["outcomes"]:
        if outcome["scenario"] == FAILED_SCENARIO:
            outcome["outcome"] = "failed"
        if outcome["phase"] == "talos":
            outcome["duration_s"] = f"{float(outcome['duration_s']) * 2:.3f}"
    write_manifest(bundle, {**body, "run_id": "recorded-again", "when": "2026-12-03T09:15:00+00:00"})
    return bundle


def test_the_same_run_twice_gives_no_changes(tmp_path: Path) -> None:
    again = copy(BASTION, tmp_path / "again")
    diff = compare(summarize(BASTION), summarize(again))
    assert diff["identical"] and not any(diff["changes"].values()), diff["changes"]
    assert "no changes: same resources, timings, health and HelmRelease states" in render(diff)
    assert "no changes" in render(diff, markdown=True)


def test_a_changed_run_shows_resources_timings_health_and_helmreleases(tmp_path: Path) -> None:
    after = _worse_run(tmp_path)
    diff = compare(summarize(FULL), summarize(after))
    changes = diff["changes"]
    assert not diff["identical"]
    assert {"item": "RunInstances", "before": 4, "after": 3} in changes["resources"]
    assert changes["helmreleases"] == [{"item": "cozy-kubevirt/kubevirt-operator", "before": "Ready",
                                        "after": "not Ready (InstallFailed)"}]
    health = {r["item"]: (r["before"], r["after"]) for r in changes["health"]}
    assert health[f"talos: {FAILED_SCENARIO}"] == ("passed", "failed")
    assert health["talosctl health"] == ("healthy", f"exit 1: {HEALTH_LINE}")
    talos_time = next(r for r in changes["timings"] if r["item"] == "phase talos (scenarios)")
    assert talos_time["after"] > talos_time["before"] and talos_time["change"] > 0
    assert [r["item"] for r in changes["ids"]] == ["RunInstances"]


def test_the_terminal_table_and_markdown_say_before_and_after(tmp_path: Path) -> None:
    diff = compare(summarize(FULL), summarize(_worse_run(tmp_path)))
    table = render(diff)
    assert "after:  run recorded-again of 2026-12-03 09:15 UTC, mode offline" in table
    row = next(line for line in table.splitlines() if "cozy-kubevirt/kubevirt-operator" in line)
    assert row.split() == ["cozy-kubevirt/kubevirt-operator", "Ready", "not", "Ready", "(InstallFailed)"]
    markdown = render(diff, markdown=True)
    assert "## HelmRelease states" in markdown
    assert "| cozy-kubevirt/kubevirt-operator | Ready | not Ready (InstallFailed) |" in markdown
    assert "| RunInstances | 4 | 3 |" in markdown


def test_the_cli_prints_a_table_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = _worse_run(tmp_path)
    assert main(["recording", "diff", str(FULL), str(after)]) == 0
    assert "HelmRelease states:" in capsys.readouterr().out
    assert main(["recording", "diff", str(FULL), str(after), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["after"]["run_id"] == "recorded-again" and body["changes"]["helmreleases"]


def test_a_bundle_that_fails_its_checksums_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = copy(BASTION, tmp_path / "bad")
    edit_channel(bad, "ssh", lambda items: items.pop(), fix_checksum=False)
    with pytest.raises(BundleError, match="ssh.jsonl.gz: sha256 differs"):
        summarize(bad)
    assert main(["recording", "diff", str(BASTION), str(bad)]) == 2
    assert "sha256 differs from the manifest's" in capsys.readouterr().err
