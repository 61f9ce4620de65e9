"""Pure renderers of EC2 user-data (the bastion's services) from a Topology and pinned versions."""

from __future__ import annotations

from provisioning.userdata.bastion import live_bindings, render_bastion, vpc_resolver
from provisioning.userdata.model import (
    AssetEndpoint,
    BastionRendering,
    Bindings,
    BootToTalos,
    CacheEndpoint,
    CacheSpec,
    DnsEndpoint,
    Layout,
    Nat,
    Netboot,
    RenderError,
    Service,
)

__all__ = ["AssetEndpoint", "BastionRendering", "Bindings", "BootToTalos", "CacheEndpoint", "CacheSpec",
           "DnsEndpoint", "Layout", "Nat", "Netboot", "RenderError", "Service", "live_bindings",
           "render_bastion", "vpc_resolver"]
