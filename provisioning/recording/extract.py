"""Read a bundle's talosctl and Kubernetes answers as facts: the inputs the stand-ins' models take.

Pure. Which instance type each node is comes from the bundle's own AWS answers (RunInstances,
DescribeInstances: private address -> type), or, for a bundle without them, from its profile.
Only successful answers count (talosctl exit 0, HTTP 2xx); the last answer per node wins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from provisioning import yamlio
from provisioning.platform_data import load_reservation, mebibytes, millicores
from provisioning.talos.adapter import parse_json_stream

Entries = Sequence[Mapping[str, Any]]
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def kib(quantity: str) -> int:
    """A Kubernetes memory quantity in KiB ('4194304Ki' -> 4194304, '4Gi' -> 4194304)."""
    return round(mebibytes(quantity) * 1024)


def _instances(parsed: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = list(parsed.get("Instances") or [])
    for reservation in parsed.get("Reservations") or []:
        found += list(reservation.get("Instances") or [])
    return found


def instance_types(aws: Entries, profile_text: str | None) -> dict[str, str]:
    """Private IPv4 address -> instance type, from the recorded EC2 answers (else from the profile)."""
    out: dict[str, str] = {}
    for entry in aws:
        if entry["key"].get("op") in ("RunInstances", "DescribeInstances"):
            for inst in _instances(entry["answer"].get("parsed") or {}):
                if inst.get("PrivateIpAddress") and inst.get("InstanceType"):
                    out[str(inst["PrivateIpAddress"])] = str(inst["InstanceType"])
    if out or not profile_text:
        return out
    nodes = (yamlio.load(profile_text) or {}).get("nodes") or {}
    return {str(m["private_ip"]): str(m.get("instance_type") or nodes.get("instance_type"))
            for m in nodes.get("members") or [] if m.get("private_ip")}


def talos_objects(talosctl: Entries, resource: str) -> dict[str, list[dict[str, Any]]]:
    """Node address -> the objects of its last successful `talosctl get <resource> -o json`."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in talosctl:
        args, answer = entry["key"].get("args") or [], entry["answer"]
        if args[:2] != ["get", resource] or int(answer.get("rc", 1)) != 0:
            continue
        by_node: dict[str, list[dict[str, Any]]] = {}
        for obj in parse_json_stream(str(answer.get("stdout") or "")):
            by_node.setdefault(str(obj.get("node", "")), []).append(obj)
        out.update(by_node)
    return out


def kube_items(kube: Entries, path_suffix: str) -> list[dict[str, Any]]:
    """The items of the last successful GET whose path ends with path_suffix (one list per path and query)."""
    last: dict[str, list[dict[str, Any]]] = {}
    for entry in kube:
        key, answer = entry["key"], entry["answer"]
        if key.get("method") != "GET" or not str(key.get("path", "")).endswith(path_suffix):
            continue
        if not 200 <= int(answer.get("status", 0)) <= 299:
            continue
        body = json.loads(str(answer.get("data") or "{}"))
        last[json.dumps([key["path"], key.get("query")])] = list(body.get("items") or [])
    return [item for items in last.values() for item in items]


def _address(node: Mapping[str, Any]) -> str:
    return next((a["address"] for a in (node.get("status") or {}).get("addresses") or []
                 if a.get("type") == "InternalIP"), "")


