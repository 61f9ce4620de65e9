"""Operator credentials against a real loopback sshd: passphrase from the environment, ssh-agent, reconnect."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.standin import binaries
from fixtures.standin.binaries import path_of
from fixtures.standin.procs import Supervisor
from fixtures.standin.sshd import ClientKey, SshdEndpoint, start_sshd
from provisioning.adapters.ssh import KEEPALIVE_S, KnownHosts, SshError, SshKeyError, connect, testinfra_host
from provisioning.adapters.ssh_auth import PASSPHRASE_ENV, credentials
from provisioning.checks.secrets import SECRET_ENV

LOOP = "127.0.0.1"
PASSPHRASE = "correct horse battery staple"


def encrypted_key(directory: Path, passphrase: str = PASSPHRASE) -> ClientKey:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = directory / "id_ed25519"
    subprocess.run([path_of("ssh-keygen"), "-q", "-t", "ed25519", "-N", passphrase, "-f", str(private)],
                   check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return ClientKey(private, private.with_name("id_ed25519.pub"))


class Locked:
    def __init__(self, root: Path) -> None:
        self.sup = Supervisor(root / "logs")
        self.key = encrypted_key(root / "client")
        self.sshd: SshdEndpoint = start_sshd(self.sup, root / "sshd", LOOP, self.key, name="locked")


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Locked]:
    binaries.require("sshd", "ssh-keygen")
    d = Locked(tmp_path_factory.mktemp("locked"))
    yield d
    assert d.sup.stop_all() == []


@pytest.fixture
def known(tmp_path: Path) -> KnownHosts:
    return KnownHosts.in_run_dir(tmp_path / "run")


def dial(locked: Locked, known: KnownHosts, env: dict[str, str]):
    ep = locked.sshd
    return connect(ep.address, ep.port, ep.user, ep.key.private, 5.0, known_hosts=known, env=env)


def test_an_encrypted_key_with_the_passphrase_from_the_environment_logs_in(locked, known, caplog):
    caplog.set_level(logging.DEBUG)
    client = dial(locked, known, {PASSPHRASE_ENV: PASSPHRASE})
    try:
        assert testinfra_host(client).run("echo hello").stdout.strip() == "hello"
    finally:
        client.close()
    assert PASSPHRASE not in caplog.text and "SHA256:" in caplog.text


def test_a_wrong_passphrase_is_a_clear_error_without_the_passphrase(locked, known):
    with pytest.raises(SshKeyError) as err:
        dial(locked, known, {PASSPHRASE_ENV: "not the passphrase"})
    text = str(err.value)
    assert f"{PASSPHRASE_ENV} does not decrypt {locked.key.private}" in text and "not the passphrase" not in text
    assert isinstance(err.value, SshError)


def test_an_encrypted_key_without_passphrase_or_agent_names_both_ways(locked, known):
    with pytest.raises(SshKeyError, match=rf"passphrase-protected: set {PASSPHRASE_ENV} .* ssh-agent"):
        dial(locked, known, {})


def test_the_passphrase_is_a_configured_secret_the_scans_look_for():
    assert PASSPHRASE_ENV in SECRET_ENV


@pytest.fixture
def agent(tmp_path: Path, locked: Locked, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real ssh-agent holding the locked key (added with the passphrase through SSH_ASKPASS).

    paramiko finds the agent through the process environment, as ssh does.
    """
    binaries.require("ssh-agent", "ssh-add")
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen([path_of("ssh-agent"), "-D", "-a", str(sock)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if sock.exists():
                break
            time.sleep(0.1)
        askpass = tmp_path / "askpass"
        askpass.write_text(f"#!/bin/sh\necho '{PASSPHRASE}'\n", encoding="ascii")
        askpass.chmod(0o700)
        env = {"SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
               "DISPLAY": ":0", "PATH": os.environ.get("PATH", "")}
        subprocess.run([path_of("ssh-add"), str(locked.key.private)], env=env, check=True, capture_output=True,
                       timeout=30, stdin=subprocess.DEVNULL)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield {"SSH_AUTH_SOCK": str(sock)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ssh_agent_logs_in_when_the_key_file_is_locked(locked, known, agent):
    assert credentials(locked.key.private, agent).pkey is None
    client = dial(locked, known, agent)
    try:
        assert testinfra_host(client).run("echo via-agent").stdout.strip() == "via-agent"
    finally:
        client.close()


def test_a_dropped_transport_is_reconnected_once_transparently(locked, known):
    client = dial(locked, known, {PASSPHRASE_ENV: PASSPHRASE})
    try:
        transport = client.get_transport()
        assert transport is not None
        assert transport.packetizer._Packetizer__keepalive_interval == KEEPALIVE_S == 30  # paramiko keeps it private
        transport.sock.shutdown(socket.SHUT_RDWR)  # the network drops under an idle connection
        for _ in range(50):
            if not transport.is_active():
                break
            time.sleep(0.1)
        assert not transport.is_active()
        assert testinfra_host(client).run("echo again").stdout.strip() == "again"
        assert client.reconnects == 1 and client.get_transport() is not transport
    finally:
        client.close()


def test_without_the_reconnect_a_dropped_transport_fails(locked, known):
    """The behaviour before: a dropped transport is the end of the connection."""
    client = dial(locked, known, {PASSPHRASE_ENV: PASSPHRASE})
    client.dial = None  # what a client without the reconnect is
    try:
        client.get_transport().sock.shutdown(socket.SHUT_RDWR)
        time.sleep(0.5)
        with pytest.raises(SshError, match="connection is closed"):
            testinfra_host(client).run("echo again")
    finally:
        client.close()
