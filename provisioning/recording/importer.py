"""`tdg recording import DIR`: a bundle's talosctl and Kubernetes answers become the stand-ins' inputs.

Everything is checked before anything is written: the manifest's fields (format, mode, when,
run id, pinned versions, file names), every file's sha256, and every string of every entry for
secrets (the secret scanner's key shapes) and unmasked account ids. A refusal names the file,
the field or entry, the value (never a secret's) and why, and writes nothing. The facts
(provisioning/recording/extract.py) are then validated as the models need them
(observed.validate) and written to <into>/<run id>.yaml, labelled "recorded from a live run of
<date>" only when the bundle's mode is live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from provisioning.checks.secrets import scan
from provisioning.recording import extract
from provisioning.recording.bundle import CHANNELS, FORMAT, BundleError, load
from provisioning.recording.observed import FORMAT as OBSERVED_FORMAT
from provisioning.recording.observed import OBSERVED_DIR, RUNS, Observed, provenance_label, validate
from provisioning.recording.redact import MASKED_ACCOUNT

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILE_NAME = re.compile(r"^[a-z]+\.(?:jsonl\.gz|yaml)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(?P<account>[0-9]{12}):")
HEADER = ("# Facts observed in a recorded run, imported by `tdg recording import`: inputs of the stand-ins'\n"
          "# models (provisioning/recording/observed.py), never their answers. Do not edit by hand: re-import.\n")


def _manifest_problem(manifest: Any, directory: Path) -> str | None:
    if not isinstance(manifest, Mapping):
        return f"is a {type(manifest).__name__}, not a JSON object"
    checks: list[tuple[str, Any, bool, str]] = [
        ("format", manifest.get("format"), manifest.get("format") == FORMAT, f"expected {FORMAT!r}"),
        ("mode", manifest.get("mode"), manifest.get("mode") in RUNS, f"must be one of {', '.join(RUNS)}"),
        ("run_id", manifest.get("run_id"), isinstance(manifest.get("run_id"), str)
         and bool(RUN_ID.match(manifest["run_id"])), "letters, digits, '.', '_', '-' (it names the imported file)"),
        ("versions.talos", (manifest.get("versions") or {}).get("talos"),
         isinstance((manifest.get("versions") or {}).get("talos"), str), "the pinned Talos version is required"),
        ("files", manifest.get("files"), isinstance(manifest.get("files"), Mapping) and bool(manifest.get("files")),
         "the bundle's files and their sha256 are required"),
    ]
    for name, value, ok, why in checks:
        if not ok:
            return f"field {name} = {value!r}: {why}"
    try:
        dt.datetime.fromisoformat(str(manifest.get("when")))
    except ValueError:
        return f"field when = {manifest.get('when')!r}: not an ISO 8601 time"
    for name, digest in manifest["files"].items():
        if not FILE_NAME.match(str(name)):
            return f"field files names {name!r}: not a bundle file name (<channel>.jsonl.gz or profile.yaml)"
        if not isinstance(digest, str) or not SHA256.match(digest):
            return f"field files.{name} = {digest!r}: not a sha256"
        if not (directory / str(name)).is_file():
            return f"field files names {name!r}, which is missing from {directory}"
    return None


def check_manifest(directory: Path) -> dict[str, Any]:
    """The bundle's manifest, or BundleError naming the field, its value and why."""
    path = directory / "manifest.json"
    if not directory.is_dir():
        raise BundleError(f"{directory}: not a directory (a bundle written by --record)")
    if not path.is_file():
        raise BundleError(f"{directory}: no manifest.json (not a recording made with --record); nothing imported")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BundleError(f"{path}: not JSON ({exc}); nothing imported") from exc
    problem = _manifest_problem(manifest, directory)
    if problem:
        raise BundleError(f"{path}: {problem}; nothing imported")
    return dict(manifest)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def leaks(manifest: Mapping[str, Any], channels: Mapping[str, list[dict[str, Any]]], profile: str) -> list[str]:
    """Every secret shape and unmasked account id left in the bundle: where, what kind, never the value."""
    found: list[str] = []
    places: list[tuple[str, Any]] = [("manifest.json", manifest), ("profile.yaml", profile)]
    places += [(f"{c}.jsonl.gz entry #{e.get('seq', i + 1)}", e) for c in CHANNELS for i, e in
               enumerate(channels.get(c, []))]
    for where, value in places:
        for path, text in _strings(value):
            at = f"{where} {path}".strip()
            found += scan(text, at)
            found += [f"{at}: expected account ids masked ({MASKED_ACCOUNT}), found account "
                      f"{m['account'][:4]}****{m['account'][-4:]} in an ARN"
                      for m in ARN_ACCOUNT.finditer(text) if m["account"] != MASKED_ACCOUNT]
    return found


@dataclass(frozen=True)
class Imported:
    """What an import wrote: the file, its facts, and whether the model's derivations hold on them."""

    path: Path
    observed: Observed
    model_check: tuple[str, ...]


def import_bundle(directory: Path, into: Path = OBSERVED_DIR, *, now: dt.datetime | None = None) -> Imported:
    """Check the bundle, extract its facts, validate them and write <into>/<run id>.yaml (nothing on refusal)."""
    manifest = check_manifest(directory)
    _, channels = load(directory)  # every file's sha256 against the manifest
    profile = (directory / "profile.yaml").read_text(encoding="utf-8") if (directory / "profile.yaml").is_file() \
        else ""
    found = leaks(manifest, channels, profile)
    if found:
        shown = "\n  ".join(found[:10]) + (f"\n  ... {len(found) - 10} more" if len(found) > 10 else "")
        raise BundleError(f"{directory}: not imported, the bundle holds what redaction should have removed "
                          f"(a bundle is safe to commit only without them):\n  {shown}")
    if not channels.get("talosctl") and not channels.get("kube"):
        raise BundleError(f"{directory}: holds no talosctl or Kubernetes answers (phases "
                          f"{', '.join(manifest.get('phases') or ['?'])}): nothing to import")
    body = extract.facts(channels, profile)
    pinned = str(manifest["versions"]["talos"])
    seen = body["talos"].pop("versions_seen")
    if seen and seen != [pinned]:
        raise BundleError(f"{directory}: talosctl get versions answered {', '.join(seen)}, but the manifest pins "
                          f"Talos {pinned}: the bundle contradicts itself; nothing imported")
    if not body["instance_types"]:
        raise BundleError(f"{directory}: no talosctl or Kubernetes answer names a node whose instance type the "
                          "bundle records (RunInstances/DescribeInstances or profile.yaml): nothing to import")
    mode, when = str(manifest["mode"]), str(manifest["when"])
    digest = hashlib.sha256((directory / "manifest.json").read_bytes()).hexdigest()
    doc = {"format": OBSERVED_FORMAT,
           "provenance": {"label": provenance_label(mode, when), "mode": mode, "when": when,
                          "run_id": manifest["run_id"], "profile": manifest.get("profile"),
                          "bundle_manifest_sha256": digest, "versions": dict(manifest["versions"]),
                          "imported": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
                          "answers": {"talosctl": len(channels.get("talosctl", [])),
                                      "kube": len(channels.get("kube", []))}},
           "talos": {"version": pinned, **body["talos"]}, "instance_types": body["instance_types"],
           "kubernetes": body["kubernetes"], "pods": body["pods"]}
    path = into / f"{manifest['run_id']}.yaml"
    observed = validate(doc, path)  # the models' own rules: refused here, before the file exists
    _write(path, HEADER + yaml.safe_dump(doc, sort_keys=False, width=110))
    return Imported(path, observed, tuple(extract.model_check(channels)))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

