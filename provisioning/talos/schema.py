"""Validate Talos config documents against the v1.12 config JSON schema kept as data (pure, stdlib only).

The schema is provisioning/data/talos_config_schema.json: the validation keywords of
siderolabs/talos v1.12.7 pkg/machinery/config/schemas/config.schema.json, with its provenance and
a sha256 of its content (scripts/derive_talos_schema.py). Only the keywords that file uses are
implemented: $ref, type, enum, pattern, properties, patternProperties, additionalProperties,
required, items, oneOf. Standard library only: the talosctl stand-in imports this module too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "talos_config_schema.json"
V1ALPHA1 = "v1alpha1.Config"
_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "array": (list,), "string": (str,),
                                       "boolean": (bool,), "integer": (int,)}


class SchemaDataError(ValueError):
    """The schema data file is malformed or its content does not match the checksum in its provenance."""


def canonical_sha256(schema: object) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a schema, as the provenance records it."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@cache
def load(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    """Load the schema data file and check its provenance block and content checksum."""
    data = json.loads(path.read_text(encoding="utf-8"))
    prov = data.get("provenance") or {}
    missing = [k for k in ("repository", "tag", "path", "commit", "read", "content_sha256") if not prov.get(k)]
    if missing:
        raise SchemaDataError(f"{path.name}: provenance lacks {', '.join(missing)}")
    if not re.fullmatch(r"[0-9a-f]{40}", str(prov["commit"])):
        raise SchemaDataError(f"{path.name}: provenance commit {prov['commit']!r} is not 40 hex digits")
    actual = canonical_sha256(data.get("schema"))
    if actual != prov["content_sha256"]:
        raise SchemaDataError(f"{path.name}: schema content sha256 {actual} differs from the provenance's "
                              f"{prov['content_sha256']} (content drifted from {prov['repository']} {prov['tag']})")
    return data


def definitions(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    return load(path)["schema"]["$defs"]


def document_kinds(path: Path = SCHEMA_FILE) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> definition name, for every root document of the schema's oneOf."""
    defs, out = definitions(path), {}
    for ref in load(path)["schema"]["oneOf"]:
        name = ref["$ref"].rsplit("/", 1)[-1]
        props = defs[name].get("properties", {})
        for kind in props.get("kind", {}).get("enum", []):
            for version in props.get("apiVersion", {}).get("enum", []):
                out[(version, kind)] = name
    return out


def definition_for(doc: Mapping[str, Any], path: Path = SCHEMA_FILE) -> str | None:
    """The schema definition a document is checked against: by apiVersion/kind, or the v1alpha1 config."""
    if "kind" not in doc:
        return V1ALPHA1 if "apiVersion" not in doc else None
    return document_kinds(path).get((str(doc.get("apiVersion")), str(doc.get("kind"))))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _check(value: Any, node: Mapping[str, Any], where: str, defs: Mapping[str, Any],
           allowed: frozenset[str]) -> list[str]:
    if "$ref" in node:
        return _check(value, defs[node["$ref"].rsplit("/", 1)[-1]], where, defs, allowed)
    shown = where or "(document)"
    kind = node.get("type")
    if isinstance(kind, str):
        ok = isinstance(value, _TYPES[kind]) and not (kind == "integer" and isinstance(value, bool))
        if not ok:
            return [f"{shown}: {json.dumps(value)} is not of type {kind}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{shown}: {json.dumps(value)} is not one of {json.dumps(node['enum'])}"]
    if "pattern" in node and isinstance(value, str) and not re.search(node["pattern"], value):
        return [f"{shown}: {value!r} does not match pattern {node['pattern']!r}"]
    out: list[str] = []
    if isinstance(value, dict):
        props, patterns = node.get("properties", {}), node.get("patternProperties", {})
        out += [f"{_join(where, r)}: required field is missing" for r in node.get("required", []) if r not in value]
        for key, sub in value.items():
            path = _join(where, str(key))
            if key in props:
                out += _check(sub, props[key], path, defs, allowed)
            elif matching := [p for p in patterns if re.search(p, str(key))]:
                out += _check(sub, patterns[matching[0]], path, defs, allowed)
            elif node.get("additionalProperties") is False and path not in allowed:
                out.append(f"{path}: field not found in the v1.12 schema")
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            out += _check(item, node["items"], f"{where}[{i}]", defs, allowed)
    if "oneOf" in node and not any(not _check(value, alt, where, defs, allowed) for alt in node["oneOf"]):
        out.append(f"{shown}: matches none of the allowed forms")
    return out


def validate(doc: Mapping[str, Any], *, allowed: Iterable[str] = (), path: Path = SCHEMA_FILE) -> list[str]:
    """Return schema violations of one document (empty = valid), each naming the field path.

    allowed: dotted paths accepted although the schema has no such property (the fields Talos's
    decoder still reads, talos_config.yaml decoder_only_fields). Unknown kinds are a violation.
    """
    name = definition_for(doc, path)
    if name is None:
        return [f"unknown document kind {doc.get('apiVersion')}/{doc.get('kind')} (not in the v1.12 schema)"]
    return _check(dict(doc), definitions(path)[name], "", definitions(path), frozenset(allowed))
