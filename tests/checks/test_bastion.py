"""Every bastion check passes on the provisioned bastion and the placement checks fail when the real state is wrong.

Each test provisions network + bastion of a profile on the moto server (patched to launch
from launch templates as EC2 does, see fixtures/moto_fidelity.py), breaks one thing through
the API, reads the state back and expects the check the feature's step uses to fail with a
message naming resource, expected and actual. What the bastion boots with (image, IMDS, volume,
role, user-data) is broken in test_bastion_launch.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from provisioning.aws.state import read_network
from provisioning.checks import bastion as check
from provisioning.phases import bastion as phase
from tests.checks import bastion_built as lab
from tests.checks.bastion_built import Built, build, fails

approved, homelab = lab.approved, lab.homelab  # the fixtures: a provisioned approved / homelab bastion


def test_every_check_passes_on_the_approved_bastion(approved: Built) -> None:
    assert approved.every_check() == []


def test_every_check_passes_on_the_homelab_bastion_group(homelab: Built) -> None:
    assert homelab.every_check() == []


@pytest.mark.parametrize("profile", ["approved", "homelab-replica"])
def test_teardown_leaves_nothing_tagged(factory: ClientFactory, run_id: str, profile: str) -> None:
    for _ in build(factory, run_id, profile):
        assert {f.kind for f in find_tagged(factory, run_id)} >= {"key_pair", "iam_role", "instance_profile",
                                                                  "launch_template", "instance", "volume"}
    assert find_tagged(factory, run_id) == []


# -- placement and addresses ------------------------------------------------------------------
def test_another_subnet_than_planned_fails(homelab: Built) -> None:
    t = homelab.topo
    moved = dataclasses.replace(t.bastion, subnet="public", private_ip="10.20.1.140")
    elsewhere = dataclasses.replace(t, bastion=moved)
    fails(check.placement(elsewhere, homelab.state(elsewhere)), "expected subnet public", homelab.ids["subnet-private"])


def test_a_second_private_address_fails(approved: Built) -> None:
    approved.ec2.assign_private_ip_addresses(NetworkInterfaceId=approved.ids[phase.ENI],
                                             PrivateIpAddresses=["10.10.0.150"])
    fails(check.private_address(approved.topo, approved.state()), "expected exactly 10.10.0.100",
          "'10.10.0.150'")


def test_an_interface_without_ipv6_fails(approved: Built) -> None:
    eni = approved.state().eni
    assert eni is not None
    approved.ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni.id, Ipv6Addresses=list(eni.ipv6))
    fails(check.ipv6_address(approved.topo, approved.state()), "expected one IPv6 address", "found []")


def test_source_dest_check_on_fails(homelab: Built) -> None:
    homelab.ec2.modify_network_interface_attribute(NetworkInterfaceId=homelab.ids[phase.ENI],
                                                   SourceDestCheck={"Value": True})
    fails(check.source_dest_check_off(homelab.state()), "expected source/destination check off, found on")


def test_a_public_ipv4_on_a_private_bastion_fails(homelab: Built) -> None:
    ec2 = homelab.ec2
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assoc = ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=homelab.ids[phase.ENI])["AssociationId"]
    fails(check.public_ipv4(homelab.topo, homelab.state()), "expected no public IPv4")
    ec2.disassociate_address(AssociationId=assoc)
    ec2.release_address(AllocationId=alloc)


def test_a_public_bastion_without_its_elastic_ip_fails(approved: Built) -> None:
    assoc = approved.ec2.describe_addresses(AllocationIds=[approved.ids[phase.EIP]])["Addresses"][0]["AssociationId"]
    approved.ec2.disassociate_address(AssociationId=assoc)
    fails(check.public_ipv4(approved.topo, approved.state()), "expected the run's Elastic IP", "no public IPv4")


# -- schedule, tags, groups ---------------------------------------------------------------------
def test_a_missing_stop_action_fails(homelab: Built) -> None:
    homelab.factory.client("autoscaling").delete_scheduled_action(
        AutoScalingGroupName=homelab.ids[phase.GROUP], ScheduledActionName="tdg-stop")
    fails(check.schedule(homelab.topo, homelab.state()), "expected at least 2 scheduled actions, found 1",
          "expected 5 h/day scheduled, found 24 h")


def test_a_longer_or_local_time_schedule_fails(homelab: Built) -> None:
    homelab.factory.client("autoscaling").put_scheduled_update_group_action(
        AutoScalingGroupName=homelab.ids[phase.GROUP], ScheduledActionName="tdg-stop", Recurrence="0 19 * * *",
        TimeZone="Europe/Berlin", MinSize=0, MaxSize=1, DesiredCapacity=0)
    fails(check.schedule(homelab.topo, homelab.state()), "found 7 h",
          "expected schedules in UTC, found ['Europe/Berlin']")


def test_a_stopped_single_instance_fails(approved: Built) -> None:
    approved.ec2.stop_instances(InstanceIds=[approved.ids[phase.INSTANCE]])
    fails(check.schedule(approved.topo, approved.state()), "expected running, found stop")


def test_a_resource_without_the_run_tags_fails(approved: Built) -> None:
    eni = approved.ids[phase.ENI]
    approved.ec2.delete_tags(Resources=[eni], Tags=[{"Key": "tdg:run-id"}])
    fails(check.run_tags(approved.state(), approved.run_id), f"network interface {eni}", "'tdg:run-id': None")
    approved.ec2.create_tags(Resources=[eni], Tags=[{"Key": "tdg:run-id", "Value": approved.run_id}])  # teardown


def test_a_terminated_bastion_is_reported_missing(approved: Built) -> None:
    approved.ec2.terminate_instances(InstanceIds=[approved.ids[phase.INSTANCE]])
    s = approved.state()
    fails(check.placement(approved.topo, s), "expected one running, found none")
    fails(check.run_tags(s, approved.run_id), "bastion instance: expected it to exist")


def test_another_group_on_the_bastion_interface_fails(approved: Built) -> None:
    """The group's own SSH rule is phase 01's (one finding, one scenario); here only the interface's groups."""
    ec2, sg = approved.ec2, approved.ids["sg-bastion"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=approved.ids[phase.ENI],
                                           Groups=[sg, approved.ids["sg-nodes"]])
    net = read_network(approved.factory, approved.ids["vpc"])
    fails(check.bastion_group_only(approved.state(), net), "expected only the bastion security group",
          approved.ids["sg-nodes"])
