"""The talos phase: its specs, the boot verdict and preflight, and a launch on the moto server.

The launch test provisions the network, the bastion's key pair and the talos phase, reads
the instances back, runs every EC2-side node check, then breaks the instances through the
API (IMDSv1, a public address, a second private IP) and expects the matching check to fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.compute import UserData
from provisioning.aws.executor import Executor
from provisioning.aws.instance_state import InstanceState, read_instances
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Ledger
from provisioning.checks import talos_aws as check
from provisioning.phases import bastion
from provisioning.phases import talos as phase
from provisioning.plan import ResourceSpec, plan
from provisioning.talos.userdata import BootToTalosChecksumMissing
from provisioning.topology import Topology

SHA = "c" * 64


@pytest.fixture(scope="module")
def topo() -> Topology:
    return profiles.load("approved")


def by_kind(specs: list[ResourceSpec], kind: str) -> list[ResourceSpec]:
    return [s for s in specs if s.kind == kind]


def test_specs_give_every_node_an_interface_a_template_and_an_instance(topo: Topology) -> None:
    specs = phase.specs(topo)
    assert [s.kind for s in specs] == ["network_interface"] * 3 + ["launch_template"] * 3 + ["instance"] * 3
    for node, eni, lt in zip(topo.nodes, by_kind(specs, "network_interface"), by_kind(specs, "launch_template"),
                             strict=True):
        assert eni.params["private_ip"] == node.private_ip and not eni.params.get("eip")
        assert eni.params["tags"] == {phase.ROLE_KEY: node.role}
        p = lt.params
        assert p["ami_parameter"].startswith("/aws/service/ami-amazon-linux-latest/al2023-")
        assert p["architecture"] == "arm64"
        assert (p["instance_type"], p["root_volume_gb"], p["volume_type"], p["encrypted"]) == (
            node.instance_type, node.root_volume_gb, "gp3", True)
        assert p["metadata_options"]["HttpTokens"] == "required"
        assert p["tags"] == {phase.ROLE_KEY: node.role} and p["key_pair"].key == bastion.KEY_PAIR
    assert "ami-0" not in repr(specs)  # the AMI comes from SSM at launch, never from the plan


def test_user_data_installs_from_the_bastion_with_the_pinned_checksum(topo: Topology,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(phase.SHA256_ENV, SHA)
    lt = by_kind(phase.specs(topo), "launch_template")[0]
    ud = lt.params["user_data"]
    assert isinstance(ud, UserData) and "user-data" in str(ud) and "#!/bin/bash" not in str(ud)
    assert SHA in ud.text and phase.asset_url(topo) in ud.text
    assert phase.asset_url(topo).startswith("http://10.10.0.100:")
    assert "-yes -mode install -disk /dev/nvme0n1 -image 10.10.0.100:5054/" in ud.text


def test_without_a_pinned_checksum_the_plan_carries_the_labelled_offline_value(topo: Topology,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(phase.SHA256_ENV, raising=False)
    assert phase.pinned_sha256({}) is None  # versions.yaml pins none yet
    assert phase.OFFLINE_SHA256 in by_kind(phase.specs(topo), "launch_template")[0].params["user_data"].text


def test_live_preflight_refuses_without_a_checksum_and_offline_says_which_value_it_uses(topo: Topology) -> None:
    with pytest.raises(BootToTalosChecksumMissing, match=phase.SHA256_ENV):
        phase.preflight(topo, live=True, env={})
    assert phase.preflight(topo, live=True, env={phase.SHA256_ENV: SHA}) == ("node boot: boot-to-talos (user-data "
                                                                             "installs Talos to disk, then reboots)",)
    assert any("placeholder" in line for line in phase.preflight(topo, live=False, env={}))


def test_a_pxe_profile_is_told_before_launch_that_ec2_has_no_pxe() -> None:
    verdict = phase.boot_verdict(profiles.load("homelab-replica"))
    assert verdict.substituted and (verdict.planned, verdict.used) == ("pxe", "boot-to-talos")
    assert "EC2 has no PXE" in verdict.reason and "no next-server" in verdict.reason
    assert any("expected failure" in line for line in verdict.lines())
    assert not phase.boot_verdict(profiles.load("approved")).substituted


def test_launch_refuses_kinds_it_does_not_know(topo: Topology) -> None:
    with pytest.raises(ValueError, match="vpc"):
        phase.launch(None, [ResourceSpec("vpc", "vpc", "talos", "x")])  # type: ignore[arg-type]


@dataclass
class Launched:
    topo: Topology
    factory: ClientFactory
    run_id: str
    ids: dict[str, str]
    sg: str

    def instances(self) -> tuple[InstanceState, ...]:
        return read_instances(self.factory, self.run_id, phase.PHASE)

    def instance(self, n: int) -> InstanceState:
        found = check.instance_of(self.instances(), self.topo.nodes[n])
        assert found is not None
        return found


def provision(factory: ClientFactory, run_id: str, topo: Topology) -> tuple[Executor, dict[str, str]]:
    ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    key = [s for s in plan(topo, ("bastion",)) if s.key == bastion.KEY_PAIR]
    ex.ensure([*plan(topo, ("network",)), *key])
    return ex, phase.launch(ex, plan(topo, (phase.PHASE,)))


@pytest.fixture
def launched(factory: ClientFactory, run_id: str, topo: Topology) -> Iterator[Launched]:
    ex, ids = provision(factory, run_id, topo)
    yield Launched(topo, factory, run_id, ids, ids["sg-nodes"])
    ex.teardown()


def all_checks(lab: Launched) -> list[str]:
    instances = lab.instances()
    out = check.launched(lab.topo, instances)
    for node in lab.topo.nodes:
        inst = check.instance_of(instances, node)
        out += (check.planned_ip(node, inst) + check.no_public_ipv4(node, inst) + check.instance_type(node, inst)
                + check.imdsv2(node, inst) + check.root_volume(node, inst) + check.encrypted(node, inst)
                + check.node_group(node, inst, lab.sg) + check.run_tags(node, inst, lab.run_id)
                + check.user_data_clean(node, inst, []))
    return out


def test_the_launched_nodes_pass_every_ec2_check(launched: Launched) -> None:
    assert all_checks(launched) == []
    assert sorted(i.private_ip for i in launched.instances()) == [n.private_ip for n in launched.topo.nodes]


def test_imdsv1_fails_the_imdsv2_check(launched: Launched) -> None:
    inst = launched.instance(1)
    launched.factory.client("ec2").modify_instance_metadata_options(InstanceId=inst.id, HttpTokens="optional")
    [msg] = check.imdsv2(launched.topo.nodes[1], launched.instance(1))
    assert launched.topo.nodes[1].name in msg and "HttpTokens=optional" in msg


def test_a_public_address_on_a_node_fails(launched: Launched) -> None:
    ec2 = launched.factory.client("ec2")
    inst = launched.instance(0)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=inst.interfaces[0].id)
    try:
        [msg] = check.no_public_ipv4(launched.topo.nodes[0], launched.instance(0))
        assert "expected no public IPv4" in msg
    finally:
        assoc = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["AssociationId"]
        ec2.disassociate_address(AssociationId=assoc)
        ec2.release_address(AllocationId=alloc)


def test_a_second_private_address_fails(launched: Launched) -> None:
    ec2 = launched.factory.client("ec2")
    inst = launched.instance(2)
    ec2.assign_private_ip_addresses(NetworkInterfaceId=inst.interfaces[0].id, PrivateIpAddresses=["10.10.0.150"])
    [msg] = check.planned_ip(launched.topo.nodes[2], launched.instance(2))
    assert "10.10.0.150" in msg and "10.10.0.103" in msg


def test_instances_are_created_concurrently(run_id: str, topo: Topology, monkeypatch: pytest.MonkeyPatch,
                                            moto_url: str) -> None:
    """Behaviour, not timing: all three instance creations are in flight at the same moment."""
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    original = REGISTRY["instance"]

    def timed(ctx: RunContext, spec: ResourceSpec, params: dict[str, Any]) -> str:
        start = time.monotonic()
        rid = original.create(ctx, spec, params)
        with lock:
            spans.append((start, time.monotonic()))
        return rid

    monkeypatch.setitem(REGISTRY, "instance", replace(original, create=timed))
    slow = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url, latency_s=0.05)
    ex, _ = provision(slow, run_id, topo)
    try:
        assert len(spans) == 3
        assert max(s for s, _ in spans) < min(e for _, e in spans), f"creations did not overlap: {spans}"
    finally:
        monkeypatch.setitem(REGISTRY, "instance", original)
        ex.teardown()


def test_launching_over_a_kept_phase_adopts_it_and_creates_nothing(launched: Launched, moto_url: str) -> None:
    """A --reuse session finds the nodes by tag: no create, run or tag call, the same instances."""
    fresh = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    ex = Executor(RunContext(fresh, launched.run_id, launched.topo.name, launched.topo.tags),
                  Ledger(launched.run_id), sleep=lambda s: None)
    ex.ensure([*plan(launched.topo, ("network",)), *[s for s in plan(launched.topo, ("bastion",))
                                                      if s.key == bastion.KEY_PAIR]])
    ids = phase.launch(ex, plan(launched.topo, (phase.PHASE,)))
    assert {k: ids[k] for k in launched.ids} == launched.ids
    summary = fresh.calls.summary()
    assert summary["classes"]["create"] == 0, summary["operations"]
    assert summary["mutating"] == 0, summary["operations"]
