"""Steps of features/02_bastion.feature run on the bastion's host over SSH (or read from its rendering).

Each step records the evidence it used: the host (the live bastion, or the loopback stand-in
running the rendered configuration) or only the rendered user-data.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import parsers, then

from fixtures.bastion_host import BastionHost
from provisioning.probes import bastion as probe
from provisioning.probes.bastion import Finding
from provisioning.topology import Topology
from steps.bastion import assert_clean

EVIDENCE = "host"


def _clean(finding: Finding, bastion_host: BastionHost, evidence: Callable[[str], None], what: str) -> None:
    __tracebackhide__ = True
    evidence(bastion_host.evidence(finding))
    assert_clean([str(v) for v in finding.violations], what)


@then("a shell on the bastion answers as the profile's user")
def _(bastion_host: BastionHost, evidence: Callable[[str], None]) -> None:
    _clean(probe.ssh_answers(bastion_host.host, bastion_host.user), bastion_host, evidence, "SSH to the bastion")


@then("the bastion holds its fixed private address on an interface")
def _(bastion_host: BastionHost, topology: Topology, evidence: Callable[[str], None]) -> None:
    _clean(bastion_host.static_ip(topology), bastion_host, evidence, "bastion static address")


@then(parsers.parse("the {registry} cache answers GET /v2/ with 200 on port {port:d}"))
def _(bastion_host: BastionHost, registry: str, port: int, evidence: Callable[[str], None]) -> None:
    finding = probe.cache_answers(bastion_host.host, bastion_host.rendering, registry)
    evidence(bastion_host.evidence(finding))
    violations = bastion_host.cache_port(registry, port) + [str(v) for v in finding.violations]
    assert_clean(violations, f"{registry} cache")


@then(parsers.parse("an image pulled through the {registry} cache comes from its upstream and is stored in the cache"))
def _(bastion_host: BastionHost, registry: str, evidence: Callable[[str], None]) -> None:
    evidence(bastion_host.evidence(Finding("pull-through", probe.HOST, ())))
    assert_clean(bastion_host.pull_through(registry), f"{registry} pull-through")


@then("the asset server serves boot-to-talos with its pinned checksum")
def _(bastion_host: BastionHost, evidence: Callable[[str], None]) -> None:
    _clean(probe.assets_served(bastion_host.host, bastion_host.rendering), bastion_host, evidence,
           "boot-to-talos asset server")


@then("a name the VPC resolver knows resolves through the bastion's DNS forwarder")
def _(bastion_host: BastionHost, topology: Topology, evidence: Callable[[str], None]) -> None:
    name, address = bastion_host.dns_probe(topology)
    _clean(probe.dns_resolves(bastion_host.host, bastion_host.rendering, name, address), bastion_host, evidence,
           "DNS forwarder")


@then("IPv4 forwarding and the nodes' masquerade are on exactly when the profile makes the bastion their exit")
def _(bastion_forwarding: tuple[list[str], str], evidence: Callable[[str], None]) -> None:
    violations, label = bastion_forwarding
    evidence(label)
    assert_clean(violations, "forwarding and masquerade")


@then("every service the user-data starts is running")
def _(bastion_services: tuple[list[str], str], evidence: Callable[[str], None]) -> None:
    violations, label = bastion_services
    evidence(label)
    assert_clean(violations, "bastion services")
