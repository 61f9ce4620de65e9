"""Which credentials an SSH connection offers: the operator's key file (decrypted in memory) and ssh-agent.

A passphrase-protected key is decrypted with TDG_SSH_KEY_PASSPHRASE; without it, the key is
left to ssh-agent (SSH_AUTH_SOCK), and without an agent the run stops naming both ways. The
passphrase is never logged, never put in a message and never passed on: only the key type
and its SHA256 fingerprint are shown. The env mapping decides whether the agent is offered;
paramiko then finds it through the process environment's SSH_AUTH_SOCK, as ssh does.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import paramiko

from provisioning.errors import SetupError

log = logging.getLogger(__name__)
PASSPHRASE_ENV = "TDG_SSH_KEY_PASSPHRASE"
AGENT_ENV = "SSH_AUTH_SOCK"


class SshError(SetupError):
    """A host could not be reached or did not answer over SSH (names the host and the reason)."""


class SshKeyError(SshError):
    """The operator's key cannot be used: unreadable, locked without a passphrase or agent, or a wrong passphrase."""


def fingerprint(key: paramiko.PKey) -> str:
    """Return the OpenSSH-style SHA256 fingerprint of a public key (safe to log)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Credentials:
    """What a connection offers: the decrypted key (None: the agent holds it) and whether to ask the agent."""

    pkey: paramiko.PKey | None
    agent: bool
    source: str

    def describe(self) -> str:
        """Key type and fingerprint, or the agent: never key material."""
        parts = [f"{self.pkey.get_name()} {fingerprint(self.pkey)} ({self.source})"] if self.pkey else []
        if self.agent:
            parts.append(f"ssh-agent ({AGENT_ENV})")
        return " + ".join(parts)


def _load(path: Path, passphrase: str | None) -> paramiko.PKey:
    return paramiko.PKey.from_path(path, passphrase.encode() if passphrase else None)


def credentials(key_path: str | Path, env: Mapping[str, str] | None = None) -> Credentials:
    """Load the operator's key (with TDG_SSH_KEY_PASSPHRASE if set) and say whether to use ssh-agent too.

    Raises SshKeyError naming the file and what to do; the passphrase is never part of it.
    """
    env = os.environ if env is None else env
    path = Path(key_path).expanduser()
    passphrase = env.get(PASSPHRASE_ENV) or None
    agent = bool(env.get(AGENT_ENV))
    try:
        key = _load(path, passphrase)
    except TypeError as exc:
        if passphrase and "not encrypted" in str(exc):  # the passphrase is for another key; this one needs none
            return Credentials(_load(path, None), agent, str(path))
        if agent:
            log.info("%s is passphrase-protected and %s is not set: offering ssh-agent's keys", path, PASSPHRASE_ENV)
            return Credentials(None, True, str(path))
        raise SshKeyError(f"{path} is passphrase-protected: set {PASSPHRASE_ENV} to its passphrase or add the key "
                          f"to ssh-agent ({AGENT_ENV})") from None
    except ValueError:
        if passphrase:
            raise SshKeyError(f"{PASSPHRASE_ENV} does not decrypt {path} (wrong passphrase for this key?)") from None
        raise SshKeyError(f"{path} is not an OpenSSH or PEM private key") from None
    except OSError as exc:
        raise SshKeyError(f"{path}: cannot read the private key ({exc.strerror or type(exc).__name__})") from None
    return Credentials(key, agent, str(path))
