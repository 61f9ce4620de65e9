"""Keep secrets, account ids and outside links out of the report.

Pure text functions: the environment table's values, and the finished report HTML (whose
pytest-html template links to PyPI; the report must not point outside, even by a link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from provisioning.checks.secrets import KEY_SHAPES

REDACTED = "[redacted]"
ACCOUNT = "[account id]"
SECRET_NAME = re.compile(r"(?i)(secret|token|passw|auth|credential|private|session|api[_-]?key|access[_-]?key)")
ACCOUNT_ID = re.compile(r"(?i)(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:|\b(?:account|owner)[^0-9\n]{0,30}?)(\d{12})\b")
URL = re.compile(r"""https?://[^\s"'<>)\\]+""")
ANCHOR = re.compile(r"""<a\b[^>]*\bhref=["'](https?://[^"']+)["'][^>]*>(.*?)</a>""", re.S | re.I)
LOOPBACK_HOSTS = ("localhost",)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace configured secret values, key-shaped strings and AWS account ids in text."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in KEY_SHAPES.values():
        text = pattern.sub(REDACTED, text)
    return ACCOUNT_ID.sub(lambda m: m.group(1) + ACCOUNT, text)


def redact_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """redact_text applied through dicts, lists and strings (other values unchanged)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return redact_metadata(value, secrets)
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, secrets) for v in value)
    return value


def redact_metadata(metadata: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of metadata with secret-named keys' values withheld and every value redacted."""
    secrets = tuple(secrets)
    return {k: REDACTED if SECRET_NAME.search(str(k)) else redact_value(v, secrets) for k, v in metadata.items()}


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs on 127.0.0.0/8, ::1 or localhost."""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host == "::1" or host.startswith("127.")


def external_urls(text: str) -> list[str]:
    """Every http(s) URL in text whose host is not loopback."""
    return [u for u in URL.findall(text) if not is_loopback_url(u)]


def unlink_external(html: str) -> str:
    """Turn <a href="http(s)://outside">x</a> into plain x; loopback links stay."""
    return ANCHOR.sub(lambda m: m.group(0) if is_loopback_url(m.group(1)) else m.group(2), html)
