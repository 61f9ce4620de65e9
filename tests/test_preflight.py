"""Preflight: what the run will create, and the Talos phase's live prerequisites, before any API call."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures.talosctl_standin import STATE_ENV, standin_dir
from provisioning import settings
from provisioning.aws.client import ClientFactory
from provisioning.errors import GuardError
from provisioning.preflight import ToolsMissing, preflight, talosctl_tag, tools_ready

HOME = {"TDG_HOME_IPV6": "2a01:4f8:1:2::10/128"}


def test_preflight_says_what_the_run_will_create() -> None:
    checked = preflight(settings.build(phase="network", env={}), env={})
    line = next(ln for ln in checked.lines if ln.startswith("will create"))
    assert "vpc 1" in line and "security_group 2" in line and "instance" not in line


def test_offline_talos_phase_states_the_boot_verdict_for_pxe_profiles() -> None:
    checked = preflight(settings.build(profile="homelab-replica", budget=20, env={}), env={})
    assert any("PXE" in ln for ln in checked.lines), checked.lines


def test_live_talos_phase_refuses_without_a_pinned_checksum() -> None:
    live = settings.build(aws_live=True, env=HOME)
    with pytest.raises(GuardError, match="Talos phase cannot run: boot-to-talos sha256 is not pinned"):
        preflight(live, env={})


def test_live_talos_phase_refuses_without_talosctl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    live = settings.build(aws_live=True, env=HOME)
    with pytest.raises(GuardError, match="talosctl"):
        preflight(live, env={"TDG_BOOT_TO_TALOS_SHA256": "a" * 64})


# -- live tools: helm for CozyStack, talosctl of the pinned minor ----------------------------------
def fake_talosctl(tag: str | None) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A runner answering `talosctl version --client` like talosctl does (Client block, Tag line)."""
    def run(argv: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert argv[-2:] == ["version", "--client"], argv
        out = f"Client:\n\tTag:         {tag}\n\tOS/Arch:     linux/amd64\n" if tag else "Client:\n"
        return subprocess.CompletedProcess(argv, 0, out, "")
    return run


def bin_dir(tmp_path: Path, *names: str) -> dict[str, str]:
    for name in names:
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        exe.chmod(0o755)
    return {"PATH": str(tmp_path)}


def test_a_talosctl_of_another_minor_is_refused(tmp_path: Path) -> None:
    env = bin_dir(tmp_path, "talosctl", "helm")
    with pytest.raises(ToolsMissing, match=r"talosctl on PATH is v1\.11\.6, the nodes run Talos v1\.12\.7: "
                                           r"install talosctl v1\.12\.x"):
        tools_ready(("network", "bastion", "talos"), env, fake_talosctl("v1.11.6"))
    assert tools_ready(("talos",), env, fake_talosctl("v1.12.3")) == ["talosctl v1.12.3 (nodes run Talos v1.12.7)"]


def test_a_talosctl_that_names_no_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ToolsMissing, match="does not say its version"):
        tools_ready(("talos",), bin_dir(tmp_path, "talosctl"), fake_talosctl(None))


def test_helm_is_required_only_when_the_cozystack_phase_runs(tmp_path: Path) -> None:
    env = bin_dir(tmp_path, "talosctl")
    assert tools_ready(("network", "bastion", "talos"), env, fake_talosctl("v1.12.7"))
    with pytest.raises(ToolsMissing, match=r"helm is not on PATH: the CozyStack phase installs its charts"):
        tools_ready(("talos", "cozystack"), env, fake_talosctl("v1.12.7"))


def test_every_missing_tool_is_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(ToolsMissing) as err:
        tools_ready(("talos", "cozystack"), {"PATH": str(tmp_path)}, fake_talosctl("v1.12.7"))
    assert "helm is not on PATH" in str(err.value) and "talosctl not found" in str(err.value)


def test_the_talosctl_standin_answers_the_version_check(tmp_path: Path) -> None:
    """The real subprocess path, against the talosctl stand-in (its client tag is the pinned one)."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"nodes": []}), encoding="utf-8")
    env = {"PATH": f"{standin_dir()}{os.pathsep}{os.environ['PATH']}", STATE_ENV: str(state)}
    assert talosctl_tag(env, subprocess.run) == "v1.12.7"


def test_live_preflight_refuses_missing_tools_before_any_api_call(tmp_path: Path, moto_url: str) -> None:
    clients = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    live = settings.build(aws_live=True, env=HOME)
    with pytest.raises(ToolsMissing, match="helm is not on PATH"):
        preflight(live, clients=clients, env={"TDG_BOOT_TO_TALOS_SHA256": "a" * 64, **bin_dir(tmp_path, "talosctl")},
                  runner=fake_talosctl("v1.12.7"))
    assert clients.calls.total == 0
