"""The Talos v1.12 schema data: provenance present, content unchanged since it was derived, checks rebuilt from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioning.talos import schema


def test_provenance_names_repository_tag_path_and_commit() -> None:
    prov = schema.load()["provenance"]
    assert prov["repository"] == "siderolabs/talos" and prov["tag"] == "v1.12.7"
    assert prov["path"] == "pkg/machinery/config/schemas/config.schema.json"
    assert prov["commit"] == "91c63991eb669602e379ff653ecc20212834390e"


def test_the_document_kinds_are_rebuilt_from_the_data() -> None:
    kinds = schema.document_kinds()
    for kind in ("HostnameConfig", "ResolverConfig", "TimeSyncConfig", "RegistryMirrorConfig", "LinkConfig",
                 "LinkAliasConfig", "ExtensionServiceConfig", "RegistryTLSConfig", "DHCPv4Config"):
        assert ("v1alpha1", kind) in kinds
    assert schema.validate({"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "stable"}) == []
    assert schema.validate({"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "addr"}) == [
        'auto: "addr" is not one of ["stable", "off"]']
    assert schema.validate({"version": "v1alpha1", "machine": {"network": {"hostname": "x"}}}) == [
        "machine.network.hostname: field not found in the v1.12 schema"]
    mirror = {"apiVersion": "v1alpha1", "kind": "RegistryMirrorConfig", "name": "ghcr.io", "endpoints": [{"url": "ftp://x"}]}
    assert schema.validate(mirror)[0].startswith("endpoints[0].url: 'ftp://x' does not match")


def _copy(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = json.loads(schema.SCHEMA_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "talos_config_schema.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_drifted_content_is_refused(tmp_path: Path) -> None:
    def loosen(data: dict) -> None:  # type: ignore[type-arg]
        data["schema"]["$defs"]["network.HostnameConfigV1Alpha1"]["properties"]["auto"]["enum"].append("addr")

    with pytest.raises(schema.SchemaDataError, match="differs from the provenance"):
        schema.load(_copy(tmp_path, loosen))


def test_missing_provenance_is_refused(tmp_path: Path) -> None:
    with pytest.raises(schema.SchemaDataError, match="provenance lacks commit"):
        schema.load(_copy(tmp_path, lambda data: data["provenance"].pop("commit")))
