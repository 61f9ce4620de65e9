"""The bastion rendering as data: inputs (what to pin, where to bind) and the frozen result.

Inputs are validated when built, so a bad port map or checksum fails before any text is made.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from provisioning import yamlio
from provisioning.errors import TdgError

SERVICES_FILE = Path(__file__).resolve().parent / "bastion_services.yaml"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RenderError(TdgError):
    """The bastion cannot be rendered from these inputs (nothing was written anywhere)."""


@cache
def load_services() -> dict[str, Any]:
    """Load bastion_services.yaml (images, packages, ports, limits; cached, read-only)."""
    with SERVICES_FILE.open(encoding="utf-8") as fh:
        data = yamlio.load(fh)
    if not isinstance(data, dict) or "source" not in data:
        raise ValueError(f"{SERVICES_FILE.name} must be a mapping that names its source")
    return data


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Layout:
    """Where files go on the host: root for our tree, etc for units and sysctl, cloud for cloud-init."""

    root: str = "/opt/tdg"
    etc: str = "/etc"
    cloud: str = "/var/lib/cloud"

    def __post_init__(self) -> None:
        for name in ("root", "etc", "cloud"):
            value = getattr(self, name)
            if not posixpath.isabs(value) or "'" in value or " " in value:
                raise RenderError(f"layout.{name} = {value!r}: must be an absolute path without quotes or spaces")

    def path(self, *parts: str) -> str:
        """Return a path under root."""
        return posixpath.join(self.root, *parts)

    def unit(self, name: str) -> str:
        """Return the path of a systemd unit file."""
        return posixpath.join(self.etc, "systemd", "system", name)


@dataclass(frozen=True)
class BootToTalos:
    """The pinned boot-to-talos release: the tarball's URL and the sha256 it must have."""

    version: str
    url: str
    asset: str
    sha256: str | None

    def __post_init__(self) -> None:
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise RenderError(f"boot_to_talos.sha256 = {self.sha256!r}: must be 64 lowercase hex digits")
        if not self.url.startswith(("https://", "http://")):
            raise RenderError(f"boot_to_talos.url = {self.url!r}: must be an http(s) URL")
        if "/" in self.asset or not self.asset:
            raise RenderError(f"boot_to_talos.asset = {self.asset!r}: must be a file name")

    @classmethod
    def from_versions(cls, versions: Mapping[str, Any], sha256: str | None = None) -> BootToTalos:
        """Build from versions.yaml's boot_to_talos block; sha256 (if given) overrides the file's."""
        b = versions["boot_to_talos"]
        return cls(version=str(b["version"]), url=str(b["url"]), asset=str(b["asset"]),
                   sha256=sha256 if sha256 is not None else b.get("sha256"))


@dataclass(frozen=True)
class CacheSpec:
    """One pull-through cache as pinned: its name, the registry it mirrors and its bastion port."""

    name: str
    remote: str
    port: int

    @classmethod
    def all_from_versions(cls, versions: Mapping[str, Any]) -> tuple[CacheSpec, ...]:
        """Every cache of versions.yaml's registry_caches list, in file order."""
        return tuple(cls(str(c["name"]), str(c["remote"]), int(c["port"])) for c in versions["registry_caches"])


@dataclass(frozen=True)
class Bindings:
    """Where the rendered services listen and what they talk to.

    Live: the bastion's private IP, the profile ports and the real registries. The offline
    stand-in passes loopback addresses, free ports and a loopback upstream instead.
    dns_upstream is a dnsmasq server spec ("10.10.0.2" or "127.0.0.1#5335").
    """

    listen_ip: str
    cache_ports: Mapping[str, int]
    cache_remotes: Mapping[str, str]
    dns_port: int
    dns_upstream: str
    asset_port: int
    matchbox_port: int
    pihole_dns_port: int
    pihole_web_port: int
    layout: Layout = field(default_factory=Layout)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cache_ports", _frozen(self.cache_ports))
        object.__setattr__(self, "cache_remotes", _frozen(self.cache_remotes))
        try:
            ipaddress.IPv4Address(self.listen_ip)
        except ValueError as exc:
            raise RenderError(f"bindings.listen_ip = {self.listen_ip!r}: {exc}") from exc
        if set(self.cache_ports) != set(self.cache_remotes):
            raise RenderError(f"bindings: cache_ports names {sorted(self.cache_ports)} differ from "
                              f"cache_remotes names {sorted(self.cache_remotes)}")
        for name, remote in self.cache_remotes.items():
            if not remote.startswith(("https://", "http://")):
                raise RenderError(f"bindings.cache_remotes[{name}] = {remote!r}: must be an http(s) URL")
        ports = self.all_ports()
        for what, port in ports.items():
            if not 1 <= port <= 65535:
                raise RenderError(f"bindings.{what} = {port}: not a TCP port")
        seen: dict[int, str] = {}
        for what, port in ports.items():
            if port in seen:
                raise RenderError(f"bindings.{what} = {port}: already used by {seen[port]}")
            seen[port] = what

    def all_ports(self) -> dict[str, int]:
        """Every port these bindings use, by what uses it."""
        ports = {f"cache_ports[{n}]": p for n, p in self.cache_ports.items()}
        ports.update(dns_port=self.dns_port, asset_port=self.asset_port, matchbox_port=self.matchbox_port,
                     pihole_dns_port=self.pihole_dns_port, pihole_web_port=self.pihole_web_port)
        return ports


