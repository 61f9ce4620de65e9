"""Run the rendered user-data in a sandbox, twice: the second run (from the per-boot copy) changes nothing.

The sandbox renders with a Layout under a temp dir and puts stub dnf/rpm/docker/systemctl/
sysctl/iptables/ip/curl first on PATH; each stub logs its call and keeps state in files, so
the test sees what a first boot does and what a reboot repeats.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from provisioning.data import load_data
from provisioning.userdata import BootToTalos, Layout, live_bindings, render_bastion

TARBALL = b"boot-to-talos sandbox tarball\n"
STUBS = {
    "rpm": '[ -e "$STATE/pkg-$2" ]',
    "dnf": 'shift 2; for p in "$@"; do touch "$STATE/pkg-$p"; done',
    "systemctl": "exit 0",
    "sysctl": "exit 0",
    "docker": r'''case "$1 $2" in
  "container inspect") [ -e "$STATE/ctr-$3" ] ;;
  "run -d") touch "$STATE/ctr-$4" ;;
  *) exit 0 ;;
esac''',
    "iptables": r'''key=$(printf '%s ' "$@" | sed -E 's/ -[CAI] / X /' | md5sum | cut -d' ' -f1)
case " $* " in
  *" -C "*) [ -e "$STATE/rule-$key" ] ;;
  *) touch "$STATE/rule-$key" ;;
esac''',
    "ip": 'echo "1: lo    inet $LISTEN_IP/8 scope host lo"',
    "curl": r'''while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out=$2; shift; done; cp "$TARBALL" "$out"''',
    "sleep": "exit 0",
}


class Sandbox:
    def __init__(self, root: Path, topo, sha: str) -> None:
        self.root, self.state, self.stubs = root, root / "state", root / "stubs"
        self.state.mkdir()
        self.stubs.mkdir()
        self.calls = root / "calls.log"
        for name, body in STUBS.items():
            p = self.stubs / name
            p.write_text(f'#!/bin/bash\necho "{name} $*" >> "$CALLS"\n{body}\n')
            p.chmod(p.stat().st_mode | stat.S_IXUSR)
        (root / "tarball").write_bytes(TARBALL)
        layout = Layout(root=str(root / "opt/tdg"), etc=str(root / "etc"), cloud=str(root / "cloud"))
        bindings = dataclasses.replace(live_bindings(topo), listen_ip="127.0.0.9", layout=layout)
        b2t = BootToTalos.from_versions(load_data("versions"), sha256=sha)
        self.r = render_bastion(topo, boot_to_talos=b2t, bindings=bindings, live=False)
        self.script = root / "user-data"
        self.script.write_text(self.r.user_data)
        self.per_boot = root / "cloud/scripts/per-boot/tdg-bastion.sh"

    def run(self, script: Path) -> subprocess.CompletedProcess[str]:
        self.calls.write_text("")
        env = {"PATH": f"{self.stubs}:/usr/bin:/bin", "STATE": str(self.state), "CALLS": str(self.calls),
               "TARBALL": str(self.root / "tarball"), "LISTEN_IP": "127.0.0.9", "HOME": str(self.root)}
        return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=60)

    def called(self, prefix: str) -> list[str]:
        return [c for c in self.calls.read_text().splitlines() if c.startswith(prefix)]


@pytest.fixture(params=["approved", "homelab"])
def box(request, tmp_path):
    return Sandbox(tmp_path, request.getfixturevalue(request.param), hashlib.sha256(TARBALL).hexdigest())


def test_first_boot_installs_starts_and_serves(box):
    done = box.run(box.script)
    assert done.returncode == 0, done.stderr
    assert len(box.called("dnf install")) == 1
    runs = box.called("docker run")
    assert len(runs) == len([s for s in box.r.services if s.kind == "container"])
    assert Path(box.r.assets.path).read_bytes() == TARBALL
    assert Path(box.r.assets.path + ".sha256").read_text().startswith(box.r.assets.sha256)
    for path, text in box.r.files.items():
        assert Path(path).read_text() == text, path
    assert os.access(box.r.assets.fetch_script, os.X_OK)
    assert box.per_boot.read_text() == box.r.user_data
    if box.r.nat is not None:
        assert len(box.called("iptables -t nat -A POSTROUTING")) == 1
        assert len(box.called("iptables -t filter -I FORWARD")) == 2


def test_second_run_from_the_per_boot_copy_changes_nothing(box):
    assert box.run(box.script).returncode == 0
    secret = Path(box.r.netboot.pihole_password_path) if box.r.netboot else None
    before = secret.read_text() if secret else None
    done = box.run(box.per_boot)
    assert done.returncode == 0, done.stderr
    assert box.called("dnf") == []
    assert box.called("docker run") == []
    assert len(box.called("docker start")) == len([s for s in box.r.services if s.kind == "container"])
    assert box.called("curl") == []
    assert [c for c in box.called("iptables") if " -C " not in c] == []
    assert "already verified" in done.stdout
    if secret is not None:
        assert secret.read_text() == before


def test_pihole_password_is_random_and_root_only(tmp_path, homelab):
    box = Sandbox(tmp_path, homelab, hashlib.sha256(TARBALL).hexdigest())
    assert box.run(box.script).returncode == 0
    assert box.r.netboot is not None
    secret = Path(box.r.netboot.pihole_password_path)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert len(secret.read_text()) >= 40 and secret.read_text() not in box.r.user_data


def test_tampered_asset_is_replaced_by_a_verified_download(box):
    assert box.run(box.script).returncode == 0
    Path(box.r.assets.path).write_bytes(b"tampered")
    assert box.run(box.script).returncode == 0
    assert len(box.called("curl")) == 1
    assert Path(box.r.assets.path).read_bytes() == TARBALL


def test_checksum_mismatch_serves_nothing_and_fails(tmp_path, approved):
    box = Sandbox(tmp_path, approved, "0" * 64)
    done = box.run(box.script)
    assert done.returncode == 1
    assert "sha256 mismatch" in done.stderr
    assert not Path(box.r.assets.path).exists()
    assert list(Path(box.r.assets.directory).rglob("*.tar.gz")) == []
    assert list((tmp_path / "opt/tdg/staging").iterdir()) == []
