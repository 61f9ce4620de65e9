"""What a lab role means on Talos: machine type and required system extensions (talos_limits.yaml roles)."""

from __future__ import annotations

from typing import Literal

from provisioning.data import load_data
from provisioning.topology import Node

MachineType = Literal["controlplane", "worker"]


def talos_machine_type(node: Node, *, all_control_planes: bool = False) -> MachineType:
    """Return the Talos machine type: gateway = controlplane, compute = worker (unless all are control planes)."""
    if all_control_planes:
        return "controlplane"
    kind: MachineType = load_data("talos_limits")["roles"][node.role]["machine_type"]
    return kind


def required_extensions(node: Node) -> tuple[str, ...]:
    """Return the system extensions the node's role image must carry (spin everywhere, tailscale on the gateway)."""
    return tuple(load_data("talos_limits")["roles"][node.role]["extensions"])