def facts(channels: Mapping[str, Entries], profile_text: str | None) -> dict[str, Any]:
    """The facts of a bundle: per instance type MemTotal and capacity, versions, pods' requests."""
    types = instance_types(channels.get("aws", ()), profile_text)
    per_type: dict[str, dict[str, Any]] = {}

    def slot(ip: str) -> dict[str, Any] | None:
        kind = types.get(ip)
        if kind is None:
            return None
        entry = per_type.setdefault(kind, {"nodes": []})
        if ip not in entry["nodes"]:
            entry["nodes"].append(ip)
        return entry

    talosctl = channels.get("talosctl", ())
    for ip, objs in talos_objects(talosctl, "memorystats").items():
        entry = slot(ip)
        if entry is not None and objs:
            total = int(objs[0]["spec"]["total"])
            entry["memtotal_kib"] = min(total, entry.get("memtotal_kib", total))  # nodes of a type may differ
    versions = {str(o["spec"]["version"]) for objs in talos_objects(talosctl, "versions").values() for o in objs}
    extensions = {str(o["spec"]["metadata"]["name"]): str(o["spec"]["metadata"]["version"])
                  for objs in talos_objects(talosctl, "extensions").values() for o in objs}
    kube_nodes = kube_items(channels.get("kube", ()), "/api/v1/nodes")
    for node in kube_nodes:
        entry = slot(_address(node))
        capacity = (node.get("status") or {}).get("capacity") or {}
        if entry is not None and capacity.get("memory"):
            entry["capacity_cpu"] = millicores(capacity["cpu"]) // 1000
            memory = kib(capacity["memory"])
            entry["capacity_memory_kib"] = min(memory, entry.get("capacity_memory_kib", memory))
    info = next(((n.get("status") or {}).get("nodeInfo") or {} for n in kube_nodes), {})
    kubernetes = {k: str(info[k]) for k in ("kubeletVersion", "kernelVersion", "containerRuntimeVersion", "osImage")
                  if info.get(k)}
    return {"instance_types": {k: per_type[k] for k in sorted(per_type)},
            "talos": {"versions_seen": sorted(versions), "extensions": dict(sorted(extensions.items()))},
            "kubernetes": kubernetes, "pods": pods(kube_items(channels.get("kube", ()), "/pods"))}


def pods(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each pod's namespace, name, node, phase and its containers' requests (facts; not yet a model input)."""
    out = {}
    for pod in items:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        requests = [{"container": c.get("name", ""), **{k: str(v) for k, v in
                                                         ((c.get("resources") or {}).get("requests") or {}).items()}}
                    for c in spec.get("containers") or []]
        out[(meta.get("namespace", ""), meta.get("name", ""))] = {
            "namespace": meta.get("namespace", ""), "name": meta.get("name", ""), "node": spec.get("nodeName"),
            "phase": (pod.get("status") or {}).get("phase"), "requests": requests}
    return [out[k] for k in sorted(out)]


def model_check(channels: Mapping[str, Entries]) -> list[str]:
    """Does the stand-in model's derivation hold on the imported inputs? Allocatable per node, derived vs reported.

    The Kubernetes stand-in derives a node's allocatable from its capacity less Talos' system-reserved
    (by machine type) and the kubelet's eviction threshold (kubelet_allocatable.yaml); a node whose
    reported allocatable differs shows where that model is wrong.
    """
    reservation, lines = load_reservation(), []
    for node in kube_items(channels.get("kube", ()), "/api/v1/nodes"):
        status, name = node.get("status") or {}, (node.get("metadata") or {}).get("name", "?")
        capacity, allocatable = status.get("capacity") or {}, status.get("allocatable") or {}
        if not capacity.get("memory") or not allocatable.get("memory"):
            continue
        labels = (node.get("metadata") or {}).get("labels") or {}
        machine = "controlplane" if CONTROL_PLANE_LABEL in labels else "worker"
        cpu_m, mem_mib = reservation.allocatable(millicores(capacity["cpu"]) // 1000, mebibytes(capacity["memory"]),
                                                 machine)
        got_cpu, got_kib = millicores(allocatable["cpu"]), kib(allocatable["memory"])
        derived_kib = round(mem_mib * 1024)
        verdict = "agrees" if (cpu_m, derived_kib) == (got_cpu, got_kib) else "DIFFERS"
        lines.append(f"{name} ({machine}): allocatable derived {cpu_m}m / {derived_kib} KiB from capacity "
                     f"{capacity['cpu']} / {capacity['memory']}, reported {got_cpu}m / {got_kib} KiB: {verdict}")
    return lines
