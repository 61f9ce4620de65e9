"""Render the bastion: Topology + pinned versions -> user-data script and its config files.

Pure: nothing is read but the data files, nothing is written. The same rendering runs live
(the bastion's private IP, profile ports, real registries) and offline (a loopback stand-in
passes its own Bindings), so what the stand-in runs is what the bastion would run.
"""

from __future__ import annotations

import ipaddress
import logging
import posixpath
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from provisioning.data import load_data
from provisioning.topology import Topology
from provisioning.userdata import configs
from provisioning.userdata.model import (
    AssetEndpoint,
    BastionRendering,
    Bindings,
    BootToTalos,
    CacheEndpoint,
    CacheSpec,
    DnsEndpoint,
    Nat,
    Netboot,
    RenderError,
    Service,
    load_services,
)
from provisioning.userdata.script import ContainerRun, ScriptParts, user_data_script

log = logging.getLogger(__name__)


def vpc_resolver(topo: Topology) -> str:
    """Return the VPC's Amazon resolver: the VPC network address plus two."""
    return str(ipaddress.IPv4Network(topo.vpc_cidr).network_address + 2)


def live_bindings(topo: Topology, caches: Sequence[CacheSpec] | None = None) -> Bindings:
    """Return the live bindings: the bastion's private IP, the pinned ports and remotes.

    The DNS forwarder forwards to the VPC resolver, or to pi-hole on loopback when the
    profile runs the home-lab netboot services ("pi-hole serves DNS for the VPC").
    """
    svc = load_services()["ports"]
    caches = CacheSpec.all_from_versions(load_data("versions")) if caches is None else tuple(caches)
    upstream = f"127.0.0.1#{svc['pihole_dns']}" if topo.bastion.netboot_services else vpc_resolver(topo)
    return Bindings(listen_ip=topo.bastion.private_ip, cache_ports={c.name: c.port for c in caches},
                    cache_remotes={c.name: c.remote for c in caches}, dns_port=53, dns_upstream=upstream,
                    asset_port=int(svc["assets"]), matchbox_port=int(svc["matchbox"]),
                    pihole_dns_port=int(svc["pihole_dns"]), pihole_web_port=int(svc["pihole_web"]))


def _check_live(topo: Topology, b2t: BootToTalos, bindings: Bindings) -> None:
    if b2t.sha256 is None:
        raise RenderError(f"boot-to-talos {b2t.version}: sha256 is not pinned (versions.yaml boot_to_talos.sha256 "
                          "or TDG_BOOT_TO_TALOS_SHA256); a live bastion would serve an unverified binary")
    if not b2t.url.startswith("https://"):
        raise RenderError(f"boot-to-talos url {b2t.url!r}: a live bastion downloads over https only")
    if bindings.listen_ip != topo.bastion.private_ip:
        raise RenderError(f"bindings.listen_ip = {bindings.listen_ip}: a live bastion binds its private IP "
                          f"{topo.bastion.private_ip} (profile {topo.name})")
    for name, remote in bindings.cache_remotes.items():
        if not remote.startswith("https://"):
            raise RenderError(f"cache {name} remote {remote!r}: a live cache mirrors an https registry")


def _dhcp_range(topo: Topology) -> tuple[str, str]:
    net = topo.subnet(topo.node_subnet).network
    dhcp = load_services()["dhcp"]
    start, end = int(dhcp["range_start_offset"]), int(dhcp["range_end_offset"])
    if net.num_addresses - 2 <= end:
        raise RenderError(f"subnet {topo.node_subnet} ({net}) is too small for the DHCP range .{start}-.{end}")
    return str(net.network_address + start), str(net.network_address + end)


