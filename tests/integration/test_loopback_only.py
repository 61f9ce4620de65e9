"""The offline acceptance dials nothing but loopback: the README's "nothing dials anything but loopback".

The whole offline run (all four phases, the in-process moto server, the kube stand-in, the
bastion stand-in's Python daemons) runs with an audit hook in every Python process
(netaudit/sitecustomize.py) that records each connect, sendto and name lookup that is not a
literal loopback address, and every reverse lookup. Run as root (where `unshare -n` works), it is
also inside a network namespace that has only a loopback interface, so nothing else (sshd,
dnsmasq, docker-registry, curl) can reach past 127.0.0.0/8 either: a stand-in that needed the
outside would fail its scenario.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.helpers import ROOT, suite_command

pytestmark = pytest.mark.integration
AUDIT_DIR = Path(__file__).resolve().parent / "netaudit"


def loopback_namespace() -> list[str]:
    """The prefix that runs a command in a fresh network namespace with only lo up, or [] where not allowed.

    Root only: in a user namespace (`unshare -rn`) sshd cannot drop privileges, so the bastion
    stand-in could not run; elsewhere the audit hook alone does the proving.
    """
    unshare = shutil.which("unshare")
    ip = shutil.which("ip")
    if not unshare or not ip or os.geteuid() != 0:
        return []
    probe = subprocess.run([unshare, "-n", ip, "link", "set", "lo", "up"], capture_output=True, check=False)
    if probe.returncode != 0:
        return []
    return [unshare, "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]


def audited_env(log: Path) -> dict[str, str]:
    env = {**os.environ, "TDG_NET_AUDIT": str(log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(AUDIT_DIR), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def test_the_audit_hook_sees_what_leaves_loopback(tmp_path: Path) -> None:
    """The detector itself: a lookup of a real name and a reverse lookup are recorded, loopback is not."""
    log = tmp_path / "audit.tsv"
    code = ("import socket\n"
            "socket.getaddrinfo('127.0.0.1', 80)\n"
            "socket.getfqdn('127.10.0.100')\n"
            "try:\n    socket.getaddrinfo('example.invalid', 80)\nexcept OSError:\n    pass\n")
    subprocess.run([sys.executable, "-c", code], env=audited_env(log), check=True, timeout=60)
    lines = log.read_text().splitlines()
    assert any("socket.gethostbyaddr\t'127.10.0.100'" in ln for ln in lines), lines
    assert any("socket.getaddrinfo\t'example.invalid'" in ln for ln in lines), lines
    assert not any("'127.0.0.1'" in ln for ln in lines), lines


def test_offline_acceptance_never_leaves_loopback(tmp_path: Path) -> None:
    log = tmp_path / "audit.tsv"
    prefix = loopback_namespace()
    cmd = [*prefix, *suite_command("features/", reports=tmp_path / "reports")]
    done = subprocess.run(cmd, cwd=ROOT, env=audited_env(log), text=True, capture_output=True, timeout=600,
                          check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "passed" in done.stdout
    events = log.read_text().splitlines() if log.exists() else []
    assert events == [], "network use beyond loopback:\n" + "\n".join(events[:40])


@pytest.mark.parametrize("wrapped", [False, True], ids=["python -m http.server", "no_lookup.py -m http.server"])
def test_the_asset_server_stand_in_does_no_reverse_lookup(wrapped: bool, tmp_path: Path) -> None:
    """Plain http.server looks up its own address (the DNS query the offline run sent); the stand-in's does not."""
    from fixtures.bastion_standin import NO_LOOKUP
    from fixtures.standin.net import free_ports, tcp_open

    log = tmp_path / "audit.tsv"
    (port,) = free_ports("127.10.0.100", 1)
    argv = [sys.executable, *([NO_LOOKUP] if wrapped else []), "-m", "http.server", str(port), "--bind",
            "127.10.0.100", "--directory", str(tmp_path)]
    proc = subprocess.Popen(argv, env=audited_env(log), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not tcp_open("127.10.0.100", port) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    events = log.read_text().splitlines() if log.exists() else []
    if wrapped:
        assert events == []
    else:
        assert any("gethostbyaddr\t'127.10.0.100'" in e for e in events), events
