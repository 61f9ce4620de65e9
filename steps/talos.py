"""Steps of features/03_talos_node.feature: read the nodes back from EC2, the console and talosctl."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import given, parsers, then

from fixtures.talos import LabNode, TalosLab
from provisioning import credits
from provisioning.aws.bastion_state import read_template
from provisioning.aws.client import ClientFactory
from provisioning.aws.console import tail
from provisioning.aws.credit_state import template_credits
from provisioning.aws.instance_state import InstanceState
from provisioning.checks import talos_aws as ec2_check
from provisioning.checks.secrets import configured_secrets
from provisioning.data import load_data
from provisioning.phases.talos import template_key
from provisioning.settings import RunSettings
from provisioning.talos import checks
from provisioning.talos.health import HealthResult
from provisioning.talos.roles import required_extensions
from provisioning.topology import Topology
from steps.common import assert_clean

EVIDENCE = "talos"
NODE = parsers.parse("Talos node {n:d} of the profile")
Evidence = Callable[[str], None]


@given("the Talos nodes of the lab are provisioned", target_fixture="talos")
def _(talos_lab: TalosLab) -> TalosLab:
    return talos_lab


@given(NODE, target_fixture="lab_node")
def _(talos_lab: TalosLab, topology: Topology, n: int) -> LabNode:
    if not 1 <= n <= len(topology.nodes):
        pytest.skip(f"the profile plans {len(topology.nodes)} node(s): there is no node {n}")
    planned = topology.nodes[n - 1]
    found = [x for x in talos_lab.nodes if x.node == planned]
    if not found:  # --existing: nothing at the node's address ("One node is launched ..." names it)
        pytest.skip(f"node {planned.name}: no instance at {planned.private_ip}")
    return found[0]


def _instance(instances: tuple[InstanceState, ...], lab_node: LabNode) -> InstanceState | None:
    return ec2_check.instance_of(instances, lab_node.node)


@then("every planned node has exactly one instance and there is no other")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(ec2_check.launched(topology, talos_instances), "node instances")


@then("every node's instance has the profile's instance type")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    found = _every_node(topology, talos_instances, ec2_check.instance_type, found_only=tdg_settings.existing)
    assert_clean(found, "node instance types")


@then("every node's instance carries the run's tags and its role")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(_every_node(topology, talos_instances, ec2_check.run_tags, tdg_settings.run_id), "node tags")


@then("every node's launch template sets the CPU credit mode the profile asks for")
def _(topology: Topology, talos_lab: TalosLab, aws: ClientFactory, tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    found = [v for n in topology.nodes for ver in template_credits(aws, talos_lab.ids[template_key(n)])
             for v in credits.violations(f"node {n.name}: {ver.name}", ver.instance_type, ver.cpu_credits,
                                         topology.cpu_credits)]
    assert_clean(found, "node CPU credits")


@then("the nodes boot with the method the profile plans")
def _(talos_lab: TalosLab, evidence: Evidence) -> None:
    evidence("profile and preflight verdict (no API call)")
    verdict = talos_lab.verdict
    if verdict.substituted:
        pytest.xfail(f"the profile plans {verdict.planned}: {verdict.reason}; the nodes were booted with "
                     f"{verdict.used} instead (said before launching)")
    assert verdict.used == verdict.planned == "boot-to-talos", verdict.lines()


@then("its instance has exactly the planned private address")
def _(lab_node: LabNode, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(ec2_check.planned_ip(lab_node.node, _instance(talos_instances, lab_node)), "node private address")


@then("its instance has no public IPv4 address")
def _(lab_node: LabNode, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(ec2_check.no_public_ipv4(lab_node.node, _instance(talos_instances, lab_node)), "node public IPv4")


@then("its serial console shows boot-to-talos installing Talos to disk and rebooting")
def _(talos_lab: TalosLab, lab_node: LabNode, evidence: Evidence) -> None:
    seen = talos_lab.installs.get(lab_node.name)
    assert seen is not None, f"{lab_node.name}: the console watch kept no install evidence"
    evidence(seen.source)
    if seen.console is None:  # the window had scrolled; the maintenance API answered for the node
        return
    found = checks.console_install(seen.console, instance=f"{lab_node.instance_id} ({lab_node.name})")
    assert_clean([f"{v}\n    console ends with:\n{tail(seen.console)}" for v in found], "boot-to-talos on the console")


@then("it answers on the Talos API with the pinned Talos version")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    expected = load_data("versions")["talos"]["version"]
    found = checks.answers(talos_lab.reads.of("versions", lab_node.ip), lab_node.ip, expected=expected,
                           name=lab_node.name)
    assert_clean(found, "Talos API")


@then("its machine stage is running and ready")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    statuses = talos_lab.reads.of("machine_status", lab_node.ip)
    assert_clean(checks.machine_ready(statuses, lab_node.ip, name=lab_node.name), "machine stage")


@then("its clock is synced")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    statuses = talos_lab.reads.of("time_status", lab_node.ip)
    assert_clean(checks.time_synced(statuses, lab_node.ip, name=lab_node.name), "time sync")


@then("its address is the planned one, set by the machine configuration or the kernel command line")
def _(talos_lab: TalosLab, lab_node: LabNode, topology: Topology) -> None:
    ip, read = lab_node.ip, talos_lab.reads.of
    prefix = topology.subnet(topology.node_subnet).network.prefixlen
    found = checks.static_address(read("addresses", ip), read("address_specs", ip), read("operator_specs", ip),
                                  planned_ip=lab_node.ip, prefixlen=prefix, node=lab_node.ip, name=lab_node.name)
    assert_clean(found, "static address")


@then("its memory is at least Talos' minimum for its role and what its instance type promises")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    promised = int(load_data("instance_types")["types"][lab_node.node.instance_type]["memory_mib"])
    found = checks.memory(talos_lab.reads.of("memory_stats", lab_node.ip), lab_node.ip,
                          machine_type=lab_node.machine_type, required_mib=promised, name=lab_node.name)
    assert_clean(found, "memory")


@then("Talos is installed on an NVMe disk of at least the planned size")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    ip, read = lab_node.ip, talos_lab.reads.of
    found = checks.system_disk(read("system_disk", ip), read("disks", ip), lab_node.ip,
                               min_gib=lab_node.node.root_volume_gb, name=lab_node.name)
    assert_clean(found, "system disk")


@then("it has every system extension its role needs")
def _(talos_lab: TalosLab, lab_node: LabNode) -> None:
    found = checks.extensions(talos_lab.reads.of("extensions", lab_node.ip), lab_node.ip,
                              required=required_extensions(lab_node.node), name=lab_node.name)
    assert_clean(found, f"system extensions of the {lab_node.node.role} role")


@then("talosctl health passes, apart from the readiness checks that wait for CozyStack's network")
def _(talos_lab: TalosLab, talos_health: HealthResult) -> None:
    assert_clean(checks.health_before_cni(talos_health, cni_pending=talos_lab.cni_pending), "talosctl health")


def _every_node(topology: Topology, instances: tuple[InstanceState, ...],
                check: Callable[..., list[str]], *args: object, found_only: bool = False) -> list[str]:
    """check over every planned node; found_only (--existing): over the nodes found, a missing one being
    the launch scenario's finding, and a skip when none was found (a check over nothing proves nothing)."""
    nodes = [n for n in topology.nodes if not found_only or ec2_check.instance_of(instances, n) is not None]
    if not nodes:
        pytest.skip("no node was found at any planned address")
    return [v for n in nodes for v in check(n, ec2_check.instance_of(instances, n), *args)]


