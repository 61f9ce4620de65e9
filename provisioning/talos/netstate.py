"""Typed views of the network, resolver and registry resources Talos v1.12 reports (talosctl get -o json).

Spec keys are the YAML tags of siderolabs/talos v1.12.7 pkg/machinery/resources/network/
route_status.go, hostname_status.go, resolver_status.go and cri/registries_config.go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioning.talos.resources import Raw, SpecView, _node, _spec


@dataclass(frozen=True)
class Route(SpecView):
    """RouteStatuses.net.talos.dev: one kernel route; an empty dst is a default route."""

    SPEC = {"dst": "dst", "gateway": "gateway", "link": "outLinkName", "priority": "priority", "table": "table",
             "family": "family"}
    DEFAULTS = {"table": "main"}

    node: str
    id: str
    dst: str
    gateway: str
    link: str
    priority: int
    table: str
    family: str

    @property
    def is_default(self) -> bool:
        return self.dst in ("", "0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class HostnameStatus(SpecView):
    """HostnameStatuses.net.talos.dev (id hostname)."""

    SPEC = {"hostname": "hostname", "domainname": "domainname"}

    node: str
    hostname: str
    domainname: str


@dataclass(frozen=True)
class ResolverStatus:
    """ResolverStatuses.net.talos.dev (id resolvers)."""

    node: str
    servers: tuple[str, ...]

    @classmethod
    def parse(cls, raw: Raw) -> ResolverStatus:
        return cls(node=_node(raw), servers=tuple(str(s) for s in _spec(raw).get("dnsServers") or []))


@dataclass(frozen=True)
class RegistryConfig:
    """RegistryConfigs.cri.talos.dev (id registries): mirrors (host -> endpoint URLs) and TLS settings by host."""

    node: str
    mirrors: dict[str, tuple[str, ...]]
    tls: dict[str, dict[str, Any]]

    @classmethod
    def parse(cls, raw: Raw) -> RegistryConfig:
        spec = _spec(raw)
        mirrors = {str(h): tuple(str(e.get("endpoint", "")) for e in (m or {}).get("endpoints") or [])
                   for h, m in (spec.get("mirrors") or {}).items()}
        tls = {str(h): dict(t or {}) for h, t in (spec.get("tls") or {}).items()}
        return cls(node=_node(raw), mirrors=mirrors, tls=tls)
