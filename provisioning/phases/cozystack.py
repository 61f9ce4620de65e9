"""CozyStack phase: it installs onto the Talos nodes and creates no AWS resources of its own."""

from __future__ import annotations

from provisioning.plan import ResourceSpec
from provisioning.topology import Topology


def specs(t: Topology) -> list[ResourceSpec]:
    """No AWS resources: CozyStack is installed through the Kubernetes API."""
    return []
