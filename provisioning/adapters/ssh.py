"""SSH transport: connect, hop through the bastion, forward a local port, testinfra hosts.

How a host is reached lives here; what is checked lives in provisioning.probes. Host keys are
accepted on first use and recorded in a known_hosts file under the caller's run directory; a
later connection with another key fails (HostKeyError) instead of being waved through. Key
material never reaches the log: only key types and SHA256 fingerprints do.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import select
import shlex
import socket
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from testinfra.backend.paramiko import ParamikoBackend
from testinfra.host import Host

from provisioning.errors import SetupError, TdgError

log = logging.getLogger(__name__)
_KNOWN_HOSTS_LOCK = threading.Lock()
_NAMES: weakref.WeakKeyDictionary[paramiko.SSHClient, str] = weakref.WeakKeyDictionary()
DEFAULT_COMMAND_TIMEOUT_S = 60


class SshError(SetupError):
    """A host could not be reached or did not answer over SSH (names the host and the reason)."""


class HostKeyError(TdgError):
    """A host presented a key other than the one recorded for it: refuse, never ignore."""


def fingerprint(key: paramiko.PKey) -> str:
    """Return the OpenSSH-style SHA256 fingerprint of a public key (safe to log)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class KnownHosts:
    """A known_hosts file owned by one run (accept-and-record on first use)."""

    path: Path

    @classmethod
    def in_run_dir(cls, run_dir: str | Path) -> KnownHosts:
        """Return the known_hosts of run_dir (created 0700 if missing)."""
        directory = Path(run_dir)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return cls(directory / "known_hosts")

    def record(self, hostname: str, key: paramiko.PKey) -> None:
        """Append hostname's key (a file readable by its owner only)."""
        line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
        with _KNOWN_HOSTS_LOCK:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as fh:
                fh.write(line)


class _RecordOnFirstUse(paramiko.MissingHostKeyPolicy):
    def __init__(self, known: KnownHosts) -> None:
        self.known = known

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        self.known.record(hostname, key)
        log.info("first contact with %s: recorded its %s host key %s in %s",
                 hostname, key.get_name(), fingerprint(key), self.known.path)


@dataclass(frozen=True)
class SshSpec:
    """How to reach a host directly: address, port, user, private key file, known_hosts."""

    host: str
    port: int
    user: str
    key_path: Path
    known_hosts: KnownHosts
    timeout: float = 10.0


def connect(host: str, port: int, user: str, key_path: str | Path, timeout: float = 10.0, *,
            known_hosts: KnownHosts, sock: Any = None) -> paramiko.SSHClient:
    """Return a connected paramiko client (key auth only; connect, banner and auth timeouts).

    sock, when given, is the already-open stream to use (a hop channel). Raises HostKeyError
    when the host's key differs from the recorded one, SshError when it cannot be reached.
    """
    client = paramiko.SSHClient()
    if known_hosts.path.exists():
        client.load_host_keys(str(known_hosts.path))
    client.set_missing_host_key_policy(_RecordOnFirstUse(known_hosts))
    where = f"{user}@{host}:{port}"
    try:
        client.connect(hostname=host, port=port, username=user, key_filename=str(key_path), timeout=timeout,
                       banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
                       look_for_keys=False, allow_agent=False, sock=sock)
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyError(f"{where}: host key changed: got {exc.key.get_name()} {fingerprint(exc.key)}, "
                           f"recorded {exc.expected_key.get_name()} {fingerprint(exc.expected_key)} "
                           f"in {known_hosts.path}") from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        client.close()
        raise SshError(f"ssh {where}: {type(exc).__name__}: {exc}") from exc
    _NAMES[client] = where
    log.debug("connected to %s", where)
    return client


