"""Fixtures for the Talos tests: a dummy talosconfig and the talosctl stand-in driven through the adapter."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fixtures.talosctl_standin import STATE_ENV, standin_dir, standin_env, write_state
from fixtures.talosctl_standin._genconfig import generate, new_secrets
from provisioning import profiles
from provisioning.talos import machineconfig
from provisioning.talos.adapter import Talosctl
from provisioning.talos.config import node_patch

Docs = list[dict[str, Any]]
Bend = Callable[[Docs], Docs]
APPROVED = profiles.load("approved")
DEFAULT_MAC = "02:00:00:00:00:01"


def lab_config(ip: str, *, mac: str = DEFAULT_MAC, machine_type: str | None = None) -> Docs:
    """The config talos_lab would apply to the approved profile's node at ip: gen config v1.12 + its patch."""
    node = next(n for n in APPROVED.nodes if n.private_ip == ip)
    kind = machine_type or ("controlplane" if node.role == "gateway" else "worker")
    base = generate(kind, "tdg-approved", "https://10.10.0.101:6443", new_secrets())
    return machineconfig.merge(base, node_patch(APPROVED, node, mac=mac, extra_cert_sans=["127.0.0.1"]))


def of_kind(docs: Docs, kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]

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
    """Return make(nodes, configure=True, bend=None, **adapter_kwargs): a stand-in adapter over those nodes.

    With configure, each node gets the config talos_lab applies (lab_config), bent by bend(docs)
    when given, through `apply-config --insecure`: what the node reports is then derived from it.
    """

    def make(nodes: list[dict[str, Any]], *, configure: bool = True, bend: Bend | None = None,
             **kwargs: Any) -> Talosctl:
        state = write_state(tmp_path / "talos-state.json", nodes)
        env = dict(os.environ)
        env["PATH"] = f"{standin_dir()}{os.pathsep}{env.get('PATH', '')}"
        env[STATE_ENV] = str(state)
        env.update(standin_env())
        kwargs.setdefault("timeout_s", 30.0)
        talos = Talosctl(talosconfig=talosconfig, endpoints=("127.0.0.1:50000",), env=env, **kwargs)
        for node in nodes if configure else []:
            docs = lab_config(node["ip"], mac=node.get("mac", DEFAULT_MAC), machine_type=node.get("role"))
            path = tmp_path / f"{node['ip']}.yaml"
            path.write_text(machineconfig.dump(bend(docs) if bend else docs), encoding="utf-8")
            talos.apply_config(node["ip"], path, insecure=True)
        return talos

    return make
