"""Checks over a Talos node's network, resolver, registry and Tailscale state (pure; no I/O).

Like checks.py: each takes the adapter's answer and the node, and returns violations naming the
node, what was expected and what was found; a node missing from the answer is a violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from provisioning.data import load_data
from provisioning.talos.checks import _label, _of
from provisioning.talos.netstate import HostnameStatus, RegistryConfig, ResolverStatus, Route
from provisioning.talos.resources import Service


def default_route(routes: Sequence[Route], node: str, *, gateway: str, name: str | None = None) -> list[str]:
    """The IPv4 default route in effect (lowest metric in table main) must go via gateway, and alone.

    boot-to-talos's ip= argument gives Talos a default route via the subnet router at metric 1024
    (talos_config.yaml routes); the configured one must carry a lower metric or the kernel may keep
    using the other. Two default routes at the same lowest metric are ambiguous and fail too.
    """
    who = _label(node, name)
    defaults = sorted((r for r in _of(routes, node) if r.is_default and r.table == "main" and "." in r.gateway),
                      key=lambda r: r.priority)
    if not defaults:
        return [f"{who}: no IPv4 default route; expected one via {gateway}"]
    lowest = defaults[0].priority
    winners = sorted({r.gateway for r in defaults if r.priority == lowest})
    shown = ", ".join(f"via {r.gateway} metric {r.priority}" for r in defaults)
    if gateway not in winners:
        return [f"{who}: the default route in effect goes via {winners[0]} (metric {lowest}), expected via "
                f"{gateway} with the lowest metric; default routes: {shown}"]
    if len(winners) > 1:
        other = next(g for g in winners if g != gateway)
        return [f"{who}: default routes via {gateway} and {other} share metric {lowest}, so which one the "
                f"kernel uses is not decided by the configuration; default routes: {shown}"]
    return []


def hostname(statuses: Sequence[HostnameStatus], node: str, *, expected: str, name: str | None = None) -> list[str]:
    """The node's hostname must be its planned name (a HostnameConfig), not a generated or cmdline one."""
    who = _label(node, name)
    mine = _of(statuses, node)
    if not mine:
        return [f"{who}: no hostnamestatus answer (expected {expected})"]
    if mine[0].hostname != expected:
        return [f"{who}: hostname is {mine[0].hostname!r}, expected {expected!r}"]
    return []


def resolvers(statuses: Sequence[ResolverStatus], node: str, *, expected: Sequence[str],
              name: str | None = None) -> list[str]:
    """The node must resolve through exactly the expected servers (the VPC resolver), not Talos's defaults."""
    who = _label(node, name)
    mine = _of(statuses, node)
    if not mine:
        return [f"{who}: no resolvers answer (expected {', '.join(expected)})"]
    if list(mine[0].servers) != list(expected):
        return [f"{who}: resolvers are {', '.join(mine[0].servers) or 'none'}, expected {', '.join(expected)}"]
    return []


def mirrors(configs: Sequence[RegistryConfig], node: str, *, expected: Mapping[str, Sequence[str]],
            name: str | None = None) -> list[str]:
    """Every cached registry must be mirrored to exactly its bastion cache, with no TLS settings on HTTP ones.

    A RegistryTLSConfig "makes sense only for HTTPS endpoints" (siderolabs/talos v1.12.7 cri_doc.go);
    the lab owner's run found TLS blocks on the plain-HTTP caches broke pulls (upstream-facts §2).
    """
    who = _label(node, name)
    mine = _of(configs, node)
    if not mine:
        return [f"{who}: no registryconfigs answer (expected mirrors for {', '.join(expected)})"]
    cfg, out = mine[0], []
    for host, urls in expected.items():
        have = list(cfg.mirrors.get(host, ()))
        if have != list(urls):
            out.append(f"{who}: mirror for {host} is {', '.join(have) or 'missing'}, expected {', '.join(urls)}")
    for urls in cfg.mirrors.values():
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme == "http" and parts.netloc in cfg.tls:
                out.append(f"{who}: plain-HTTP mirror endpoint {url} has TLS settings "
                           f"({', '.join(sorted(cfg.tls[parts.netloc])) or 'empty'}); TLS applies to HTTPS only")
    return out


def tailscale_login(svcs: Sequence[Service], log: str, node: str, *, name: str | None = None) -> list[str]:
    """ext-tailscale must run and its log must show a completed login (talos_config.yaml tailscale.login_line)."""
    facts = load_data("talos_config")["tailscale"]
    who = _label(node, name)
    by_id = {s.id: s for s in _of(svcs, node)}
    svc = by_id.get(facts["service"])
    out = []
    if svc is None or not svc.running:
        state = "absent" if svc is None else "not running"
        out.append(f"{who}: service {facts['service']} is {state}; expected running with its auth key")
    if facts["login_line"] not in log:
        last = [line for line in log.splitlines() if line.strip()][-1:] or ["(empty log)"]
        out.append(f"{who}: {facts['service']} log lacks {facts['login_line']!r} (not logged in to the tailnet); "
                   f"last line: {last[0]}")
    return out