@dataclass(frozen=True)
class CacheEndpoint:
    """A rendered cache: where it listens, what it mirrors, its config file and storage."""

    name: str
    remote: str
    address: str
    port: int
    config_path: str
    storage_dir: str
    container: str

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"


@dataclass(frozen=True)
class DnsEndpoint:
    """The rendered DNS forwarder (dnsmasq): listen address and port, upstream, config file."""

    address: str
    port: int
    upstream: str
    config_path: str


@dataclass(frozen=True)
class AssetEndpoint:
    """The rendered asset server and the one file it must serve, with the pinned checksum."""

    address: str
    port: int
    directory: str
    relpath: str
    sha256: str | None
    source_url: str
    fetch_script: str

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/{self.relpath}"

    @property
    def path(self) -> str:
        """Where the verified file lives on the host."""
        return posixpath.join(self.directory, self.relpath)

    def server_args(self) -> tuple[str, ...]:
        """Arguments after the python3 interpreter that run the asset server."""
        return ("-m", "http.server", str(self.port), "--bind", self.address, "--directory", self.directory)


@dataclass(frozen=True)
class Nat:
    """IPv4 forwarding and masquerade for the nodes' subnet (source) to outside the VPC."""

    source_cidr: str
    vpc_cidr: str
    sysctl_path: str

    def rules(self) -> tuple[tuple[str, ...], ...]:
        """The iptables rules as (table, chain, rule args...) tuples, in the order they are added."""
        return (("nat", "POSTROUTING", "-s", self.source_cidr, "!", "-d", self.vpc_cidr, "-j", "MASQUERADE"),
                ("filter", "FORWARD", "-s", self.source_cidr, "-j", "ACCEPT"),
                ("filter", "FORWARD", "-d", self.source_cidr, "-m", "conntrack", "--ctstate",
                 "RELATED,ESTABLISHED", "-j", "ACCEPT"))


@dataclass(frozen=True)
class Netboot:
    """The home-lab extras: DHCP range, matchbox profile/group, pi-hole with a host-made password."""

    dhcp_config_path: str
    dhcp_range: tuple[str, str]
    matchbox_url: str
    profile_path: str
    group_path: str
    pihole_password_path: str
    pihole_dns: str


ServiceKind = Literal["container", "systemd"]


@dataclass(frozen=True)
class Service:
    """Something that must run on the bastion: a container or a unit, and a cmdline marker.

    signature is a string found in the command line of the process (a config path), which
    lets a check find the process without docker (the offline stand-in runs plain processes).
    """

    name: str
    kind: ServiceKind
    signature: str


@dataclass(frozen=True)
class BastionRendering:
    """Everything the bastion's user-data makes: the script, its files and what must then run."""

    profile: str
    static_ip: str
    listen_ip: str
    live: bool
    user_data: str
    files: Mapping[str, str]
    executables: frozenset[str]
    caches: tuple[CacheEndpoint, ...]
    dns: DnsEndpoint
    assets: AssetEndpoint
    nat: Nat | None
    netboot: Netboot | None
    services: tuple[Service, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", _frozen(self.files))

    def cache(self, name: str) -> CacheEndpoint:
        """Return the cache called name (a profile name such as 'ghcr.io')."""
        for c in self.caches:
            if c.name == name:
                return c
        raise KeyError(f"no cache {name!r}; rendered: {[c.name for c in self.caches]}")

    @property
    def user_data_bytes(self) -> int:
        return len(self.user_data.encode("utf-8"))
