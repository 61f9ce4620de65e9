"""Read the kubeconfig the Talos phase fetched, and point it at a local tunnel end.

The nodes' API (6443) is reached through a bastion port forward on 127.0.0.1, so the client
connects to the tunnel but checks the server certificate against the node's address
(tls-server-name). Credentials are written to private files (0600 in a 0700 directory) that
the caller owns; they are never logged and never part of a repr.
"""

from __future__ import annotations

import base64
import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from provisioning import yamlio
from provisioning.errors import SetupError


class KubeconfigError(SetupError):
    """The kubeconfig is missing or lacks what the client needs (no secret value is ever quoted)."""


@dataclass(frozen=True)
class KubeAccess:
    """The current context of a kubeconfig: server, and paths of the CA, client cert and key."""

    server: str
    ca_file: Path | None
    cert_file: Path | None
    key_file: Path | None
    token: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.server).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.server).port or 443


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise KubeconfigError(f"kubeconfig not found at {path} (the Talos phase fetches it)")
    data = yamlio.load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"{path}: not a kubeconfig (top level is not a mapping)")
    return data


def _named(data: dict[str, Any], kind: str, name: str, path: Path) -> dict[str, Any]:
    for entry in data.get(kind) or []:
        if entry.get("name") == name:
            return dict(entry)
    raise KubeconfigError(f"{path}: {kind} entry {name!r} of the current context not found")


def _current(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    contexts = data.get("contexts") or []
    name = data.get("current-context") or (contexts[0]["name"] if contexts else None)
    if name is None:
        raise KubeconfigError(f"{path}: no context")
    ctx = _named(data, "contexts", name, path)["context"]
    return _named(data, "clusters", ctx["cluster"], path), _named(data, "users", ctx["user"], path)


def _private(workdir: Path, name: str, b64: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = workdir / name
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64decode(b64))
    return target


def read_access(path: Path, workdir: Path) -> KubeAccess:
    """Read the current context of the kubeconfig at path; write its embedded PEMs under workdir (0600)."""
    data = _load(path)
    cluster, user = _current(data, path)
    c, u = cluster.get("cluster") or {}, user.get("user") or {}
    if not c.get("server"):
        raise KubeconfigError(f"{path}: cluster {cluster.get('name')!r} has no server")
    ca = _private(workdir, "ca.crt", c["certificate-authority-data"]) if c.get("certificate-authority-data") \
        else (Path(c["certificate-authority"]) if c.get("certificate-authority") else None)
    cert = _private(workdir, "client.crt", u["client-certificate-data"]) if u.get("client-certificate-data") \
        else (Path(u["client-certificate"]) if u.get("client-certificate") else None)
    key = _private(workdir, "client.key", u["client-key-data"]) if u.get("client-key-data") \
        else (Path(u["client-key"]) if u.get("client-key") else None)
    if cert is None and not u.get("token"):
        raise KubeconfigError(f"{path}: user {user.get('name')!r} has neither a client certificate nor a token")
    return KubeAccess(server=str(c["server"]), ca_file=ca, cert_file=cert, key_file=key, token=u.get("token"))


def tunnelled(path: Path, local_port: int, dest: Path) -> Path:
    """Write a copy of the kubeconfig whose current cluster is https://127.0.0.1:<local_port>.

    tls-server-name keeps the certificate check on the node's own address. dest is written 0600
    (it carries the client key); used by helm, which reads a kubeconfig file.
    """
    data = copy.deepcopy(_load(path))
    cluster, _ = _current(data, path)
    for entry in data["clusters"]:
        if entry.get("name") == cluster["name"]:
            original = urlsplit(entry["cluster"]["server"]).hostname
            entry["cluster"]["server"] = f"https://127.0.0.1:{local_port}"
            entry["cluster"]["tls-server-name"] = original
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False)
    return dest
