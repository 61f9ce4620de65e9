"""Derive provisioning/data/talos_config_schema.json from a siderolabs/talos git mirror (maintainer tool).

Usage: python scripts/derive_talos_schema.py <talos.git> v1.12.7 > provisioning/data/talos_config_schema.json

Keeps only the validation keywords of pkg/machinery/config/schemas/config.schema.json (descriptions,
titles and editor hints dropped), records repository, tag, path, commit and the date read, and a
sha256 of the canonical JSON of the kept schema, which tests/talos/test_schema_data.py re-derives.
Never run at test time (it needs the mirror); the suite reads only the data file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import sys

PATH = "pkg/machinery/config/schemas/config.schema.json"
KEEP = {"$ref", "additionalProperties", "enum", "items", "oneOf", "pattern", "patternProperties",
        "properties", "required", "type", "$defs"}


def strip(node: object, *, names: bool = False) -> object:
    """Drop every keyword but the validation ones (property names under properties/$defs are kept)."""
    if isinstance(node, dict):
        if names:
            return {k: strip(v) for k, v in node.items()}
        return {k: strip(v, names=k in ("properties", "$defs", "patternProperties")) for k, v in node.items()
                if k in KEEP}
    if isinstance(node, list):
        return [strip(x) for x in node]
    return node


def canonical_sha256(schema: object) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def main(mirror: str, tag: str) -> int:
    commit = subprocess.run(["git", "-C", mirror, "rev-parse", f"{tag}^{{commit}}"], capture_output=True,
                            text=True, check=True).stdout.strip()
    raw = subprocess.run(["git", "-C", mirror, "show", f"{tag}:{PATH}"], capture_output=True, text=True,
                         check=True).stdout
    schema = strip(json.loads(raw))
    out = {
        "source": f"siderolabs/talos {tag} {PATH} (validation keywords only; descriptions dropped)",
        "provenance": {"repository": "siderolabs/talos", "tag": tag, "path": PATH, "commit": commit,
                       "read": datetime.date.today().isoformat(), "derived_by": "scripts/derive_talos_schema.py",
                       "content_sha256": canonical_sha256(schema)},
        "schema": schema,
    }
    sys.stdout.write(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
