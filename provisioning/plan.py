"""Pure planning: a Topology becomes an ordered list of resource specs (no I/O).

Specs refer to each other with Ref(key); the executor resolves a Ref to the id of the
resource created (or found) for that key. The order is the creation order; teardown walks
the ledger in reverse.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioning.topology import PHASES, Topology


@dataclass(frozen=True)
class Ref:
    """A reference to another spec's resource id."""

    key: str


@dataclass(frozen=True)
class ResourceSpec:
    """One resource to ensure: its kind, identity key, phase, Name tag and parameters."""

    kind: str
    key: str
    phase: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def refs(self) -> list[str]:
        """Keys of the specs this one depends on."""
        found: list[str] = []

        def walk(v: Any) -> None:
            if isinstance(v, Ref):
                found.append(v.key)
            elif isinstance(v, Mapping):
                for x in v.values():
                    walk(x)
            elif isinstance(v, list | tuple):
                for x in v:
                    walk(x)

        walk(self.params)
        return found


def plan(t: Topology, phases: tuple[str, ...] = PHASES) -> list[ResourceSpec]:
    """Return the ordered specs of the given phases, in phase order.

    Each phase's specs come from provisioning/phases/<phase>.py, function specs(topology).
    """
    specs: list[ResourceSpec] = []
    for phase in PHASES:
        if phase in phases:
            module = importlib.import_module(f"provisioning.phases.{phase}")
            specs += module.specs(t)
    return specs


def vpc_resolver(t: Topology) -> str:
    """The VPC's DNS resolver: the VPC base address + 2."""
    return str(ipaddress.IPv4Network(t.vpc_cidr).network_address + 2)
