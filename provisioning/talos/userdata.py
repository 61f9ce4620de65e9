"""Render a node's EC2 user-data: fetch boot-to-talos from the bastion, verify it, install Talos to disk (pure).

The script runs once under cloud-init on the base AMI. It downloads the pinned arm64 release
tarball from the bastion's asset server (retrying 404s and connection errors for about ten
minutes, data/node_userdata.yaml: the bastion may still be starting), refuses to go on unless
its sha256 matches, and runs (up to install.attempts times)
`boot-to-talos -yes -mode install -disk /dev/nvme0n1 -image <bastion>:5054/<path>`: with -yes
and no -mode the tool kexecs into RAM and leaves the disk alone (upstream-facts §1). Everything
is copied to the serial console, because the install overwrites the disk (and its logs) and the
only record left is `ec2 get-console-output`. A marker file stops a second run. The script
holds no secrets: the Talos machine config is applied later over the Talos API.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from provisioning.data import load_data
from provisioning.errors import SetupError
from provisioning.topology import Node

EC2_USER_DATA_LIMIT = 16 * 1024
MARKER = "/var/lib/tdg/boot-to-talos.started"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_IMAGE_REF = re.compile(r"^[A-Za-z0-9._/:@-]+$")


class BootToTalosChecksumMissing(SetupError):
    """The boot-to-talos tarball has no known sha256, so the user-data cannot be rendered."""


def cached_image(image: str, bastion_ip: str) -> str:
    """Rewrite a registry image ref to the bastion's pull-through cache for that registry.

    ghcr.io/a/b:t -> <bastion_ip>:5054/a/b:t (ports from versions.yaml registry_caches).
    boot-to-talos pulls with go-containerregistry, which uses plain HTTP for RFC 1918 hosts.
    """
    if not _IMAGE_REF.match(image):
        raise ValueError(f"image {image!r} has characters an OCI reference cannot have")
    registry, sep, path = image.partition("/")
    if not sep or "." not in registry:
        registry, path = "docker.io", image
    ports = {c["name"]: int(c["port"]) for c in load_data("versions")["registry_caches"]}
    if registry not in ports:
        raise ValueError(f"image {image!r}: registry {registry!r} has no cache on the bastion; cached: {sorted(ports)}")
    return f"{bastion_ip}:{ports[registry]}/{path}"


def install_command(node: Node, bastion_ip: str, *, binary: str = "boot-to-talos") -> list[str]:
    """Return the boot-to-talos argv: always an explicit install mode, disk and cached image."""
    disk = load_data("versions")["talos"]["install_disk"]
    return [binary, "-yes", "-mode", "install", "-disk", disk, "-image", cached_image(node.image, bastion_ip)]


def _checked_sha256(sha256: str | None) -> str:
    if sha256 is None:
        raise BootToTalosChecksumMissing(
            "the boot-to-talos tarball's sha256 is unknown: set boot_to_talos.sha256 in "
            "provisioning/data/versions.yaml or TDG_BOOT_TO_TALOS_SHA256 (from the release page) before launching")
    value = sha256.strip().lower()
    if not _SHA256.match(value):
        raise BootToTalosChecksumMissing(f"boot-to-talos sha256 {sha256!r} is not 64 hex digits")
    return value


def fetch_command(url: str, policy: Mapping[str, Any] | None = None) -> str:
    """The curl line that fetches the tarball, retrying 404s and connection errors (bounded by policy)."""
    f = (policy or load_data("node_userdata"))["fetch"]
    return (f"curl -fsS --retry {int(f['retries'])} --retry-delay {int(f['retry_delay_s'])} "
            f"--retry-max-time {int(f['retry_max_time_s'])} --retry-all-errors "
            f"--connect-timeout {int(f['connect_timeout_s'])} --max-time {int(f['max_time_s'])} "
            f'-o "$WORK/boot-to-talos.tar.gz" {shlex.quote(url)}')


def render(node: Node, *, bastion_ip: str, asset_url: str, sha256: str | None,
           policy: Mapping[str, Any] | None = None) -> str:
    """Return the user-data bash script for one node.

    asset_url: where the bastion serves the boot-to-talos tarball (http or https); policy: the
    retry settings (data/node_userdata.yaml unless given). Raises
    BootToTalosChecksumMissing when sha256 is None or malformed, ValueError on a bad URL or
    an image whose registry has no cache, and when the script would exceed EC2's 16 KiB.
    """
    digest = _checked_sha256(sha256)
    parts = urlsplit(asset_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"asset_url {asset_url!r} must be an http(s) URL")
    args = install_command(node, bastion_ip)[1:]
    install = (policy or load_data("node_userdata"))["install"]
    script = _TEMPLATE.format(
        node=shlex.quote(node.name), marker=shlex.quote(MARKER), url=shlex.quote(asset_url),
        sha=digest, args=" ".join(shlex.quote(a) for a in args), fetch=fetch_command(asset_url, policy),
        attempts=int(install["attempts"]), delay=int(install["retry_delay_s"]),
    )
    if len(script.encode()) > EC2_USER_DATA_LIMIT:
        raise ValueError(f"user-data for {node.name} is {len(script.encode())} bytes; EC2 allows {EC2_USER_DATA_LIMIT}")
    return script


_TEMPLATE = """#!/bin/bash
# Rendered by provisioning.talos.userdata for node {node}: install Talos to disk with boot-to-talos.
# No secrets here; the machine config is applied later over the Talos API (50000/tcp).
set -euo pipefail
CONSOLE=/dev/console
if [ -w /dev/ttyS0 ]; then CONSOLE=/dev/ttyS0; fi
exec > >(tee -a /var/log/tdg-boot-to-talos.log >>"$CONSOLE") 2>&1
log() {{ echo "tdg-boot-to-talos: $*"; }}

MARKER={marker}
if [ -e "$MARKER" ]; then
  log "already started once ($MARKER exists); not running boot-to-talos again"
  exit 0
fi
mkdir -p "$(dirname "$MARKER")"
date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"

WORK=$(mktemp -d /root/boot-to-talos.XXXXXX)
log "fetching {url}"
{fetch}
echo "{sha}  boot-to-talos.tar.gz" >"$WORK/SHA256SUMS"
if ! (cd "$WORK" && sha256sum -c SHA256SUMS); then
  log "sha256 mismatch for boot-to-talos tarball; expected {sha}; refusing to run it"
  exit 1
fi
tar -xzf "$WORK/boot-to-talos.tar.gz" -C "$WORK"
BIN=$(find "$WORK" -type f -name boot-to-talos -print -quit)
if [ -z "$BIN" ]; then
  log "no boot-to-talos binary inside the tarball"
  exit 1
fi
chmod 0755 "$BIN"
RUN=({args})
for attempt in $(seq 1 {attempts}); do
  log "running: boot-to-talos ${{RUN[*]}} (attempt $attempt of {attempts})"
  rc=0
  "$BIN" "${{RUN[@]}}" || rc=$?
  if [ "$rc" -eq 0 ]; then
    log "boot-to-talos finished; the node reboots into Talos"
    exit 0
  fi
  log "boot-to-talos exited $rc"
  if [ "$attempt" -lt {attempts} ]; then sleep {delay}; fi
done
log "boot-to-talos failed {attempts} times; giving up"
exit 1
"""
