"""Checks of the Talos nodes' EC2 side: address, exposure, metadata, disk, tags and user-data.

Each function compares what the API reports (an InstanceState, or None when no instance was
found) with the planned Node and returns violations naming the node, the expected and the
actual value; an empty list passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from provisioning import tags as tagging
from provisioning.aws.bastion_state import TemplateState
from provisioning.aws.instance_state import InstanceState, VolumeState
from provisioning.checks.secrets import scan
from provisioning.phases.talos import PHASE, ROLE_KEY, instance_key
from provisioning.topology import Node, Topology


def instance_of(instances: Iterable[InstanceState], node: Node) -> InstanceState | None:
    """The instance created for node (by its tdg:key tag), or None."""
    for inst in instances:
        if inst.key == instance_key(node):
            return inst
    return None


def _missing(node: Node) -> list[str]:
    return [f"node {node.name}: expected an instance tagged {tagging.SPEC_KEY}={instance_key(node)}, found none"]


def _who(node: Node, inst: InstanceState) -> str:
    return f"node {node.name} ({inst.id})"


def launched(t: Topology, instances: Sequence[InstanceState]) -> list[str]:
    """Exactly one live instance per planned node, and none the profile does not plan."""
    out: list[str] = []
    for node in t.nodes:
        mine = [i.id for i in instances if i.key == instance_key(node)]
        if len(mine) != 1:
            out.append(f"node {node.name}: expected 1 instance at {node.private_ip}, found {len(mine)} {mine}")
    planned = {instance_key(n) for n in t.nodes}
    out += [f"instance {i.id}: tagged {tagging.SPEC_KEY}={i.key!r}, which is no planned node" if i.key else
            f"instance {i.id} at {i.private_ip or 'no address'} in the nodes' security group: expected no instance "
            f"but the planned nodes at {[n.private_ip for n in t.nodes]}, found one no node plans"
            for i in instances if i.key not in planned]
    return out


def planned_ip(node: Node, inst: InstanceState | None) -> list[str]:
    """The instance's only private IPv4 is the node's planned address."""
    if inst is None:
        return _missing(node)
    ips = inst.all_private_ips or ((inst.private_ip,) if inst.private_ip else ())
    if ips == (node.private_ip,) and inst.private_ip == node.private_ip:
        return []
    return [f"{_who(node, inst)}: expected exactly the private IPv4 {node.private_ip}, "
            f"found {list(ips) or 'none'} (primary {inst.private_ip or 'none'})"]


def no_public_ipv4(node: Node, inst: InstanceState | None) -> list[str]:
    """Neither the instance nor any of its interfaces has a public IPv4."""
    if inst is None:
        return _missing(node)
    public = sorted({ip for ip in [inst.public_ipv4, *(i.public_ipv4 for i in inst.interfaces)] if ip})
    return [f"{_who(node, inst)}: expected no public IPv4, found {public}"] if public else []


def instance_type(node: Node, inst: InstanceState | None) -> list[str]:
    """The instance has the profile's type for the node."""
    if inst is None:
        return _missing(node)
    if inst.instance_type == node.instance_type:
        return []
    return [f"{_who(node, inst)}: expected instance type {node.instance_type}, found {inst.instance_type}"]


def imdsv2(node: Node, inst: InstanceState | None) -> list[str]:
    """The metadata service requires session tokens (IMDSv2) or is switched off."""
    if inst is None:
        return _missing(node)
    if inst.http_endpoint == "disabled" or inst.http_tokens == "required":
        return []
    return [f"{_who(node, inst)}: expected IMDSv2 (HttpTokens=required), found HttpTokens={inst.http_tokens}"]


def _root(node: Node, inst: InstanceState) -> tuple[VolumeState | None, list[str]]:
    root = inst.root_volume
    if root is None:
        return None, [f"{_who(node, inst)}: expected a root volume at {inst.root_device or 'the root device'}, "
                      "found none"]
    return root, []


def root_volume(node: Node, inst: InstanceState | None) -> list[str]:
    """The root volume is gp3 of the planned size."""
    if inst is None:
        return _missing(node)
    root, out = _root(node, inst)
    if root is None:
        return out
    if root.volume_type != "gp3":
        out.append(f"{_who(node, inst)}: expected root volume {root.id} of type gp3, found {root.volume_type}")
    if root.size_gib != node.root_volume_gb:
        out.append(f"{_who(node, inst)}: expected root volume {root.id} of {node.root_volume_gb} GiB, "
                   f"found {root.size_gib} GiB")
    return out


