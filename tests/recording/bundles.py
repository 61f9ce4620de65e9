"""Copies of the committed bundles with one thing changed, checksums fixed up (for import and diff tests)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASTION = ROOT / "tests" / "data" / "recordings" / "bastion"
FULL = ROOT / "tests" / "data" / "recordings" / "full-offline"
REGENERATE = "the committed full-offline bundle changed shape: regenerate it with `make recording-full`"
Entries = list[dict[str, Any]]


def entries(bundle: Path, channel: str) -> Entries:
    """The entries of one channel of a bundle."""
    text = gzip.decompress((bundle / f"{channel}.jsonl.gz").read_bytes()).decode()
    return [json.loads(line) for line in text.splitlines() if line]


def manifest(bundle: Path) -> dict[str, Any]:
    return dict(json.loads((bundle / "manifest.json").read_text(encoding="utf-8")))


def write_manifest(bundle: Path, body: dict[str, Any]) -> None:
    (bundle / "manifest.json").write_text(json.dumps(body, indent=2, sort_keys=True), encoding="utf-8")


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def edit_channel(bundle: Path, channel: str, change: Callable[[Entries], None], *, fix_checksum: bool = True) -> None:
    """Rewrite one channel with change(entries) applied; the manifest's sha256 follows unless told not to."""
    items = entries(bundle, channel)
    change(items)
    path = bundle / f"{channel}.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(e, sort_keys=True) + "\n" for e in items).encode(), mtime=0))
    if fix_checksum:
        body = manifest(bundle)
        body["files"][path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        write_manifest(bundle, body)


def talos_get(items: Entries, resource: str) -> list[dict[str, Any]]:
    """The recorded `talosctl get <resource>` entries (at least one, else the bundle changed shape)."""
    found = [e for e in items if e["key"]["args"][:2] == ["get", resource]]
    assert found, f"no talosctl get {resource} in the bundle: {REGENERATE}"
    return found


def kube_get(items: Entries, path: str) -> list[dict[str, Any]]:
    found = [e for e in items if e["key"]["method"] == "GET" and e["key"]["path"] == path]
    assert found, f"no GET {path} in the bundle: {REGENERATE}"
    return found


def edit_json_answer(entry: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> None:
    """Change a Kubernetes answer's JSON body in place."""
    body = json.loads(entry["answer"]["data"])
    change(body)
    entry["answer"]["data"] = json.dumps(body)
