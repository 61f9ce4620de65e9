"""What is checked on the bastion, whatever reaches it: a testinfra Host, or the rendering itself.

Each function returns a Finding: the check's name, the evidence it used ("host via SSH" when
commands ran on the host, "rendered configuration" when only the user-data could be read) and
the violations (resource, expected, actual); no violations means the check passed. Addresses
and ports come from the rendering, so the same probe runs against the real bastion and the
loopback stand-in. Commands on the host rely on the transport's remote `timeout`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from provisioning.checks import Violation
from provisioning.probes.dnsquery import QUERY_SCRIPT, parse_answer
from provisioning.topology import Topology
from provisioning.userdata.model import BastionRendering, Nat

Evidence = Literal["host via SSH", "rendered configuration"]
HOST: Evidence = "host via SSH"
RENDERED: Evidence = "rendered configuration"
MANIFEST_ACCEPT = ("application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
                   "application/vnd.docker.distribution.manifest.list.v2+json, "
                   "application/vnd.docker.distribution.manifest.v2+json")


@dataclass(frozen=True)
class Finding:
    """The outcome of one check and the evidence it rests on."""

    check: str
    evidence: Evidence
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        head = f"{self.check} [{self.evidence}]: " + ("ok" if self.ok else f"{len(self.violations)} violation(s)")
        return "\n".join([head, *(f"  - {v}" for v in self.violations)])


def _finding(check: str, evidence: Evidence, violations: Iterable[Violation]) -> Finding:
    return Finding(check, evidence, tuple(violations))


def _out(result: Any) -> str:
    return f"exit {result.rc}: {(result.stderr or result.stdout).strip()[:200] or 'no output'}"


def _sudo(sudo: bool) -> str:
    return "sudo -n " if sudo else ""


def static_ip_on_host(host: Any, rendering: BastionRendering) -> Finding:
    """The bastion's private IP is on one of its interfaces (live)."""
    res = host.run("ip -4 -o addr show")
    if res.rc != 0:
        return _finding("static IP", HOST, [Violation("bastion interfaces", rendering.static_ip, _out(res))])
    found = [line.split()[3].split("/")[0] for line in res.stdout.splitlines() if len(line.split()) > 3]
    bad = [] if rendering.static_ip in found else [
        Violation("bastion interfaces", f"{rendering.static_ip} on an interface", ", ".join(found) or "none")]
    return _finding("static IP", HOST, bad)


def static_ip_in_rendering(topo: Topology, rendering: BastionRendering) -> Finding:
    """The rendering binds every service to the profile's private IP and waits for it (offline)."""
    ip = topo.bastion.private_ip
    bad = []
    if rendering.static_ip != ip:
        bad.append(Violation("rendering static_ip", ip, rendering.static_ip))
    binds = {f"cache {c.name}": c.address for c in rendering.caches}
    binds.update({"DNS forwarder": rendering.dns.address, "asset server": rendering.assets.address})
    bad += [Violation(f"{what} listen address", ip, addr) for what, addr in binds.items() if addr != ip]
    if f"wait_for_address {ip}\n" not in rendering.user_data:
        bad.append(Violation("user-data", f"waits for {ip} on an interface", "no such step"))
    return _finding("static IP", RENDERED, bad)


def ssh_answers(host: Any, expected_user: str) -> Finding:
    """A command runs over SSH as the expected user."""
    res = host.run("id -un")
    got = res.stdout.strip() if res.rc == 0 else _out(res)
    bad = [] if got == expected_user else [Violation("SSH login", f"a shell as {expected_user}", got)]
    return _finding("SSH answers", HOST, bad)


def cache_answers(host: Any, rendering: BastionRendering, name: str) -> Finding:
    """GET /v2/ on the cache (run on the bastion, against the rendered address) returns 200."""
    cache = rendering.cache(name)
    res = host.run("curl -s -o /dev/null -w %s --max-time 10 %s", "%{http_code}", f"{cache.url}/v2/")
    got = f"HTTP {res.stdout.strip()}" if res.rc == 0 else f"no answer (curl {_out(res)})"
    bad = [] if got == "HTTP 200" else [Violation(f"cache {name} at {cache.url}/v2/", "HTTP 200", got)]
    return _finding(f"cache {name}", HOST, bad)


