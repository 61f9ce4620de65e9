"""Make a value safe to write into a bundle: no secrets, no account ids, no home address.

Runs BEFORE anything is written. Configured secret values and key-shaped strings go through
the project's secret scanner patterns (provisioning/checks/secrets.py, report/redact.py);
base64 strings (EC2 user-data) are decoded and withheld whole when the text inside holds a
secret; twelve-digit account ids become a fixed masked id (so requests that carry them still
match on replay); the operator's home address becomes one in the documentation prefix
2001:db8::/32.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioning.checks.secrets import KEY_SHAPES, scan

MASKED_ACCOUNT = "000000000000"
REDACTED = "tdg-redacted"  # legal in AWS tags and YAML, so a redacted profile still loads and replays
BARE_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
BASE64 = re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$")
DOC_HOME = "2001:db8::10"
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)?", re.S)
B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}")  # base64 of "-----BEGIN": kubeconfig key data
SECRET_KEYS = re.compile(r"(?i)^(SecretAccessKey|SessionToken|AccessKeyId|KeyMaterial|PrivateKey|Password)$")


def _home_forms(home: str | None) -> tuple[str, ...]:
    if not home:
        return ()
    ip = ipaddress.IPv6Interface(home).ip
    if ip in ipaddress.IPv6Network("2001:db8::/32"):
        return ()
    return (ip.exploded, str(ip))


@dataclass(frozen=True)
class Redactor:
    """Redact strings, and dicts/lists of them, with one run's secrets, accounts and home address."""

    secrets: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    home: str | None = None
    doc_home: str = DOC_HOME

    @classmethod
    def for_run(cls, secrets: Iterable[str], accounts: Iterable[str] = (), home: str | None = None,
                doc_home: str | None = None) -> Redactor:
        """doc_home: the documentation address the home address becomes (the profile's, when it has one)."""
        doc = DOC_HOME
        if doc_home and ipaddress.IPv6Interface(doc_home).ip in ipaddress.IPv6Network("2001:db8::/32"):
            doc = str(ipaddress.IPv6Interface(doc_home).ip)
        return cls(tuple(s for s in secrets if s), tuple(a for a in accounts if a), home, doc)

    def text(self, text: str) -> str:
        """Return text with every secret, key shape, account id and the home address replaced."""
        if BASE64.match(text):
            text = self._base64(text)
        text = B64_PEM.sub(_pem_blob, PEM_BLOCK.sub(REDACTED, text))
        for secret in self.secrets:  # the scanner's values and shapes; accounts are masked below, ARNs stay ARNs
            text = text.replace(secret, REDACTED)
        for pattern in KEY_SHAPES.values():
            text = pattern.sub(REDACTED, text)
        for forms in _home_forms(self.home):
            text = text.replace(forms, self.doc_home)
        for account in self.accounts:
            text = text.replace(account, MASKED_ACCOUNT)
        return BARE_ACCOUNT.sub(lambda m: m.group(0) if m.group(0) == MASKED_ACCOUNT else MASKED_ACCOUNT, text) \
            if "arn:" in text or _looks_like_account(text) else text

    def _base64(self, text: str) -> str:
        try:
            inner = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return text
        if scan(inner, "bundle", self.secrets) or any(p.search(inner) for p in KEY_SHAPES.values()):
            return REDACTED
        return text

    def value(self, value: Any, key: str = "") -> Any:
        """Redact value recursively; values under secret-named keys are withheld whole."""
        if key and SECRET_KEYS.match(key) and value:
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def leaks(self, text: str) -> list[str]:
        """What of this run's secrets, accounts or home address text still holds (empty = safe to write)."""
        found = scan(text, "bundle", self.secrets)
        found += [f"bundle: account id {a[:4]}****{a[-4:]}" for a in self.accounts if a in text]
        found += [f"bundle: the operator's home address {h}" for h in _home_forms(self.home) if h in text]
        return found


def _pem_blob(match: re.Match[str]) -> str:
    """A base64 PEM blob: withheld when it holds a private key (certificates stay)."""
    try:
        inner = base64.b64decode(match.group(0) + "==", validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return REDACTED
    return REDACTED if "PRIVATE KEY" in inner else match.group(0)


def _looks_like_account(text: str) -> bool:
    """A bare twelve-digit string is an account id (OwnerId, UserId, Account)."""
    return bool(BARE_ACCOUNT.fullmatch(text))