def encrypted(node: Node, inst: InstanceState | None) -> list[str]:
    """Every volume of the instance, the root first, is encrypted."""
    if inst is None:
        return _missing(node)
    root, out = _root(node, inst)
    out += [f"{_who(node, inst)}: expected volume {v.id} ({v.device}) encrypted, found unencrypted"
            for v in inst.volumes if not v.encrypted]
    return out


def node_group(node: Node, inst: InstanceState | None, nodes_sg: str) -> list[str]:
    """Every interface of the instance is in the nodes' security group and no other."""
    if inst is None:
        return _missing(node)
    bad = [f"{i.id} in {list(i.groups)}" for i in inst.interfaces if i.groups != (nodes_sg,)]
    return [f"{_who(node, inst)}: expected only security group {nodes_sg}, found {'; '.join(bad)}"] if bad else []


def run_tags(node: Node, inst: InstanceState | None, run_id: str) -> list[str]:
    """The instance and its root volume carry the run's tags, the phase and the node's role."""
    if inst is None:
        return _missing(node)
    out = []
    expected = {tagging.MANAGED_BY_KEY: tagging.MANAGED_BY_VALUE, tagging.RUN_ID_KEY: run_id,
                tagging.PHASE_KEY: PHASE, ROLE_KEY: node.role}
    items = [(f"{_who(node, inst)}", inst.tags)]
    if inst.root_volume is not None:
        items.append((f"node {node.name} root volume {inst.root_volume.id}", inst.root_volume.tags))
    for what, tags in items:
        wrong = {k: tags.get(k) for k, v in expected.items() if tags.get(k) != v}
        if node.name not in tags.get("Name", ""):
            wrong["Name"] = tags.get("Name")
        if wrong:
            out.append(f"{what}: expected tags {expected} and a Name with {node.name!r}, found {wrong}")
    return out


def user_data_clean(node: Node, inst: InstanceState | None, secrets: Sequence[str]) -> list[str]:
    """The user-data EC2 stores for the instance holds no secret (it is readable from IMDS and the API)."""
    if inst is None:
        return _missing(node)
    if not inst.user_data.strip():
        return [f"{_who(node, inst)}: expected the boot-to-talos user-data, found none"]
    return scan(inst.user_data, f"user-data of {_who(node, inst)}", secrets)


def data_volume(node: Node, inst: InstanceState | None, run_id: str) -> list[str]:
    """The profile's data_volume_gb is one more volume: that size, gp3, encrypted, deleted with the node, tagged.

    With data_volume_gb 0 the node must have no volume besides its root.
    """
    if inst is None:
        return _missing(node)
    who, extra = _who(node, inst), inst.data_volumes
    if node.data_volume_gb == 0:
        shown = ", ".join(f"{v.id} ({v.device})" for v in extra)
        return [f"{who}: no data volume planned, found {shown}"] if extra else []
    if len(extra) != 1:
        return [f"{who}: expected one {node.data_volume_gb} GB data volume, found {len(extra)}"]
    vol, out = extra[0], []
    expected = {"size": f"{node.data_volume_gb} GiB", "type": "gp3", "encrypted": True, "delete_on_termination": True}
    found = {"size": f"{vol.size_gib} GiB", "type": vol.volume_type, "encrypted": vol.encrypted,
             "delete_on_termination": vol.delete_on_termination}
    wrong = {k: v for k, v in found.items() if v != expected[k]}
    if wrong:
        out.append(f"{who}: data volume {vol.id} ({vol.device}) expected {expected}, found {wrong}")
    if vol.tags.get(tagging.RUN_ID_KEY) != run_id or vol.tags.get(tagging.MANAGED_BY_KEY) != tagging.MANAGED_BY_VALUE:
        out.append(f"{who}: data volume {vol.id} lacks the run's tags (tdg:run-id={run_id}); found {vol.tags}")
    return out


def attached_data_gb(instances: Iterable[InstanceState], nodes: Iterable[Node]) -> dict[str, int]:
    """Node name -> GB of data volume really attached (0 when none), for the nodes that have an instance."""
    out = {}
    for node in nodes:
        inst = instance_of(instances, node)
        if inst is not None:
            out[node.name] = sum(v.size_gib for v in inst.data_volumes)
    return out


def templates_clean(templates: Iterable[TemplateState | None], secrets: Sequence[str]) -> list[str]:
    """No launchable version ($Default, $Latest) of the nodes' launch templates holds a secret in its user-data."""
    return [v for t in templates if t is not None for ver in t.versions
            for v in scan(ver.user_data, f"launch template {t.id} v{ver.number} user-data", secrets)]
