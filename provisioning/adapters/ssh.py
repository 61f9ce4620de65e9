"""SSH transport: connect, hop through the bastion, forward a local port, testinfra hosts.

How a host is reached lives here; what is checked lives in provisioning.probes. Host keys are
accepted on first use and recorded in a known_hosts file under the caller's run directory; a
later connection with another key fails (HostKeyError) instead of being waved through. Key
material never reaches the log: only key types and SHA256 fingerprints do. Credentials are the
operator's key (decrypted with TDG_SSH_KEY_PASSPHRASE) and ssh-agent (provisioning.adapters.ssh_auth).
A direct connection sends a keepalive every KEEPALIVE_S seconds and, when its transport has
dropped, reconnects once, transparently, the next time it is used.
"""

from __future__ import annotations

import logging
import os
import shlex
import socket
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from testinfra.backend.paramiko import ParamikoBackend
from testinfra.host import Host

from provisioning.adapters.ssh_auth import SshError, credentials, fingerprint
from provisioning.adapters.ssh_auth import SshKeyError as SshKeyError  # re-exported
from provisioning.adapters.ssh_forward import Forwarder
from provisioning.errors import TdgError

log = logging.getLogger(__name__)
_KNOWN_HOSTS_LOCK = threading.Lock()
_NAMES: weakref.WeakKeyDictionary[paramiko.SSHClient, str] = weakref.WeakKeyDictionary()
DEFAULT_COMMAND_TIMEOUT_S = 60
KEEPALIVE_S = 30  # desktop NAT/firewall state often expires after a few idle minutes


class HostKeyError(TdgError):
    """A host presented a key other than the one recorded for it: refuse, never ignore."""


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
    env: Mapping[str, str] | None = None


class _Client(paramiko.SSHClient):
    """An SSHClient that, used after its transport dropped, reconnects once with the same parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.dial: Callable[[], None] | None = None
        self.reconnects = 0

    def get_transport(self) -> paramiko.Transport | None:
        transport = super().get_transport()
        if (transport is None or not transport.is_active()) and self.dial is not None:
            where = _NAMES.get(self, "ssh")
            log.warning("%s: the SSH transport dropped; reconnecting once", where)
            dial, self.dial = self.dial, None  # one attempt per drop; a failure leaves the client closed
            dial()
            self.dial, self.reconnects = dial, self.reconnects + 1
            log.info("%s: reconnected (%d reconnect(s) so far)", where, self.reconnects)
            transport = super().get_transport()
        return transport

    def exec_command(self, *args: Any, **kwargs: Any) -> Any:
        self.get_transport()  # paramiko's exec_command reads the transport attribute directly
        return super().exec_command(*args, **kwargs)

    def close(self) -> None:
        self.dial = None
        super().close()


def connect(host: str, port: int, user: str, key_path: str | Path, timeout: float = 10.0, *,
            known_hosts: KnownHosts, sock: Any = None, env: Mapping[str, str] | None = None,
            keepalive_s: int = KEEPALIVE_S) -> paramiko.SSHClient:
    """Return a connected paramiko client (public keys: the key file and ssh-agent; connect/banner/auth timeouts).

    sock, when given, is the already-open stream to use (a hop channel; no reconnect then).
    Raises HostKeyError when the host's key differs from the recorded one, SshKeyError when
    the key cannot be used, SshError when the host cannot be reached.
    """
    creds = credentials(key_path, env)
    client = _Client()
    if known_hosts.path.exists():
        client.load_host_keys(str(known_hosts.path))
    client.set_missing_host_key_policy(_RecordOnFirstUse(known_hosts))
    where = f"{user}@{host}:{port}"
    _NAMES[client] = where

    def dial() -> None:
        try:
            paramiko.SSHClient.connect(client, hostname=host, port=port, username=user, pkey=creds.pkey,
                                       timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                                       channel_timeout=timeout, look_for_keys=False, allow_agent=creds.agent,
                                       sock=sock)
        except paramiko.BadHostKeyException as exc:
            paramiko.SSHClient.close(client)
            raise HostKeyError(f"{where}: host key changed: got {exc.key.get_name()} {fingerprint(exc.key)}, "
                               f"recorded {exc.expected_key.get_name()} {fingerprint(exc.expected_key)} "
                               f"in {known_hosts.path}") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            paramiko.SSHClient.close(client)
            raise SshError(f"ssh {where}: {type(exc).__name__}: {exc}") from exc
        transport = paramiko.SSHClient.get_transport(client)
        if transport is not None and isinstance(transport.sock, socket.socket):
            # SSH packets are small request/answer exchanges: without TCP_NODELAY each channel open waits
            # out the peer's delayed ACK (~40 ms on Linux), as OpenSSH's own client avoids by setting it.
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if transport is not None and keepalive_s > 0:
            transport.set_keepalive(keepalive_s)

    dial()
    if sock is None:
        client.dial = dial
    log.debug("connected to %s with %s", where, creds.describe())
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


def forward(bastion: paramiko.SSHClient, remote_host: str, remote_port: int,
            timeout: float = 10.0) -> tuple[int, Callable[[], None]]:
    """Forward 127.0.0.1:<free port> to remote_host:remote_port through the bastion.

    Returns (local_port, stop); call stop() to close the listener and every connection.
    Used for the Talos (50000) and Kubernetes (6443) APIs of the nodes behind the bastion.
    """
    _active_transport(bastion)

    def open_channel(peer: tuple[str, int]) -> paramiko.Channel:
        try:
            return _open_direct(bastion, remote_host, remote_port, peer, timeout)
        except SshError as exc:  # the forwarder logs it, closes that connection and goes on
            raise ConnectionError(str(exc)) from exc

    fw = Forwarder(open_channel, (remote_host, remote_port))
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
                         known_hosts=target.known_hosts, env=target.env)
    else:
        client = target
    _active_transport(client)
    name = _NAMES.get(client, "ssh-client")
    backend = _InjectedBackend(client, name, command_timeout)
    host = Host(backend)
    backend.set_host(host)
    return host


testinfra_host.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported into tests