def ssh_banner(host: str, port: int, timeout: float = 5.0) -> str:
    """Return the identification line an SSH server sends first ("SSH-2.0-..."); SshError if none."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            while b"\n" not in data and len(data) < 255:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise SshError(f"{host}:{port}: no SSH banner: {type(exc).__name__}: {exc}") from exc
    line = data.split(b"\n", 1)[0].decode("ascii", "replace").strip()
    if not line.startswith("SSH-"):
        raise SshError(f"{host}:{port}: answered {line[:60]!r}, not an SSH banner")
    return line


def _active_transport(client: paramiko.SSHClient) -> paramiko.Transport:
    transport = client.get_transport()
    if transport is None or not transport.is_active():
        raise SshError("the bastion connection is closed")
    return transport


def _open_direct(client: paramiko.SSHClient, host: str, port: int, origin: tuple[str, int],
                 timeout: float) -> paramiko.Channel:
    try:
        return _active_transport(client).open_channel("direct-tcpip", (host, port), origin, timeout=timeout)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise SshError(f"the bastion could not open a channel to {host}:{port}: {exc}") from exc


def open_hop(bastion: paramiko.SSHClient, target_host: str, target_port: int, *, user: str,
             key_path: str | Path, known_hosts: KnownHosts, timeout: float = 10.0) -> paramiko.SSHClient:
    """Return a client to target_host:target_port reached through the bastion (direct-tcpip).

    The target's host key is checked against known_hosts like a direct connection's.
    """
    channel = _open_direct(bastion, target_host, target_port, ("127.0.0.1", 0), timeout)
    return connect(target_host, target_port, user, key_path, timeout, known_hosts=known_hosts, sock=channel)


class _Forwarder:
    """Accept on 127.0.0.1:<free port>; pipe each connection to remote through the bastion."""

    def __init__(self, bastion: paramiko.SSHClient, remote: tuple[str, int], timeout: float) -> None:
        self.bastion, self.remote, self.timeout = bastion, remote, timeout
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, name=f"forward-{self.port}", daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, peer = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                channel = _open_direct(self.bastion, *self.remote, peer, self.timeout)
            except SshError as exc:
                log.warning("forward 127.0.0.1:%s -> %s:%s: %s", self.port, *self.remote, exc)
                conn.close()
                continue
            t = threading.Thread(target=self._pipe, args=(conn, channel), daemon=True)
            self.threads.append(t)
            t.start()

    def _pipe(self, conn: socket.socket, channel: paramiko.Channel) -> None:
        conn.settimeout(None)
        try:
            while not self.stopping.is_set():
                ready, _, _ = select.select([conn, channel], [], [], 0.2)
                if conn in ready:
                    data = conn.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in ready:
                    data = channel.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
        except OSError as exc:
            log.debug("forward 127.0.0.1:%s: connection ended: %s", self.port, exc)
        finally:
            channel.close()
            conn.close()

    def stop(self) -> None:
        """Stop accepting, close every piped connection and wait for the threads (idempotent)."""
        self.stopping.set()
        self.listener.close()
        self.acceptor.join(timeout=5)
        for t in self.threads:
            t.join(timeout=5)


def forward(bastion: paramiko.SSHClient, remote_host: str, remote_port: int,
            timeout: float = 10.0) -> tuple[int, Callable[[], None]]:
    """Forward 127.0.0.1:<free port> to remote_host:remote_port through the bastion.

    Returns (local_port, stop); call stop() to close the listener and every connection.
    Used for the Talos (50000) and Kubernetes (6443) APIs of the nodes behind the bastion.
    """
    _active_transport(bastion)
    fw = _Forwarder(bastion, (remote_host, remote_port), timeout)
    log.info("forwarding 127.0.0.1:%s to %s:%s through the bastion", fw.port, remote_host, remote_port)
    return fw.port, fw.stop


class _InjectedBackend(ParamikoBackend):
    """testinfra's paramiko backend on a client we made; every command runs under `timeout N`."""

    def __init__(self, client: paramiko.SSHClient, name: str, command_timeout: int) -> None:
        super().__init__(name)
        self.client = client  # replaces the backend's own (cached_property) connection
        self.command_timeout = int(command_timeout)

    def run(self, command: str, *args: str, **kwargs: Any) -> Any:
        inner = self.get_command(command, *args)
        wrapped = f"timeout -k 5 {self.command_timeout} sh -c {shlex.quote(inner)}"
        cmd = self.encode(wrapped)
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise SshError(f"{self.host.name}: the SSH connection is closed")
        try:
            chan = transport.open_session(timeout=self.command_timeout)
            chan.settimeout(self.command_timeout + 15)
            chan.exec_command(cmd)
            stdout = chan.makefile("rb").read()
            stderr = chan.makefile_stderr("rb").read()
            rc = chan.recv_exit_status()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SshError(f"{self.host.name}: running a command failed: {type(exc).__name__}: {exc}") from exc
        return self.result(rc, cmd, stdout, stderr)


def testinfra_host(target: paramiko.SSHClient | SshSpec, *,
                   command_timeout: int = DEFAULT_COMMAND_TIMEOUT_S) -> Host:
    """Return a testinfra Host on an existing client (or one made from an SshSpec).

    Every command runs remotely under `timeout -k 5 <command_timeout> sh -c ...`, so a hung
    check ends with exit status 124 instead of blocking the run.
    """
    if isinstance(target, SshSpec):
        client = connect(target.host, target.port, target.user, target.key_path, target.timeout,
                         known_hosts=target.known_hosts)
    else:
        client = target
    _active_transport(client)
    name = _NAMES.get(client, "ssh-client")
    backend = _InjectedBackend(client, name, command_timeout)
    host = Host(backend)
    backend.set_host(host)
    return host


testinfra_host.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported into tests