def _netboot(topo: Topology, bindings: Bindings, versions: Mapping[str, Any],
             files: dict[str, str]) -> tuple[Netboot, list[ContainerRun]]:
    svc = load_services()
    lay, ip = bindings.layout, bindings.listen_ip
    net = topo.subnet(topo.node_subnet).network
    matchbox_url = f"http://{ip}:{bindings.matchbox_port}"
    nb = Netboot(dhcp_config_path=lay.path("dnsmasq", "dhcp.conf"), dhcp_range=_dhcp_range(topo),
                 matchbox_url=matchbox_url, profile_path=lay.path("matchbox", "profiles", "talos-arm64.json"),
                 group_path=lay.path("matchbox", "groups", "default.json"),
                 pihole_password_path=lay.path("secrets", "pihole_password"),
                 pihole_dns=f"127.0.0.1#{bindings.pihole_dns_port}")
    files[nb.dhcp_config_path] = configs.dhcp_config(
        ip, nb.dhcp_range, str(net.netmask), str(net.network_address + 1), str(svc["aws_time_sync_ipv4"]),
        matchbox_url, lay.path("dnsmasq", "dhcp.leases"), str(svc["dhcp"]["lease"]))
    files[nb.profile_path] = configs.matchbox_profile(matchbox_url, str(versions["talos"]["version"]))
    files[nb.group_path] = configs.matchbox_group()
    files[lay.unit("tdg-dhcp.service")] = configs.systemd_unit(
        "tdg DHCP for the nodes' subnet (dnsmasq, port=0)",
        f"/usr/sbin/dnsmasq --keep-in-foreground --conf-file={nb.dhcp_config_path} --pid-file=/run/tdg-dhcp.pid")
    secret_in = "/run/secrets/pihole_password"
    pihole = ContainerRun("pihole", svc["images"]["pihole"], (
        "-v", f"{lay.path('pihole')}:/etc/pihole", "-v", f"{nb.pihole_password_path}:{secret_in}:ro",
        "-e", f"WEBPASSWORD_FILE={secret_in}", "-e", "TZ=UTC",
        "-e", f"FTLCONF_dns_port={bindings.pihole_dns_port}", "-e", f"FTLCONF_dns_upstreams={vpc_resolver(topo)}",
        "-e", "FTLCONF_dns_listeningMode=LOCAL", "-e", f"FTLCONF_webserver_port=127.0.0.1:{bindings.pihole_web_port}",
        "-e", "FTLCONF_ntp_ipv4_active=false", "-e", "FTLCONF_ntp_ipv6_active=false",
        "-e", "FTLCONF_ntp_sync_active=false"), ())
    matchbox = ContainerRun("matchbox", svc["images"]["matchbox"],
                            ("-v", f"{lay.path('matchbox')}:/var/lib/matchbox:ro"),
                            (f"-address={ip}:{bindings.matchbox_port}", "-log-level=info"))
    return nb, [pihole, matchbox]


