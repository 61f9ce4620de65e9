"""Config file texts for the bastion's services: pure functions of the endpoints they describe."""

from __future__ import annotations

import json
import shlex

import yaml

from provisioning.userdata.model import AssetEndpoint, CacheEndpoint, DnsEndpoint, Layout, Nat

HEADER = "Rendered by provisioning.userdata (cozystack-aws-tdg); edits are overwritten on the next boot."


def registry_config(cache: CacheEndpoint) -> str:
    """Return a docker-registry (distribution 2.8) config.yml running cache in proxy mode.

    The storage path is the same inside and outside a container (the user-data mounts it at
    the same path), so the offline stand-in can run this file with the plain binary.
    """
    doc = {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry", "cache": cache.name}},
        "storage": {"filesystem": {"rootdirectory": cache.storage_dir},
                    "cache": {"blobdescriptor": "inmemory"}},
        "http": {"addr": f"{cache.address}:{cache.port}", "headers": {"X-Content-Type-Options": ["nosniff"]}},
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
        "proxy": {"remoteurl": cache.remote},
    }
    return f"# {HEADER}\n" + yaml.safe_dump(doc, sort_keys=False)


def dns_config(dns: DnsEndpoint) -> str:
    """Return a dnsmasq config that forwards the VPC's queries and answers on one address only."""
    return "\n".join([
        f"# {HEADER}",
        "# DNS forwarder for the VPC: listens on the bastion address only, never reads /etc/resolv.conf.",
        f"port={dns.port}",
        f"listen-address={dns.address}",
        "bind-interfaces",
        "no-resolv",
        "no-hosts",
        "domain-needed",
        f"server={dns.upstream}",
        "cache-size=1000",
        "",
    ])


def dhcp_config(listen_ip: str, dhcp_range: tuple[str, str], netmask: str, router: str,
                ntp: str, matchbox_url: str, leasefile: str, lease: str) -> str:
    """Return a dnsmasq config for DHCP only (port=0) on the nodes' subnet, chaining iPXE to matchbox.

    EC2 instances do not PXE boot (upstream-facts §8.5): this is rendered for the home-lab design only.
    """
    return "\n".join([
        f"# {HEADER}",
        "# DHCP for the nodes' subnet (home-lab netboot design; DNS is served by the forwarder).",
        "port=0",
        f"listen-address={listen_ip}",
        "bind-interfaces",
        f"dhcp-range={dhcp_range[0]},{dhcp_range[1]},{netmask},{lease}",
        f"dhcp-option=option:router,{router}",
        f"dhcp-option=option:dns-server,{listen_ip}",
        f"dhcp-option=option:ntp-server,{ntp}",
        "dhcp-userclass=set:ipxe,iPXE",
        f"dhcp-boot=tag:ipxe,{matchbox_url}/boot.ipxe",
        f"dhcp-leasefile={leasefile}",
        "",
    ])


def matchbox_profile(matchbox_url: str, talos_version: str) -> str:
    """Return the matchbox profile JSON booting Talos arm64 from matchbox's assets."""
    base = f"{matchbox_url}/assets/talos/{talos_version}"
    doc = {
        "id": "talos-arm64",
        "name": f"Talos {talos_version} arm64",
        "boot": {
            "kernel": f"{base}/vmlinuz-arm64",
            "initrd": [f"{base}/initramfs-arm64.xz"],
            "args": ["initrd=initramfs-arm64.xz", "talos.platform=metal", "init_on_alloc=1", "slab_nomerge",
                     "pti=on", "console=tty0", "console=ttyAMA0", "printk.devkmsg=on"],
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def matchbox_group() -> str:
    """Return the matchbox default group JSON (every machine gets the Talos arm64 profile)."""
    return json.dumps({"id": "default", "name": "Talos arm64 (default)", "profile": "talos-arm64"}, indent=2) + "\n"


def fetch_script(assets: AssetEndpoint, layout: Layout) -> str:
    """Return a bash script that downloads boot-to-talos and serves it only once its sha256 matches.

    The download lands in a staging directory outside the served tree; a file already served
    with the right checksum is kept (no download); a served file with another checksum is removed.
    Without a pinned checksum the script refuses (exit 1) and serves nothing.
    """
    q = shlex.quote
    lines = ["#!/bin/bash", f"# {HEADER}",
             "# Download the pinned boot-to-talos, verify its sha256, and only then place it where it is served.",
             "set -euo pipefail"]
    if assets.sha256 is None:
        lines += ["echo 'tdg-fetch: boot-to-talos sha256 is not pinned; refusing to download and serve it' >&2",
                  "exit 1", ""]
        return "\n".join(lines)
    lines += [
        f"url={q(assets.source_url)}",
        f"want={assets.sha256}",
        f"dest={q(assets.path)}",
        f"staging={q(layout.path('staging'))}",
        'if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d" " -f1)" = "$want" ]; then',
        '  echo "tdg-fetch: $dest already verified"; exit 0',
        "fi",
        'rm -f "$dest" "$dest.sha256"',
        'mkdir -p "$staging" "$(dirname "$dest")"',
        'part="$staging/$(basename "$dest").part"',
        'curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 10 --max-time 600 -o "$part" "$url"',
        'got=$(sha256sum "$part" | cut -d" " -f1)',
        'if [ "$got" != "$want" ]; then',
        '  rm -f "$part"',
        '  echo "tdg-fetch: sha256 mismatch for $url: expected $want, got $got; not serving it" >&2',
        "  exit 1",
        "fi",
        'chmod 0644 "$part"',
        'mv "$part" "$dest"',
        'printf "%s  %s\\n" "$want" "$(basename "$dest")" > "$dest.sha256"',
        'echo "tdg-fetch: serving $dest (sha256 $want)"',
        "",
    ]
    return "\n".join(lines)


def systemd_unit(description: str, exec_start: str, after: str = "network-online.target") -> str:
    """Return a simple systemd service unit that restarts on failure and starts at boot."""
    return "\n".join([
        f"# {HEADER}",
        "[Unit]",
        f"Description={description}",
        f"After={after}",
        f"Wants={after}",
        "",
        "[Service]",
        f"ExecStart={exec_start}",
        "Restart=on-failure",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def sysctl_forward() -> str:
    """Return the sysctl.d file that turns on IPv4 forwarding."""
    return f"# {HEADER}\nnet.ipv4.ip_forward = 1\n"


def iptables_commands(nat: Nat) -> list[str]:
    """Return idempotent shell lines that add the NAT rules only when they are missing (-C before -A/-I)."""
    out = []
    for table, chain, *rule in nat.rules():
        args = " ".join(shlex.quote(a) for a in rule)
        add = "-A" if table == "nat" else "-I"
        out.append(f"iptables -t {table} -C {chain} {args} 2>/dev/null || iptables -t {table} {add} {chain} {args}")
    return out
