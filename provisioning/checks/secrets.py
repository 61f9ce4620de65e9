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

SECRET_ENV = ("TDG_TAILSCALE_AUTHKEY",)
SECRET_FILE_ENV = ("TDG_TALOSCONFIG", "TDG_SSH_KEY", "TDG_TAILSCALE_AUTHKEY_FILE")
MIN_SECRET_LEN = 8

KEY_SHAPES: dict[str, re.Pattern[str]] = {
    "a private key block": re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
    "a Tailscale auth key": re.compile(r"tskey-[a-z]+-[A-Za-z0-9]{8,}"),
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "an AWS secret key assignment": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*\S{16,}"),
    "a talosconfig client key": re.compile(r"(?m)^\s*(?:key|crt):\s*LS0t[A-Za-z0-9+/=]{20,}"),
    "a literal password assignment": re.compile(
        r"(?i)\b(?:password|passwd|webpassword)\s*[=:]\s*['\"]?(?![$<{/])[^\s'\"]{4,}"),
}


def configured_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values this run knows of: env values, and the lines of secret files (>= 8 chars)."""
    env = os.environ if env is None else env
    values = [env[k] for k in SECRET_ENV if env.get(k)]
    for key in SECRET_FILE_ENV:
        path = env.get(key)
        if path and Path(path).is_file():
            try:
                values += [ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines()]
            except (OSError, UnicodeDecodeError):
                continue
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
