"""Merging patches and refusing configs the way Talos v1.12 does, in Talos's words."""

from __future__ import annotations

import pytest

from provisioning.talos import machineconfig as mc

V1 = {"version": "v1alpha1", "machine": {"type": "worker", "certSANs": ["a"], "nodeLabels": {"x": ""}}}
STABLE = {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "stable"}


def test_merge_matches_documents_by_id_appends_lists_and_deletes_keys() -> None:
    merged = mc.merge([V1, STABLE], [{"machine": {"certSANs": ["b"], "nodeLabels": {"x": {"$patch": "delete"}}}},
                                     {"apiVersion": "v1alpha1", "kind": "ResolverConfig", "nameservers": []}])
    assert merged[0]["machine"]["certSANs"] == ["a", "b"] and merged[0]["machine"]["nodeLabels"] == {}
    assert [mc.doc_id(d)[1] for d in merged] == ["", "HostnameConfig", "ResolverConfig"]
    assert V1["machine"]["certSANs"] == ["a"]  # inputs untouched


def test_a_hostname_merged_onto_auto_stable_is_refused() -> None:
    merged = mc.merge([V1, STABLE], [{**STABLE, "auto": None, "hostname": "n1"} | {"auto": "stable"}])
    assert mc.problems(merged).validation == ("HostnameConfig: 'auto' and 'hostname' cannot be set at the same time",)


@pytest.mark.parametrize(("v1_machine", "doc", "message"), [
    ({"network": {"nameservers": ["1.1.1.1"]}}, {"kind": "ResolverConfig"},
     ".machine.network.nameservers is already set in v1alpha1 config"),
    ({"time": {"servers": ["pool.ntp.org"]}}, {"kind": "TimeSyncConfig"},
     "time servers cannot be specified in both v1alpha1 and new-style configuration"),
    ({"network": {"hostname": "n1"}}, {"kind": "HostnameConfig", "auto": "stable"},
     "static hostname is already set in v1alpha1 config"),
])
def test_v1alpha1_fields_conflict_with_their_documents(v1_machine: dict, doc: dict, message: str) -> None:  # type: ignore[type-arg]
    docs = [{"version": "v1alpha1", "machine": v1_machine}, {"apiVersion": "v1alpha1", **doc}]
    assert mc.problems(docs).validation == (message,)


def test_schema_problems_come_before_validation_and_name_the_field() -> None:
    found = mc.problems([V1, {**STABLE, "hostnme": "typo"}])
    assert found.decode == ("document v1alpha1/HostnameConfig: hostnme: field not found in the v1.12 schema",)
    assert mc.refusal(found).startswith("error applying new configuration: rpc error: code = Unknown desc = failed "
                                        "to parse config: ")


def test_an_extension_service_config_without_settings_is_refused() -> None:
    docs = [V1, {"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "tailscale"}]
    assert mc.problems(docs).validation == ('ExtensionServiceConfig/tailscale: no config files found for extension '
                                            '"tailscale"',)


def test_duplicates_and_non_documents_do_not_parse() -> None:
    with pytest.raises(mc.ConfigParseError, match="duplicate document v1alpha1/HostnameConfig/"):
        mc.documents("apiVersion: v1alpha1\nkind: HostnameConfig\n---\napiVersion: v1alpha1\nkind: HostnameConfig\n")
    with pytest.raises(mc.ConfigParseError, match="expected a YAML document"):
        mc.documents("- a\n- b\n")


def test_multierror_text_is_go_multierrors() -> None:
    assert mc.multierror(["a"]) == "1 error occurred:\n\t* a\n\n"
    assert mc.multierror(["a", "b"]) == "2 errors occurred:\n\t* a\n\t* b\n\n"
