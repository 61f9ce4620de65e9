"""Fixtures for the Talos tests: a dummy talosconfig and the talosctl stand-in driven through the adapter."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fixtures.talosctl_standin import STATE_ENV, standin_dir, write_state
from provisioning.talos.adapter import Talosctl

# Looks like a secret so tests can prove it never leaks into logs or errors.
TALOSCONFIG_SECRET = "crt-NEVER-LOG-THIS-0123456789"


@pytest.fixture
def talosconfig_secret() -> str:
    """The fake credential inside the talosconfig fixture."""
    return TALOSCONFIG_SECRET


@pytest.fixture
def talosconfig(tmp_path: Path) -> Path:
    """A talosconfig-shaped file (fake credentials) the stand-in accepts."""
    path = tmp_path / "talosconfig"
    path.write_text("context: lab\ncontexts:\n  lab:\n    endpoints: [127.0.0.1]\n"
                    f"    ca: {TALOSCONFIG_SECRET}\n    crt: {TALOSCONFIG_SECRET}\n    key: {TALOSCONFIG_SECRET}\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def standin(tmp_path: Path, talosconfig: Path) -> Callable[..., Talosctl]:
    """Return make(nodes, **adapter_kwargs): write the stand-in state, return an adapter that runs the stand-in."""

    def make(nodes: list[dict[str, Any]], **kwargs: Any) -> Talosctl:
        state = write_state(tmp_path / "talos-state.json", nodes)
        env = dict(os.environ)
        env["PATH"] = f"{standin_dir()}{os.pathsep}{env.get('PATH', '')}"
        env[STATE_ENV] = str(state)
        kwargs.setdefault("timeout_s", 30.0)
        return Talosctl(talosconfig=talosconfig, endpoints=("127.0.0.1:50000",), env=env, **kwargs)

    return make
