"""Find secrets in text that must never hold one (EC2 user-data, launch templates, reports, logs).

Two kinds of evidence: the configured secret values themselves (from the environment
variables and files the operator uses for them), and key-shaped strings. A finding names
where and what kind, never the secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from provisioning.errors import TdgError

SECRET_ENV = ("TDG_TAILSCALE_AUTHKEY", "TDG_SSH_KEY_PASSPHRASE")
SECRET_FILE_ENV = ("TDG_TALOSCONFIG", "TDG_SSH_KEY", "TDG_TAILSCALE_AUTHKEY_FILE")
MIN_SECRET_LEN = 8

# A literal value: not a variable ($X, ${X}), a template (<X>, {{X}}) or a path (/run/secrets/x).
_LITERAL = r"""\s*[=:]\s*['"]?(?![$<{/])[^\s'"]{4,}"""
# The keyword ends the identifier (REGISTRY_PROXY_PASSWORD=, not WEBPASSWORD_FILE=).
_NAME = r"(?i)(?<![A-Za-z0-9])[A-Za-z0-9_.-]*?"

KEY_SHAPES: dict[str, re.Pattern[str]] = {
    "a private key block": re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
    "a Tailscale auth key": re.compile(r"\btskey-(?:[a-z]+-)?[A-Za-z0-9][A-Za-z0-9-]{9,}"),
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "an AWS secret key assignment": re.compile(
        r"""(?i)(?:aws_?secret_?access_?key|secret_?access_?key)["']?\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}"""),
    "a talosconfig client key": re.compile(r"(?m)^\s*(?:key|crt):\s*LS0t[A-Za-z0-9+/=]{20,}"),
    "a GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    "a WireGuard private key": re.compile(r"(?im)^\s*PrivateKey\s*=\s*[A-Za-z0-9+/]{42,43}="),
    "a literal password assignment": re.compile(_NAME + r"(?:password|passwd)" + _LITERAL),
    "a literal token assignment": re.compile(_NAME + r"token" + _LITERAL),
    "a literal secret assignment": re.compile(_NAME + r"secret" + _LITERAL),
}


class SecretFileError(TdgError):
    """A configured secret file cannot be read, so the scan would silently miss its values."""


def secret_file_problems(env: Mapping[str, str] | None = None) -> list[str]:
    """One line per configured secret file that is missing or unreadable (empty = all readable)."""
    env = os.environ if env is None else env
    out = []
    for key in SECRET_FILE_ENV:
        raw = env.get(key)
        if not raw:
            continue
        path = Path(raw).expanduser()
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            out.append(f"{key} = {raw!r}: the secret file cannot be read ({why}); the secrets scan needs "
                       "its values to look for them")
    return out


def configured_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values this run knows of: env values, and the lines of secret files (>= 8 chars).

    Raises SecretFileError when a configured secret file cannot be read (a narrower scan
    would pass user-data that holds its value).
    """
    env = os.environ if env is None else env
    problems = secret_file_problems(env)
    if problems:
        raise SecretFileError("; ".join(problems))
    values = [env[k] for k in SECRET_ENV if env.get(k)]
    for key in SECRET_FILE_ENV:
        if env.get(key):
            text = Path(env[key]).expanduser().read_text(encoding="utf-8")
            values += [ln.strip() for ln in text.splitlines()]
    return [v for v in values if len(v) >= MIN_SECRET_LEN]


def scan(text: str, where: str, secrets: Iterable[str] = ()) -> list[str]:
    """Violations for every secret value or key-shaped string in text (empty = clean)."""
    out = []
    for i, secret in enumerate(secrets):
        if secret and secret in text:
            out.append(f"{where}: expected no secrets, found configured secret #{i + 1} (value withheld)")
    for shape, pattern in KEY_SHAPES.items():
        match = pattern.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            out.append(f"{where}: expected no secrets, found {shape} on line {line}")
    return out
