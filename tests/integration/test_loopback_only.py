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

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.audit import audited_env, loopback_namespace
from tests.integration.shared import SharedRun

pytestmark = pytest.mark.integration


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


def test_offline_acceptance_never_leaves_loopback(full_offline_run: SharedRun) -> None:
    done = full_offline_run  # audited, and as root in a loopback-only namespace (tests/integration/runs.py)
    assert done.facts["namespace"] == bool(loopback_namespace())
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "passed" in done.stdout
    log = done.dir / "audit.tsv"
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
