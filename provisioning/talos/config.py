"""Render a lab node's Talos v1.12 config patch: the multi-document form v1.12 expects (pure).

The patch goes to `talosctl gen config --talos-version v1.12 --config-patch` (or talm), which emits
the v1alpha1 document and a HostnameConfig with `auto: stable` (talos_config.yaml gen_config). So
nothing here conflicts with that: the v1alpha1 part holds no hostname, nameservers, time servers,
registries or interfaces (v1.12's schema dropped them), and the node's settings are documents:
- HostnameConfig: `auto: off` + the node's name (merged onto the generated `auto: stable`; setting
  only `hostname` would leave both set, which Talos refuses);
- LinkAliasConfig + LinkConfig: the ENI's link found by its permanent MAC (ENA names under platform
  metal are unverified), the planned static address, and a default route whose metric beats the
  route Talos derives from the `ip=` argument boot-to-talos bakes (talos_config.yaml routes);
- ResolverConfig (the VPC resolver), TimeSyncConfig (Amazon Time Sync), one RegistryMirrorConfig
  per bastion cache (plain HTTP, so no RegistryTLSConfig).
With for_cozystack, CozyStack's own Talos settings (talos_config.yaml cozystack, each from its guide).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from provisioning.data import load_data
from provisioning.talos.machineconfig import dump
from provisioning.talos.roles import talos_machine_type
from provisioning.topology import Node, Topology

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
LINK_ALIAS = "net0"
V1 = "v1alpha1"


def default_gateway(topo: Topology) -> str:
    """Return the nodes' IPv4 default gateway: the bastion when it NATs for them, else the subnet router (.1)."""
    if topo.bastion.nat_for_nodes:
        return topo.bastion.private_ip
    return str(topo.subnet(topo.node_subnet).network.network_address + 1)


def vpc_resolver(topo: Topology) -> str:
    """Return the Amazon-provided DNS resolver: the VPC base address + 2."""
    return str(ipaddress.IPv4Network(topo.vpc_cidr).network_address + 2)


def registry_mirrors(bastion_ip: str) -> dict[str, list[str]]:
    """Map each cached upstream registry to the bastion's plain-HTTP cache (versions.yaml registry_caches)."""
    caches = load_data("versions")["registry_caches"]
    return {c["name"]: [f"http://{bastion_ip}:{int(c['port'])}"] for c in caches}


def route_metric() -> int:
    """The metric of the nodes' configured default route: below the cmdline route's, so it wins."""
    routes = load_data("talos_config")["routes"]
    metric = int(routes["node_default_route_metric"])
    if metric >= int(routes["cmdline_route_metric"]):
        raise ValueError(f"talos_config.yaml routes.node_default_route_metric = {metric}: must be below the "
                         f"cmdline route's {routes['cmdline_route_metric']} or that route keeps winning")
    return metric


def _doc(kind: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": V1, "kind": kind, **fields}


def network_documents(topo: Topology, node: Node, mac: str) -> list[dict[str, Any]]:
    """HostnameConfig, link alias + link (address, default route), resolver, time sync and mirrors."""
    mac = mac.lower()
    if not _MAC.match(mac):
        raise ValueError(f"node {node.name}: MAC {mac!r} is not six colon-separated hex pairs")
    prefix = topo.subnet(topo.node_subnet).network.prefixlen
    servers = list(load_data("talos_limits")["machine_config"]["time_servers"])
    docs = [
        _doc("HostnameConfig", auto="off", hostname=node.name),
        _doc("LinkAliasConfig", name=LINK_ALIAS, selector={"match": f'mac(link.permanent_addr) == "{mac}"'}),
        _doc("LinkConfig", name=LINK_ALIAS, up=True, addresses=[{"address": f"{node.private_ip}/{prefix}"}],
             routes=[{"gateway": default_gateway(topo), "metric": route_metric()}]),
        _doc("ResolverConfig", nameservers=[{"address": vpc_resolver(topo)}]),
        _doc("TimeSyncConfig", ntp={"servers": servers}),
    ]
    docs += [_doc("RegistryMirrorConfig", name=host, endpoints=[{"url": u} for u in urls])
             for host, urls in registry_mirrors(topo.bastion.private_ip).items()]
    return docs


def _cozystack(machine: dict[str, Any], cluster: dict[str, Any], control_plane: bool) -> None:
    cozy = load_data("talos_config")["cozystack"]
    limits = load_data("talos_limits")["machine_config"]["cozystack"]
    machine["kernel"] = {"modules": [dict(m) for m in limits["kernel_modules"]]}
    machine["kubelet"]["extraConfig"] = {"maxPods": int(cozy["max_pods"])}
    machine["sysctls"] = dict(cozy["sysctls"])
    machine["files"] = [dict(f) for f in cozy["files"]]
    cluster["network"] = {"cni": {"name": "none"}, "dnsDomain": limits["cluster_domain"],
                          "podSubnets": list(limits["pod_subnets"]), "serviceSubnets": list(limits["service_subnets"])}
    cluster["proxy"] = {"disabled": True}
    cluster["discovery"] = {"enabled": False}
    if control_plane:
        cp = cozy["control_plane"]
        cluster["controllerManager"] = {"extraArgs": {"bind-address": cp["controller_manager_bind_address"]}}
        cluster["scheduler"] = {"extraArgs": {"bind-address": cp["scheduler_bind_address"]}}
        sans = cluster["apiServer"]["certSANs"]
        sans += [s for s in cp["apiserver_cert_sans"] if s not in sans]


def node_patch(topo: Topology, node: Node, *, mac: str, for_cozystack: bool = False,
               all_control_planes: bool = False, extra_cert_sans: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Return the config patch of one node as documents: the v1alpha1 part first, then the network documents."""
    if node not in topo.nodes:
        raise ValueError(f"node {node.name} is not part of topology {topo.name}")
    talos = load_data("versions")["talos"]
    subnet = str(topo.subnet(topo.node_subnet).network)
    sans = [node.private_ip, *[s for s in extra_cert_sans if s != node.private_ip]]
    machine: dict[str, Any] = {
        "install": {"disk": talos["install_disk"], "image": node.image},
        "certSANs": list(sans),
        "kubelet": {"nodeIP": {"validSubnets": [subnet]}},
    }
    cluster: dict[str, Any] = {"allowSchedulingOnControlPlanes": True}
    control_plane = talos_machine_type(node, all_control_planes=all_control_planes) == "controlplane"
    if control_plane:
        cluster["apiServer"] = {"certSANs": list(sans)}
        cluster["etcd"] = {"advertisedSubnets": [subnet]}
    if for_cozystack:
        _cozystack(machine, cluster, control_plane)
    return [{"machine": machine, "cluster": cluster}, *network_documents(topo, node, mac)]


def node_patch_yaml(topo: Topology, node: Node, **kwargs: Any) -> str:
    """Return node_patch(...) as multi-document YAML text."""
    return dump(node_patch(topo, node, **kwargs))
