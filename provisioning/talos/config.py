"""Render Talos machine-config patches for a lab node, and the Tailscale service config (pure).

The patch is a strategic-merge patch for `talosctl gen config --config-patch` (or talm): a
static address on the primary link, picked by MAC when one is known because ENA interface
names under platform metal are unverified; a default route, resolver and Amazon Time Sync;
registry mirrors to the bastion's plain-HTTP caches with no TLS `config` block (Talos rejects
TLS settings on http mirrors, upstream-facts §2); install disk and image. It uses the v1alpha1
`machine.network.interfaces` form, which Talos 1.10-1.12 accept.

The Tailscale ExtensionServiceConfig carries the auth key, so it comes back as a
SecretDocument whose repr and str are redacted; the caller writes it to a 0600 file and
applies it, and the key never reaches user-data or logs.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provisioning.data import load_data
from provisioning.talos.roles import talos_machine_type
from provisioning.topology import Node, Topology

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class _NoAliases(yaml.SafeDumper):
    """Talos reads plain YAML best: never emit &anchors/*aliases for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def default_gateway(topo: Topology) -> str:
    """Return the nodes' IPv4 default gateway: the bastion when it NATs for them, else the subnet router (.1)."""
    if topo.bastion.nat_for_nodes:
        return topo.bastion.private_ip
    return str(topo.subnet(topo.node_subnet).network.network_address + 1)


def vpc_resolver(topo: Topology) -> str:
    """Return the Amazon-provided DNS resolver: the VPC base address + 2."""
    return str(ipaddress.IPv4Network(topo.vpc_cidr).network_address + 2)


def registry_mirrors(bastion_ip: str) -> dict[str, dict[str, list[str]]]:
    """Map each cached upstream registry to the bastion's plain-HTTP cache (versions.yaml registry_caches)."""
    caches = load_data("versions")["registry_caches"]
    return {c["name"]: {"endpoints": [f"http://{bastion_ip}:{int(c['port'])}"]} for c in caches}


def _interface(topo: Topology, node: Node, mac: str | None) -> dict[str, Any]:
    subnet = topo.subnet(topo.node_subnet).network
    if mac is not None:
        mac = mac.lower()
        if not _MAC.match(mac):
            raise ValueError(f"node {node.name}: MAC {mac!r} is not six colon-separated hex pairs")
        selector: dict[str, Any] = {"hardwareAddr": mac}
    else:
        # One ENI per node: the only physical link is the primary one.
        selector = {"physical": True}
    return {
        "deviceSelector": selector,
        "dhcp": False,
        "addresses": [f"{node.private_ip}/{subnet.prefixlen}"],
        "routes": [{"network": "0.0.0.0/0", "gateway": default_gateway(topo)}],
    }


def node_patch(topo: Topology, node: Node, *, mac: str | None = None, for_cozystack: bool = False,
               all_control_planes: bool = False, extra_cert_sans: Sequence[str] = ()) -> dict[str, Any]:
    """Return the machine-config patch of one node as a dict (see node_patch_yaml for the text)."""
    if node not in topo.nodes:
        raise ValueError(f"node {node.name} is not part of topology {topo.name}")
    limits = load_data("talos_limits")["machine_config"]
    talos = load_data("versions")["talos"]
    subnet = str(topo.subnet(topo.node_subnet).network)
    sans = [node.private_ip, *[s for s in extra_cert_sans if s != node.private_ip]]
    machine: dict[str, Any] = {
        "network": {
            "hostname": node.name,
            "interfaces": [_interface(topo, node, mac)],
            "nameservers": [vpc_resolver(topo)],
        },
        "time": {"servers": list(limits["time_servers"])},
        "registries": {"mirrors": registry_mirrors(topo.bastion.private_ip)},
        "install": {"disk": talos["install_disk"], "image": node.image},
        "certSANs": list(sans),
        "kubelet": {"nodeIP": {"validSubnets": [subnet]}},
    }
    cluster: dict[str, Any] = {"allowSchedulingOnControlPlanes": True}
    if talos_machine_type(node, all_control_planes=all_control_planes) == "controlplane":
        cluster["apiServer"] = {"certSANs": list(sans)}
        cluster["etcd"] = {"advertisedSubnets": [subnet]}
    if for_cozystack:
        cozy = limits["cozystack"]
        machine["kernel"] = {"modules": [dict(m) for m in cozy["kernel_modules"]]}
        cluster["network"] = {"cni": {"name": "none"}, "dnsDomain": cozy["cluster_domain"],
                              "podSubnets": list(cozy["pod_subnets"]),
                              "serviceSubnets": list(cozy["service_subnets"])}
        cluster["proxy"] = {"disabled": True}
        cluster["discovery"] = {"enabled": False}
    return {"machine": machine, "cluster": cluster}


def node_patch_yaml(topo: Topology, node: Node, **kwargs: Any) -> str:
    """Return node_patch(...) as YAML text, keys in a readable order."""
    return yaml.dump(node_patch(topo, node, **kwargs), Dumper=_NoAliases, sort_keys=False, default_flow_style=False)


@dataclass(frozen=True)
class SecretDocument:
    """A rendered document that holds a secret: repr/str/format are redacted, reveal() gives the text."""

    name: str
    _text: str = field(repr=False)

    def __repr__(self) -> str:
        return f"SecretDocument(name={self.name!r}, text=<redacted, {len(self._text)} chars>)"

    __str__ = __repr__

    def reveal(self) -> str:
        """Return the full text, secret included (only for writing it to a private file)."""
        return self._text

    def write_private(self, path: Path) -> Path:
        """Write the text to a new file readable by its owner only (0600); refuses to overwrite."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, self._text.encode())
        finally:
            os.close(fd)
        return path


def tailscale_service_config(auth_key: str, *, routes: Sequence[str] = (),
                             hostname: str | None = None) -> SecretDocument:
    """Render the ExtensionServiceConfig named tailscale that ext-tailscale waits for (talos-cozystack-facts §7).

    routes become TS_ROUTES (subnet routes to advertise). Raises ValueError, without echoing the
    key, when it is not a single-line "tskey-..." value.
    """
    if not auth_key.startswith("tskey-") or any(ch.isspace() for ch in auth_key):
        raise ValueError("the Tailscale auth key must be a single 'tskey-...' token (value not shown)")
    for route in routes:
        ipaddress.ip_network(route, strict=True)
    env = [f"TS_AUTHKEY={auth_key}"]
    if routes:
        env.append(f"TS_ROUTES={','.join(routes)}")
    if hostname:
        env.append(f"TS_HOSTNAME={hostname}")
    doc = {"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "tailscale", "environment": env}
    return SecretDocument("tailscale", yaml.safe_dump(doc, sort_keys=False))