def render_bastion(topo: Topology, *, versions: Mapping[str, Any] | None = None,
                   boot_to_talos: BootToTalos | None = None, bindings: Bindings | None = None,
                   live: bool = True) -> BastionRendering:
    """Render the bastion of topo.

    versions defaults to provisioning/data/versions.yaml; boot_to_talos to its pinned release;
    bindings to live_bindings(topo). Raises RenderError when live and the boot-to-talos sha256
    is not pinned, when a live rendering would bind anything but the profile's private IP, or
    when the user-data exceeds EC2's limit. Offline, a missing sha256 renders a fetch step
    that refuses to serve anything.
    """
    versions = load_data("versions") if versions is None else versions
    b2t = BootToTalos.from_versions(versions) if boot_to_talos is None else boot_to_talos
    pinned = CacheSpec.all_from_versions(versions)
    bindings = live_bindings(topo, pinned) if bindings is None else bindings
    if set(bindings.cache_ports) != {c.name for c in pinned}:
        raise RenderError(f"bindings name caches {sorted(bindings.cache_ports)}; "
                          f"versions.yaml pins {[c.name for c in pinned]}")
    if live:
        _check_live(topo, b2t, bindings)
    svc = load_services()
    lay, ip = bindings.layout, bindings.listen_ip
    files: dict[str, str] = {}
    caches = tuple(CacheEndpoint(
        name=c.name, remote=bindings.cache_remotes[c.name], address=ip, port=bindings.cache_ports[c.name],
        config_path=lay.path("registry", c.name, "config.yml"), storage_dir=lay.path("registry", c.name, "data"),
        container=f"registry-{c.name}") for c in pinned)
    runs: list[ContainerRun] = []
    for c in caches:
        files[c.config_path] = configs.registry_config(c)
        mount = posixpath.dirname(c.config_path)
        runs.append(ContainerRun(c.container, svc["images"]["registry"], ("-v", f"{mount}:{mount}"),
                                 (c.config_path,)))
    dns = DnsEndpoint(address=ip, port=bindings.dns_port, upstream=bindings.dns_upstream,
                      config_path=lay.path("dnsmasq", "dns.conf"))
    files[dns.config_path] = configs.dns_config(dns)
    files[lay.unit("tdg-dns.service")] = configs.systemd_unit(
        "tdg DNS forwarder for the VPC (dnsmasq)",
        f"/usr/sbin/dnsmasq --keep-in-foreground --conf-file={dns.config_path} --pid-file=/run/tdg-dns.pid")
    assets = AssetEndpoint(address=ip, port=bindings.asset_port, directory=lay.path("assets"),
                           relpath=f"boot-to-talos/{b2t.version}/{b2t.asset}", sha256=b2t.sha256,
                           source_url=b2t.url, fetch_script=lay.path("bin", "fetch-boot-to-talos.sh"))
    files[assets.fetch_script] = configs.fetch_script(assets, lay)
    files[lay.unit("tdg-assets.service")] = configs.systemd_unit(
        "tdg asset server (boot-to-talos, verified by sha256)",
        " ".join(["/usr/bin/python3", *(shlex.quote(a) for a in assets.server_args())]))
    nat = None
    if topo.bastion.nat_for_nodes:
        nat = Nat(source_cidr=topo.subnet(topo.node_subnet).cidr, vpc_cidr=topo.vpc_cidr,
                  sysctl_path=posixpath.join(lay.etc, "sysctl.d", "90-tdg-forward.conf"))
        files[nat.sysctl_path] = configs.sysctl_forward()
    netboot = None
    units = ["tdg-dns.service", "tdg-assets.service"]
    if topo.bastion.netboot_services:
        netboot, extra = _netboot(topo, bindings, versions, files)
        runs += extra
        units.append("tdg-dhcp.service")
    services = [Service(c.container, "container", c.config_path) for c in caches]
    services += [Service(r.name, "container", r.image) for r in runs[len(caches):]]
    services += [Service("tdg-dns.service", "systemd", dns.config_path),
                 Service("tdg-assets.service", "systemd", assets.directory)]
    if netboot is not None:
        services.append(Service("tdg-dhcp.service", "systemd", netboot.dhcp_config_path))
    packages = list(svc["packages"]["always"]) + (list(svc["packages"]["nat"]) if nat else [])
    directories = [assets.directory, *(c.storage_dir for c in caches)]
    if netboot is not None:
        directories += [lay.path("pihole"), lay.path("matchbox", "assets")]
    parts = ScriptParts(profile=topo.name, layout=lay, listen_ip=ip, files=files,
                        executables=frozenset({assets.fetch_script}), directories=tuple(directories),
                        packages=tuple(packages),
                        nat_commands=tuple(configs.iptables_commands(nat)) if nat else (),
                        sysctl_path=nat.sysctl_path if nat else None,
                        secret_path=netboot.pihole_password_path if netboot else None,
                        containers=tuple(runs), units=tuple(units), fetch_script=assets.fetch_script)
    text = user_data_script(parts)
    limit = int(svc["user_data_limit_bytes"])
    size = len(text.encode("utf-8"))
    if size > limit:
        raise RenderError(f"bastion user-data is {size} bytes; EC2 accepts at most {limit}")
    log.debug("rendered bastion user-data for %s: %d bytes, %d files", topo.name, size, len(files))
    return BastionRendering(profile=topo.name, static_ip=topo.bastion.private_ip, listen_ip=ip, live=live,
                            user_data=text, files=files, executables=parts.executables, caches=caches, dns=dns,
                            assets=assets, nat=nat, netboot=netboot, services=tuple(services))
