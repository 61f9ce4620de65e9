"""Assemble the bastion's bash user-data from its parts; every step is safe to run again.

Guards: files are rewritten with the same content; packages are installed only when rpm lacks
them; iptables rules are added only when `-C` does not find them; a container is created only
when `docker container inspect` does not know it (else started); the pi-hole password is made
only when its file is missing; boot-to-talos is downloaded only when the served copy is not
already verified. The script copies itself to cloud-init's per-boot directory, so a reboot
runs it again (the iptables rules do not survive a reboot on their own).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from provisioning.userdata.configs import HEADER
from provisioning.userdata.model import Layout, RenderError

EOF_MARK = "TDG_EOF"
_PREAMBLE = r"""set -euo pipefail
umask 022
log() { printf 'tdg-bastion: %s\n' "$*"; }

ensure_container() {  # name image [docker run options] -- [container arguments]
  local name=$1 image=$2; shift 2
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  if docker container inspect "$name" >/dev/null 2>&1; then
    docker start "$name" >/dev/null
  else
    docker run -d --name "$name" --restart unless-stopped --network host "${opts[@]}" "$image" "$@" >/dev/null
  fi
}

wait_for_address() {  # address: wait until an interface carries it (the ENI may attach late)
  local i
  for i in $(seq 1 90); do
    if ip -4 -o addr show | grep -qF " $1/"; then return 0; fi
    sleep 2
  done
  log "no interface carries $1"; return 1
}
"""


@dataclass(frozen=True)
class ContainerRun:
    """One container: its name, image, docker run options and its own arguments."""

    name: str
    image: str
    options: tuple[str, ...]
    args: tuple[str, ...]

    def line(self) -> str:
        words = [self.name, self.image, *self.options, "--", *self.args]
        return "ensure_container " + " ".join(shlex.quote(w) for w in words)


@dataclass(frozen=True)
class ScriptParts:
    """What the user-data script does, already rendered into files, commands and names."""

    profile: str
    layout: Layout
    listen_ip: str
    files: Mapping[str, str]
    executables: frozenset[str]
    directories: tuple[str, ...]
    packages: tuple[str, ...]
    nat_commands: tuple[str, ...]
    sysctl_path: str | None
    secret_path: str | None
    containers: tuple[ContainerRun, ...]
    units: tuple[str, ...]
    fetch_script: str


def _write_files(files: Mapping[str, str], executables: frozenset[str], directories: tuple[str, ...]) -> list[str]:
    dirs = sorted({posixpath.dirname(p) for p in files} | set(directories))
    out = ["mkdir -p " + " ".join(shlex.quote(d) for d in dirs)]
    for path in sorted(files):
        text = files[path]
        if EOF_MARK in text:
            raise RenderError(f"{path}: content contains the heredoc marker {EOF_MARK}")
        body = text if text.endswith("\n") else text + "\n"
        out.append(f"cat > {shlex.quote(path)} <<'{EOF_MARK}'\n{body}{EOF_MARK}")
    out += [f"chmod 0755 {shlex.quote(p)}" for p in sorted(executables)]
    return out


def _secret(path: str) -> list[str]:
    """Make a random password on the host once, readable by root only (never in user-data)."""
    q = shlex.quote(path)
    return [
        f"if [ ! -s {q} ]; then",
        f"  install -d -m 0700 {shlex.quote(posixpath.dirname(path))}",
        f"  (umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr -d '+/=' > {q}.new && mv {q}.new {q})",
        "fi",
        f"chmod 0600 {q}",
    ]


def user_data_script(p: ScriptParts) -> str:
    """Return the whole bash user-data text for these parts."""
    q = shlex.quote
    per_boot = posixpath.join(p.layout.cloud, "scripts", "per-boot", "tdg-bastion.sh")
    lines = [
        "#!/bin/bash",
        f"# cozystack-aws-tdg bastion, profile {p.profile}. {HEADER}",
        "# Runs at first boot and, from cloud-init's per-boot directory, at every boot; each step is idempotent.",
        "# Holds no secrets; any the services need are made on the host.",
        _PREAMBLE,
        f"self={q(per_boot)}",
        'if [ "$(readlink -f "$0")" != "$self" ]; then install -D -m 0700 "$0" "$self"; fi',
        "",
        'log "writing configuration"',
        *_write_files(p.files, p.executables, p.directories),
        "",
        'log "installing packages"',
        'missing=""',
        f"for pkg in {' '.join(q(x) for x in p.packages)}; do",
        '  rpm -q "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"',
        "done",
        'if [ -n "$missing" ]; then dnf install -y $missing; fi',
        "systemctl enable --now docker",
    ]
    if p.sysctl_path is not None:
        lines += ["", 'log "forwarding and masquerade for the nodes"', f"sysctl -q -p {q(p.sysctl_path)}",
                  *p.nat_commands]
    lines += ["", f'log "waiting for {p.listen_ip}"', f"wait_for_address {q(p.listen_ip)}"]
    if p.secret_path is not None:
        lines += ["", 'log "pi-hole password (made on this host, root only)"', *_secret(p.secret_path)]
    lines += ["", 'log "containers"', *(c.line() for c in p.containers),
              "", 'log "host services"', "systemctl daemon-reload",
              "systemctl enable --now " + " ".join(q(u) for u in p.units),
              "", 'log "boot-to-talos"', q(p.fetch_script), 'log "done"', ""]
    return "\n".join(lines)
