"""Talos v1.12 multi-document machine configs: parse, merge patches, validate like Talos (pure).

- documents(text): the YAML documents of a config or patch, refusing duplicates as Talos's decoder does;
- merge(base, patches): strategic merge by (apiVersion, kind, name), maps recursively, lists
  appended, `$patch: delete` removing a key (pkg/machinery/config/configpatcher/strategic.go, merge/);
- problems(docs): schema violations (schema.py) and the cross-document rules of talos_config.yaml in
  Talos's words; refusal(...) formats them the way `talosctl apply-config` prints a refused apply.
The talosctl stand-in uses these to refuse what Talos refuses; the renderer's tests use them to show
every rendered document is accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from provisioning import yamlio
from provisioning.data import load_data
from provisioning.talos import schema

Doc = dict[str, Any]


class ConfigParseError(ValueError):
    """The text is not a sequence of config documents Talos can decode."""


def doc_id(doc: Mapping[str, Any]) -> tuple[str, str, str]:
    """(apiVersion, kind, name) as Talos matches documents; the v1alpha1 config is ("v1alpha1", "", "")."""
    if "kind" not in doc:
        return ("v1alpha1", "", "")
    return (str(doc.get("apiVersion", "")), str(doc["kind"]), str(doc.get("name", "")))


def label(doc: Mapping[str, Any]) -> str:
    """docID as container.Validate prints it: Kind, or Kind/name for named documents."""
    _, kind, name = doc_id(doc)
    return f"{kind}/{name}" if name else kind


def documents(text: str) -> list[Doc]:
    """Parse a multi-document config; raise ConfigParseError on YAML errors, non-mappings or duplicates."""
    try:
        loaded = [d for d in yamlio.load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigParseError(f"decode error: {exc}") from exc
    seen: set[tuple[str, str, str]] = set()
    for i, doc in enumerate(loaded):
        if not isinstance(doc, dict):
            raise ConfigParseError(f"expected a YAML document (document {i + 1})")
        key = doc_id(doc)
        if key in seen:
            raise ConfigParseError(f"duplicate document {key[0]}/{key[1]}/{key[2]} is not allowed "
                                   f"(document {i + 1})")
        seen.add(key)
    return loaded


def dump(docs: Iterable[Mapping[str, Any]]) -> str:
    """Render documents as one multi-document YAML text (no anchors, keys in their order)."""
    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump_all([dict(d) for d in docs], Dumper=_NoAliases, sort_keys=False, default_flow_style=False)


def _merge_into(left: dict[str, Any], right: Mapping[str, Any]) -> None:
    for key, value in right.items():
        if isinstance(value, Mapping) and dict(value) == {"$patch": "delete"}:
            left.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(left.get(key), dict):
            _merge_into(left[key], value)
        elif isinstance(value, list) and isinstance(left.get(key), list):
            left[key] = left[key] + copy.deepcopy(value)
        else:
            left[key] = copy.deepcopy(value) if not isinstance(value, Mapping) else _clean(value)


def _clean(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _merge_into(out, value)
    return out


def merge(base: Sequence[Mapping[str, Any]], patches: Iterable[Mapping[str, Any]]) -> list[Doc]:
    """Strategic merge: a patch document merges into the base document with the same id, else is appended."""
    out = [copy.deepcopy(dict(d)) for d in base]
    for patch in patches:
        match = [d for d in out if doc_id(d) == doc_id(patch)]
        if match:
            _merge_into(match[0], patch)
        else:
            out.append(_clean(patch))
    return out


def _get(doc: Mapping[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _own_rules(doc: Mapping[str, Any], rules: Mapping[str, Any]) -> list[str]:
    kind = doc_id(doc)[1]
    r = rules.get(kind, {})
    out: list[str] = []
    if kind == "HostnameConfig":
        auto, name = doc.get("auto") or "off", doc.get("hostname") or ""
        if auto == "off" and not name:
            out.append(r["neither"])
        if auto != "off" and name:
            out.append(r["both"])
    elif kind == "TimeSyncConfig" and doc.get("ntp") is not None and doc.get("ptp") is not None:
        out.append(r["ntp_and_ptp"])
    elif kind == "ExtensionServiceConfig":
        if not doc.get("name"):
            out.append(r["no_name"])
        elif not doc.get("configFiles") and not doc.get("environment"):
            out.append(r["empty"].format(name=doc["name"]))
    return [f"{label(doc)}: {e}" for e in out]


def _conflicts(doc: Mapping[str, Any], v1: Mapping[str, Any], rules: Mapping[str, Any]) -> list[str]:
    kind, r = doc_id(doc)[1], rules.get(doc_id(doc)[1], {})
    net = _get(v1, "machine.network") or {}
    time = _get(v1, "machine.time") or {}
    if kind == "HostnameConfig":
        if net.get("hostname"):
            return [r["v1alpha1_hostname"]]
        if _get(v1, "machine.features.stableHostname"):
            return [r["v1alpha1_stable"]]
    if kind == "ResolverConfig":
        for field in ("searchDomains", "nameservers", "disableSearchDomain"):
            if net.get(field):
                return [r[f"v1alpha1_{field}"]]
    if kind == "TimeSyncConfig":
        for field, key in (("disabled", "v1alpha1_disabled"), ("servers", "v1alpha1_servers"),
                           ("bootTimeout", "v1alpha1_bootTimeout")):
            if time.get(field):
                return [r[key]]
    return []


@dataclass(frozen=True)
class Problems:
    """Why Talos would refuse a config: schema (decode) problems and validation errors, in that order."""

    decode: tuple[str, ...]
    validation: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.decode or self.validation)


def problems(docs: Sequence[Mapping[str, Any]], *, strict_schema: bool = False) -> Problems:
    """Check every document against the v1.12 schema and the cross-document rules Talos enforces.

    strict_schema=True refuses the fields Talos's decoder still reads but the v1.12 schema dropped
    (talos_config.yaml decoder_only_fields): the renderer's own documents must pass that way.
    """
    facts = load_data("talos_config")
    allowed = () if strict_schema else tuple(facts["decoder_only_fields"])
    decode = tuple(f"document {'/'.join(p for p in doc_id(d) if p) or 'v1alpha1'}: {v}"
                   for d in docs for v in schema.validate(d, allowed=allowed))
    rules = facts["cross_document_rules"]
    v1 = next((d for d in docs if doc_id(d)[1] == ""), None)
    validation = [e for d in docs for e in _own_rules(d, rules)]
    if v1 is not None:
        validation += [e for d in docs if doc_id(d)[1] for e in _conflicts(d, v1, rules)]
    return Problems(decode, tuple(validation))


def multierror(errors: Sequence[str]) -> str:
    """hashicorp/go-multierror's text, as Talos's container.Validate returns it."""
    head = "1 error occurred:" if len(errors) == 1 else f"{len(errors)} errors occurred:"
    return head + "".join(f"\n\t* {e}" for e in errors) + "\n\n"


def refusal(found: Problems) -> str:
    """What `talosctl apply-config` prints when the node refuses the config (empty when it accepts)."""
    texts = load_data("talos_config")["apply_errors"]
    if found.decode:
        return texts["parse"].format(error="; ".join(found.decode))
    if found.validation:
        return texts["validation"].format(errors=multierror(found.validation))
    return ""
