"""The Tailscale ExtensionServiceConfig: the only Talos document that holds a secret (redacted repr).

The auth key goes into the gateway node's ExtensionServiceConfig named tailscale (TS_AUTHKEY, which
ext-tailscale waits for) and nowhere else: never user-data, reports or logs. The key must be shaped
like a Tailscale pre-authentication key (talos_config.yaml tailscale.auth_key_pattern, from
tailscale.com's key-prefixes reference); a malformed one is refused without echoing it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from provisioning.data import load_data


def auth_key_problem(key: str) -> str | None:
    """Why key is not a Tailscale auth key (never quoting it), or None when it is shaped like one."""
    facts = load_data("talos_config")["tailscale"]
    if re.fullmatch(facts["auth_key_pattern"], key):
        return None
    kind = key.split("-")[1] if key.startswith("tskey-") and key.count("-") >= 2 else None
    what = f"a tskey-{kind} key, not an auth key" if kind and kind != "auth" else "not tskey-auth-<id>CNTRL-<secret>"
    return f"the Tailscale auth key ({len(key)} characters, value not shown) is {what}"


@dataclass(frozen=True)
class SecretDocument:
    """A rendered document that holds a secret: repr/str/format are redacted, reveal() gives the text."""

    name: str
    _text: str = field(repr=False)

    def __repr__(self) -> str:
        return f"SecretDocument(name={self.name!r}, text=<redacted, {len(self._text)} chars>)"

    __str__ = __repr__

    def reveal(self) -> str:
        """Return the full text, secret included (only for writing it to a private file)."""
        return self._text

    def write_private(self, path: Path) -> Path:
        """Write the text to a new file readable by its owner only (0600); refuses to overwrite."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, self._text.encode())
        finally:
            os.close(fd)
        return path


def tailscale_service_config(auth_key: str, *, routes: Sequence[str] = (),
                             hostname: str | None = None) -> SecretDocument:
    """Render the ExtensionServiceConfig named tailscale that ext-tailscale waits for (talos-cozystack-facts §7).

    routes become TS_ROUTES (subnet routes to advertise). Raises ValueError, without echoing the
    key, when it is not shaped like a Tailscale auth key (auth_key_problem).
    """
    problem = auth_key_problem(auth_key)
    if problem is not None:
        raise ValueError(problem)
    for route in routes:
        ipaddress.ip_network(route, strict=True)
    env = [f"{load_data('talos_config')['tailscale']['environment_key']}={auth_key}"]
    if routes:
        env.append(f"TS_ROUTES={','.join(routes)}")
    if hostname:
        env.append(f"TS_HOSTNAME={hostname}")
    doc = {"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "tailscale", "environment": env}
    return SecretDocument("tailscale", yaml.safe_dump(doc, sort_keys=False))
