"""Steps of features/03_talos_node.feature: what a node takes from its configuration, and its data disk."""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import then

from fixtures.talos import LabNode, TalosLab
from provisioning.aws.instance_state import InstanceState
from provisioning.checks import talos_aws as ec2_check
from provisioning.settings import RunSettings
from provisioning.talos import checks, netchecks
from provisioning.talos.config import default_gateway, registry_mirrors, vpc_resolver
from provisioning.topology import Topology
from steps.common import assert_clean

EVIDENCE = "talos"
Evidence = Callable[[str], None]


@then("its hostname is its planned name")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    found = netchecks.hostname(talos_lab.reads.of("hostname", lab_node.ip), lab_node.ip, expected=lab_node.name,
                               name=lab_node.name)
    assert_clean(found, "hostname")


@then("its default route goes via the planned gateway and wins over the kernel command line's")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.default_route(talos_lab.reads.of("routes", lab_node.ip), lab_node.ip,
                                    gateway=default_gateway(topology), name=lab_node.name)
    assert_clean(found, "default route")


@then("it resolves names through the VPC resolver")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.resolvers(talos_lab.reads.of("resolvers", lab_node.ip), lab_node.ip,
                                expected=[vpc_resolver(topology)], name=lab_node.name)
    assert_clean(found, "resolvers")


@then("it pulls images through the bastion's plain-HTTP caches")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    found = netchecks.mirrors(talos_lab.reads.of("registries", lab_node.ip), lab_node.ip,
                              expected=registry_mirrors(topology.bastion.private_ip), name=lab_node.name)
    assert_clean(found, "registry mirrors")


@then("its instance has the profile's data volume, encrypted, tagged and deleted with it")
def _(lab_node: LabNode, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    found = ec2_check.data_volume(lab_node.node, ec2_check.instance_of(talos_instances, lab_node.node),
                                  tdg_settings.run_id)
    assert_clean(found, "data volume")


@then("talosctl lists that data disk beside the system disk")
def _(talos_lab: TalosLab, lab_node: LabNode, talos_instances: tuple[InstanceState, ...]) -> None:
    inst = ec2_check.instance_of(talos_instances, lab_node.node)
    ids = [v.id for v in inst.data_volumes] if inst is not None else []
    ip, read = lab_node.ip, talos_lab.reads.of
    found = checks.data_disk(read("system_disk", ip), read("disks", ip), lab_node.ip,
                             planned_gb=lab_node.node.data_volume_gb, volume_ids=ids, name=lab_node.name)
    assert_clean(found, "data disk")
