"""Steps of features/03_talos_node.feature about what a node takes from its configuration: name, route, DNS, mirrors."""

from __future__ import annotations

from pytest_bdd import then

from fixtures.talos import LabNode, TalosLab
from provisioning.talos import netchecks
from provisioning.talos.config import default_gateway, registry_mirrors, vpc_resolver
from provisioning.topology import Topology
from steps.common import assert_clean

EVIDENCE = "talos"


@then("its hostname is its planned name")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    found = netchecks.hostname(talos_lab.talosctl.hostname([lab_node.ip]), lab_node.ip, expected=lab_node.name,
                               name=lab_node.name)
    assert_clean(found, "hostname")


@then("its default route goes via the planned gateway and wins over the kernel command line's")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.default_route(talos_lab.talosctl.routes([lab_node.ip]), lab_node.ip,
                                    gateway=default_gateway(topology), name=lab_node.name)
    assert_clean(found, "default route")


@then("it resolves names through the VPC resolver")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.resolvers(talos_lab.talosctl.resolvers([lab_node.ip]), lab_node.ip,
                                expected=[vpc_resolver(topology)], name=lab_node.name)
    assert_clean(found, "resolvers")


@then("it pulls images through the bastion's plain-HTTP caches")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.mirrors(talos_lab.talosctl.registries([lab_node.ip]), lab_node.ip,
                              expected=registry_mirrors(topology.bastion.private_ip), name=lab_node.name)
    assert_clean(found, "registry mirrors")