def caches_answer(host: Any, rendering: BastionRendering) -> Finding:
    """Every rendered cache answers GET /v2/ with 200."""
    violations = [v for c in rendering.caches for v in cache_answers(host, rendering, c.name).violations]
    return _finding("registry caches", HOST, violations)


def cache_pulls_through(host: Any, rendering: BastionRendering, name: str, repository: str,
                        reference: str) -> Finding:
    """The cache serves repository:reference's manifest (pulled from its remote when not stored)."""
    cache = rendering.cache(name)
    url = f"{cache.url}/v2/{repository}/manifests/{reference}"
    res = host.run("curl -s -o /dev/null -w %s --max-time 60 -H %s %s", "%{http_code}",
                   f"Accept: {MANIFEST_ACCEPT}", url)
    got = f"HTTP {res.stdout.strip()}" if res.rc == 0 else f"no answer (curl {_out(res)})"
    bad = [] if got == "HTTP 200" else [Violation(f"cache {name}: {url}", "HTTP 200", got)]
    return _finding(f"cache {name} pull-through", HOST, bad)


def assets_served(host: Any, rendering: BastionRendering) -> Finding:
    """The asset server serves boot-to-talos with the pinned sha256, and the file on disk has it too."""
    a = rendering.assets
    if a.sha256 is None:
        return _finding("boot-to-talos asset", RENDERED,
                        [Violation("boot-to-talos sha256", "a pinned checksum", "none pinned")])
    bad = []
    served = host.run("bash -c %s", f"set -o pipefail; curl -fsS --max-time 120 {shlex.quote(a.url)} | sha256sum")
    got = served.stdout.split()[0] if served.rc == 0 and served.stdout.split() else f"nothing ({_out(served)})"
    if got != a.sha256:
        bad.append(Violation(f"served {a.url}", f"sha256 {a.sha256}", got))
    disk = host.run("sha256sum %s", a.path)
    got = disk.stdout.split()[0] if disk.rc == 0 and disk.stdout.split() else f"no file ({_out(disk)})"
    if got != a.sha256:
        bad.append(Violation(f"file {a.path}", f"sha256 {a.sha256}", got))
    return _finding("boot-to-talos asset", HOST, bad)


def dns_resolves(host: Any, rendering: BastionRendering, name: str, expected: str | None = None) -> Finding:
    """The forwarder (queried on the bastion at its rendered address) answers an A record for name."""
    d = rendering.dns
    res = host.run("python3 -c %s %s %s %s", QUERY_SCRIPT, d.address, str(d.port), name)
    ans = parse_answer(res.stdout)
    where = f"DNS forwarder {d.address}:{d.port}"
    want = f"an A record {expected}" if expected else "an A record"
    if ans.error is not None or res.rc != 0:
        bad = [Violation(f"{where} for {name}", want, f"no answer ({ans.error or _out(res)})")]
    elif ans.rcode != 0:
        bad = [Violation(f"{where} for {name}", want, f"rcode {ans.rcode}")]
    elif not ans.addresses or (expected is not None and expected not in ans.addresses):
        bad = [Violation(f"{where} for {name}", want, ", ".join(ans.addresses) or "no A record")]
    else:
        bad = []
    return _finding("DNS forwarder", HOST, bad)


def _nat_expected(topo: Topology) -> Nat | None:
    if not topo.bastion.nat_for_nodes:
        return None
    return Nat(topo.subnet(topo.node_subnet).cidr, topo.vpc_cidr, "")


