"""The Talos kubeconfig: credentials to private files, and a copy pointed at the local tunnel end."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from provisioning.kube.kubeconfig import KubeconfigError, read_access, tunnelled


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write_kubeconfig(path: Path, **user: str) -> Path:
    user = user or {"client-certificate-data": b64("CERT"), "client-key-data": b64("KEY")}
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "admin@lab",
        "clusters": [{"name": "lab", "cluster": {"server": "https://10.10.0.101:6443",
                                                 "certificate-authority-data": b64("CA")}}],
        "contexts": [{"name": "admin@lab", "context": {"cluster": "lab", "user": "admin@lab"}}],
        "users": [{"name": "admin@lab", "user": user}]}), encoding="utf-8")
    return path


def test_credentials_go_to_private_files(tmp_path: Path) -> None:
    access = read_access(write_kubeconfig(tmp_path / "kubeconfig"), tmp_path / "creds")
    assert (access.server, access.host, access.port) == ("https://10.10.0.101:6443", "10.10.0.101", 6443)
    assert access.key_file is not None and access.key_file.read_text() == "KEY"
    assert stat.S_IMODE(access.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "creds").stat().st_mode) == 0o700
    assert "KEY" not in repr(access)


def test_a_token_is_kept_out_of_the_repr(tmp_path: Path) -> None:
    access = read_access(write_kubeconfig(tmp_path / "kc", token="s3cr3t-token"), tmp_path / "creds")
    assert access.token == "s3cr3t-token" and "s3cr3t" not in repr(access)


def test_tunnelled_copy_points_at_loopback_and_checks_the_node_name(tmp_path: Path) -> None:
    out = tunnelled(write_kubeconfig(tmp_path / "kubeconfig"), 41234, tmp_path / "t" / "kubeconfig")
    cluster = yaml.safe_load(out.read_text())["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:41234"
    assert cluster["tls-server-name"] == "10.10.0.101"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_missing_or_incomplete_kubeconfigs_are_named(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="kubeconfig not found at"):
        read_access(tmp_path / "absent", tmp_path)
    with pytest.raises(KubeconfigError, match="neither a client certificate nor a token"):
        read_access(write_kubeconfig(tmp_path / "kc", username="x"), tmp_path / "creds")