@then("no node has a public IPv4 address")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(_every_node(topology, talos_instances, ec2_check.no_public_ipv4,
                                  found_only=tdg_settings.existing), "public IPv4 on nodes")


@then("every node requires IMDSv2")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(_every_node(topology, talos_instances, ec2_check.imdsv2,
                                  found_only=tdg_settings.existing), "IMDSv2")


@then("every node's volumes are encrypted")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence) -> None:
    evidence(tdg_settings.evidence)
    assert_clean(_every_node(topology, talos_instances, ec2_check.encrypted,
                                  found_only=tdg_settings.existing), "volume encryption")


@then("no node's user-data holds a secret")
def _(topology: Topology, talos_instances: tuple[InstanceState, ...], tdg_settings: RunSettings,
      evidence: Evidence, talos_lab: TalosLab, aws: ClientFactory) -> None:
    evidence(tdg_settings.evidence)
    secrets = configured_secrets()
    found = _every_node(topology, talos_instances, ec2_check.user_data_clean, secrets,
                        found_only=tdg_settings.existing)
    keys = [template_key(n) for n in topology.nodes if template_key(n) in talos_lab.ids]
    found += ec2_check.templates_clean([read_template(aws, talos_lab.ids[k]) for k in keys], secrets)
    assert_clean(found, "secrets in user-data")
