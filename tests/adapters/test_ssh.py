"""SSH transport against real loopback sshds: host keys, hop through a bastion, port forwards, testinfra."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
import urllib.request
from pathlib import Path

import paramiko
import pytest

from fixtures.standin import binaries
from fixtures.standin.procs import Supervisor
from fixtures.standin.sshd import SshdEndpoint, client_key, start_sshd
from provisioning.adapters.ssh import (
    HostKeyError,
    KnownHosts,
    SshError,
    SshSpec,
    connect,
    forward,
    open_hop,
    ssh_banner,
    testinfra_host,
)

LOOP = "127.0.0.1"


class Daemons:
    def __init__(self, root: Path) -> None:
        self.sup = Supervisor(root / "logs")
        self.key = client_key(root / "client")
        self.bastion = start_sshd(self.sup, root / "bastion", LOOP, self.key, name="bastion")
        self.target = start_sshd(self.sup, root / "target", LOOP, self.key, name="target")
        self.closed_bastion = start_sshd(self.sup, root / "nofwd", LOOP, self.key, name="nofwd",
                                         allow_tcp_forwarding=False)


@pytest.fixture(scope="module")
def daemons(tmp_path_factory):
    binaries.require("sshd", "ssh-keygen")
    d = Daemons(tmp_path_factory.mktemp("sshd"))
    yield d
    assert d.sup.stop_all() == []


@pytest.fixture
def known(tmp_path) -> KnownHosts:
    return KnownHosts.in_run_dir(tmp_path / "run")


def dial(ep: SshdEndpoint, known: KnownHosts, timeout: float = 5.0) -> paramiko.SSHClient:
    return connect(ep.address, ep.port, ep.user, ep.key.private, timeout, known_hosts=known)


def test_first_connection_records_the_host_key_and_later_ones_reuse_it(daemons, known):
    dial(daemons.bastion, known).close()
    lines = known.path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"[{LOOP}]:{daemons.bastion.port} ssh-ed25519 ")
    assert known.path.stat().st_mode & 0o077 == 0
    dial(daemons.bastion, known).close()
    assert known.path.read_text().splitlines() == lines


def test_a_changed_host_key_is_refused_not_ignored(daemons, known):
    other = paramiko.Ed25519Key.from_private_key_file(str(daemons.key.private))  # not the host's key
    known.path.write_text(f"[{LOOP}]:{daemons.bastion.port} ssh-ed25519 {other.get_base64()}\n")
    before = known.path.read_text()
    with pytest.raises(HostKeyError, match="host key changed"):
        dial(daemons.bastion, known)
    assert known.path.read_text() == before


def test_a_key_the_host_does_not_accept_fails_as_ssh_error(daemons, known, tmp_path):
    stranger = client_key(tmp_path / "stranger")
    ep = daemons.bastion
    with pytest.raises(SshError, match="Authentication"):
        connect(ep.address, ep.port, ep.user, stranger.private, 5.0, known_hosts=known)


def test_a_closed_port_fails_fast(known):
    with socket.socket() as s:
        s.bind((LOOP, 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SshError):
        connect(LOOP, port, "root", "/nonexistent", 5.0, known_hosts=known)
    assert time.monotonic() - start < 3


def test_a_silent_server_hits_the_banner_timeout(known):
    with socket.socket() as srv:
        srv.bind((LOOP, 0))
        srv.listen(1)
        start = time.monotonic()
        with pytest.raises(SshError):
            connect(LOOP, srv.getsockname()[1], "root", "/nonexistent", 1.0, known_hosts=known)
        assert time.monotonic() - start < 8


def test_ssh_banner_tells_ssh_from_other_servers(daemons):
    assert ssh_banner(LOOP, daemons.bastion.port).startswith("SSH-2.0-OpenSSH")
    httpd = http.server.ThreadingHTTPServer((LOOP, 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SshError):
            ssh_banner(LOOP, httpd.server_address[1], timeout=1.0)
    finally:
        httpd.shutdown()


def test_hop_reaches_the_target_through_the_bastion(daemons, known):
    bastion = dial(daemons.bastion, known)
    t = daemons.target
    target = open_hop(bastion, t.address, t.port, user=t.user, key_path=t.key.private, known_hosts=known)
    assert isinstance(target.get_transport().sock, paramiko.Channel)  # rides on the bastion's transport
    host = testinfra_host(target)
    assert host.run("id -un").stdout.strip() == t.user
    assert f"[{LOOP}]:{t.port} ssh-ed25519 " in known.path.read_text()
    bastion.close()  # the hop dies with the bastion
    time.sleep(0.2)
    with pytest.raises(SshError):
        host.run("true")
    target.close()


def test_hop_fails_when_the_bastion_forbids_forwarding(daemons, known):
    bastion = dial(daemons.closed_bastion, known)
    t = daemons.target
    try:
        with pytest.raises(SshError, match="could not open a channel"):
            open_hop(bastion, t.address, t.port, user=t.user, key_path=t.key.private, known_hosts=known)
    finally:
        bastion.close()


class _Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"talos-api {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api():
    httpd = http.server.ThreadingHTTPServer((LOOP, 0), _Api)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_forward_carries_connections_to_the_remote_port_and_stops(daemons, known, api):
    bastion = dial(daemons.bastion, known)
    port, stop = forward(bastion, LOOP, api)
    try:
        results: list[str] = []

        def get(i: int) -> None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v{i}", timeout=10) as r:  # noqa: S310
                results.append(r.read().decode())

        threads = [threading.Thread(target=get, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(15)
        assert sorted(results) == [f"talos-api /v{i}" for i in range(4)]
    finally:
        stop()
        bastion.close()
    with pytest.raises(OSError), socket.create_connection((LOOP, port), timeout=2):
        pass
    stop()  # idempotent


def test_forward_to_a_dead_remote_closes_the_local_connection(daemons, known):
    with socket.socket() as s:
        s.bind((LOOP, 0))
        dead = s.getsockname()[1]
    bastion = dial(daemons.bastion, known)
    port, stop = forward(bastion, LOOP, dead, timeout=3)
    try:
        with socket.create_connection((LOOP, port), timeout=5) as c:
            c.settimeout(5)
            assert c.recv(16) == b""
    finally:
        stop()
        bastion.close()


def test_every_remote_command_runs_under_timeout(daemons, known):
    ep = daemons.bastion
    host = testinfra_host(SshSpec(ep.address, ep.port, ep.user, ep.key.private, known), command_timeout=1)
    start = time.monotonic()
    res = host.run("sleep 20")
    assert res.rc == 124 and time.monotonic() - start < 10
    assert b"timeout -k 5 1 sh -c" in res.command
    assert host.run("command -v sh").rc == 0  # shell builtins work inside the wrapper
    assert host.run("echo %s", "a b; echo injected").stdout == "a b; echo injected\n"
    assert host.file("/etc/passwd").exists


def test_a_direct_connection_sends_its_small_packets_without_delay(daemons, known):
    client = dial(daemons.bastion, known)
    try:
        sock = client.get_transport().sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0, "TCP_NODELAY is off"
    finally:
        client.close()


def test_a_standin_session_runs_in_the_hosts_own_home_not_the_operators(daemons, known, tmp_path):
    ep = daemons.bastion
    host = testinfra_host(SshSpec(ep.address, ep.port, ep.user, ep.key.private, known))
    home = host.run("printf %s \"$HOME\"").stdout
    assert Path(home).name == "home" and Path(home).parent.name == "bastion", home
    assert Path(home).is_dir() and home != str(Path.home())


def test_no_key_material_reaches_the_log(daemons, known, caplog):
    caplog.set_level(logging.DEBUG)
    bastion = dial(daemons.bastion, known)
    t = daemons.target
    target = open_hop(bastion, t.address, t.port, user=t.user, key_path=t.key.private, known_hosts=known)
    testinfra_host(target).run("true")
    target.close()
    bastion.close()
    secrets = [daemons.key.private.read_text().split("\n", 2)[1][:20], daemons.key.public.read_text().split()[1]]
    secrets += [line.split()[2] for line in known.path.read_text().splitlines()]
    assert "recorded its ssh-ed25519 host key SHA256:" in caplog.text
    for s in secrets:
        assert s not in caplog.text