def forwarding_on_host(host: Any, topo: Topology, *, sudo: bool = True) -> Finding:
    """ip_forward and the nodes' masquerade are on exactly when the profile says (live).

    Without NAT in the profile only the masquerade for the nodes' subnet must be absent:
    Docker turns ip_forward on for itself.
    """
    nat = _nat_expected(topo)
    cidr = topo.subnet(topo.node_subnet).cidr
    bad = []
    fwd = host.run("cat /proc/sys/net/ipv4/ip_forward")
    if nat is not None and fwd.stdout.strip() != "1":
        bad.append(Violation("net.ipv4.ip_forward", "1", fwd.stdout.strip() if fwd.rc == 0 else _out(fwd)))
    if nat is not None:
        for table, chain, *rule in nat.rules():
            res = host.run(f"{_sudo(sudo)}iptables -t {table} -C {chain} " + " ".join(shlex.quote(r) for r in rule))
            if res.rc != 0:
                got = "absent" if res.rc == 1 else _out(res)
                bad.append(Violation(f"iptables -t {table} {chain}", " ".join(rule), got))
    else:
        res = host.run(f"{_sudo(sudo)}iptables -t nat -S POSTROUTING")
        hits = [ln for ln in res.stdout.splitlines() if f"-s {cidr}" in ln and "MASQUERADE" in ln]
        if res.rc != 0:
            bad.append(Violation("iptables -t nat POSTROUTING", "readable", _out(res)))
        elif hits:
            bad.append(Violation("iptables -t nat POSTROUTING", f"no masquerade for {cidr}", "; ".join(hits)))
    return _finding("forwarding and masquerade", HOST, bad)


def forwarding_in_rendering(topo: Topology, rendering: BastionRendering) -> Finding:
    """The user-data turns on forwarding and adds the masquerade exactly when the profile says (offline)."""
    nat = _nat_expected(topo)
    ud = rendering.user_data
    bad = []
    if nat is None:
        if "MASQUERADE" in ud or "ip_forward" in "".join(rendering.files.values()):
            bad.append(Violation("user-data", "no forwarding or masquerade (profile without NAT)", "present"))
        return _finding("forwarding and masquerade", RENDERED, bad)
    if rendering.nat is None:
        return _finding("forwarding and masquerade", RENDERED,
                        [Violation("rendering", f"NAT for {nat.source_cidr}", "none")])
    sysctl = rendering.files.get(rendering.nat.sysctl_path, "")
    if "net.ipv4.ip_forward = 1" not in sysctl or f"sysctl -q -p {rendering.nat.sysctl_path}\n" not in ud:
        bad.append(Violation("sysctl", "net.ipv4.ip_forward = 1 written and applied", "missing"))
    for table, chain, *rule in nat.rules():
        line = f"iptables -t {table} -C {chain} " + " ".join(shlex.quote(r) for r in rule)
        if line not in ud:
            bad.append(Violation(f"iptables -t {table} {chain}", " ".join(rule), "not in user-data"))
    return _finding("forwarding and masquerade", RENDERED, bad)


def containers_running(host: Any, rendering: BastionRendering, *, sudo: bool = True) -> Finding:
    """Every rendered container is running (docker ps) and every rendered unit is active (live)."""
    bad = []
    ps = host.run(f"{_sudo(sudo)}docker ps --format %s", "{{.Names}}")
    running = set(ps.stdout.split()) if ps.rc == 0 else set()
    for s in rendering.services:
        if s.kind == "container" and s.name not in running:
            bad.append(Violation(f"container {s.name}", "running", "not running" if ps.rc == 0 else _out(ps)))
        elif s.kind == "systemd":
            res = host.run("systemctl is-active %s", s.name)
            if res.stdout.strip() != "active":
                bad.append(Violation(f"unit {s.name}", "active", res.stdout.strip() or _out(res)))
    return _finding("services running", HOST, bad)


def processes_running(host: Any, rendering: BastionRendering, names: Iterable[str] | None = None) -> Finding:
    """Every named rendered service has a process whose command line carries its config (stand-in)."""
    wanted = set(names) if names is not None else {s.name for s in rendering.services}
    unknown = wanted - {s.name for s in rendering.services}
    if unknown:
        raise KeyError(f"not rendered services: {sorted(unknown)}")
    ps = host.run("ps -eo args=")
    lines = ps.stdout.splitlines() if ps.rc == 0 else []
    bad = [Violation(f"process {s.name}", f"running with {s.signature}", "not running" if ps.rc == 0 else _out(ps))
           for s in rendering.services if s.name in wanted and not any(s.signature in ln for ln in lines)]
    return _finding("services running", HOST, bad)
