"""Preflight: what the run will create, and the Talos phase's live prerequisites, before any API call."""

from __future__ import annotations

import pytest

from provisioning import settings
from provisioning.errors import GuardError
from provisioning.preflight import preflight

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
