"""Every bastion check passes on the provisioned bastion and fails when the real state is wrong.

Each test provisions network + bastion of a profile on the moto server (patched to launch
from launch templates as EC2 does, see fixtures/moto_fidelity.py), breaks one thing through
the API, reads the state back and expects the check the feature's step uses to fail with a
message naming resource, expected and actual.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.moto_fidelity import moto_fidelity
from provisioning import profiles
from provisioning.aws.bastion_state import BastionState, read_bastion
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.state import read_network
from provisioning.checks import bastion as check
from provisioning.checks.secrets import scan
from provisioning.data import load_data
from provisioning.phases import bastion as phase
from provisioning.plan import plan
from provisioning.topology import Topology

DATA = load_data("bastion")
PARAM = DATA["ami"]["ssm_parameter"]


@dataclass
class Built:
    topo: Topology
    ids: dict[str, str]
    factory: ClientFactory
    run_id: str

    @property
    def ec2(self) -> Any:
        return self.factory.client("ec2")

    def state(self, topo: Topology | None = None) -> BastionState:
        return read_bastion(self.factory, topo or self.topo, self.ids, PARAM)

    def every_check(self) -> list[str]:
        s, t = self.state(), self.topo
        return (check.placement(t, s) + check.private_address(t, s) + check.ipv6_address(t, s)
                + check.source_dest_check_off(s) + check.public_ipv4(t, s) + check.image(s, "arm64")
                + check.imdsv2(s) + check.root_volume(t, s, "gp3") + check.cpu_credits(t, s)
                + check.instance_profile(s, DATA["iam"]["actions"], DATA["iam"]["path"]) + check.schedule(t, s)
                + check.run_tags(s, self.run_id) + check.no_secrets(s, [])
                + check.bastion_group_only(s, read_network(self.factory, self.ids["vpc"]))
                + check.boots_rendering(s, phase.boot_rendering(t)))

    def new_version(self, **changes: Any) -> None:
        """Add a launch template version holding the current data with changes (it becomes $Latest)."""
        lt = self.ids[phase.TEMPLATE]
        data = self.ec2.describe_launch_template_versions(LaunchTemplateId=lt, Versions=["$Default"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        self.ec2.create_launch_template_version(LaunchTemplateId=lt, LaunchTemplateData={**data, **changes})


def build(factory: ClientFactory, run_id: str, profile: str) -> Iterator[Built]:
    topo = profiles.load(profile)
    with moto_fidelity():
        ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
        ids = ex.ensure(plan(topo, ("network", "bastion")))
        yield Built(topo, ids, factory, run_id)
        ex.teardown()


@pytest.fixture
def approved(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "approved")


@pytest.fixture
def homelab(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "homelab-replica")


def fails(violations: list[str], *needles: str) -> None:
    assert violations, "the check passed on broken state"
    text = "\n".join(violations)
    for needle in needles:
        assert needle in text, text


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


# -- image, user-data, IMDS, volume ------------------------------------------------------------
def test_an_image_other_than_the_template_recorded_fails(approved: Built) -> None:
    other = approved.factory.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")["Parameter"]["Value"]
    approved.new_version(ImageId=other)
    fails(check.image(approved.state(), "arm64"), "($Latest): expected image", f"found {other}", "recorded")


def test_a_new_al2023_release_after_creation_is_not_a_failure(approved: Built) -> None:
    """The SSM parameter moves on (a release during the run or before --reuse); the template's image still holds."""
    state = approved.state()
    assert state.ami_recorded == state.ami_now  # just created: the parameter and the template agree
    released = dataclasses.replace(state, ami_now="ami-0f0e0d0c0b0a09080")
    assert check.image(released, "arm64") == []
    assert state.instance is not None and state.instance.image_id == released.ami_recorded


def test_the_recorded_image_of_the_wrong_architecture_fails(approved: Built) -> None:
    fails(check.image(dataclasses.replace(approved.state(), ami_architecture="x86_64"), "arm64"),
          "expected arm64", "found x86_64", "recorded in launch template")


def test_a_template_version_without_a_credit_mode_fails(approved: Built) -> None:
    """Without CreditSpecification EC2 launches T4g as unlimited, billing surplus credits."""
    lt = approved.ids[phase.TEMPLATE]
    data = approved.ec2.describe_launch_template_versions(LaunchTemplateId=lt, Versions=["$Default"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["CreditSpecification"] == {"CpuCredits": "standard"}
    approved.ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={k: v for k, v in data.items() if k != "CreditSpecification"})
    fails(check.cpu_credits(approved.topo, approved.state()), "($Latest)", "expected CpuCredits standard",
          "found none")


def test_user_data_other_than_the_rendering_fails(approved: Built) -> None:
    approved.new_version(UserData="IyEvYmluL2Jhc2gKZWNobyBoaQo=")
    fails(check.boots_rendering(approved.state(), phase.boot_rendering(approved.topo)), "($Latest)",
          "expected the rendered user-data")


def test_imds_optional_on_the_instance_fails(homelab: Built) -> None:
    state = homelab.state()
    assert state.instance is not None
    homelab.ec2.modify_instance_metadata_options(InstanceId=state.instance.id, HttpTokens="optional")
    fails(check.imdsv2(homelab.state()), state.instance.id, "found HttpTokens=optional")


def test_imds_optional_in_the_template_fails(approved: Built) -> None:
    approved.new_version(MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})
    fails(check.imdsv2(approved.state()), "v2 ($Latest): expected HttpTokens=required, found optional")


def test_an_unencrypted_root_volume_fails(approved: Built) -> None:
    s = approved.state()
    assert s.instance is not None and s.instance.root_volume is not None
    ec2, iid, dev = approved.ec2, s.instance.id, s.instance.root_device
    ec2.detach_volume(VolumeId=s.instance.root_volume.id, InstanceId=iid)
    plain = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=8, VolumeType="gp2", Encrypted=False)["VolumeId"]
    ec2.attach_volume(VolumeId=plain, InstanceId=iid, Device=dev)
    fails(check.root_volume(approved.topo, approved.state(), "gp3"), f"root volume {plain}",
          "found encrypted=False gp2 8 GiB")
    ec2.detach_volume(VolumeId=plain, InstanceId=iid)
    ec2.delete_volume(VolumeId=plain)
    ec2.delete_volume(VolumeId=s.instance.root_volume.id)


def test_an_unencrypted_template_volume_fails(homelab: Built) -> None:
    homelab.new_version(BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {
        "VolumeSize": 30, "VolumeType": "gp3", "Encrypted": False, "DeleteOnTermination": True}}])
    fails(check.root_volume(homelab.topo, homelab.state(), "gp3"), "device /dev/xvda", "found encrypted=False")


# -- role, schedule, tags, secrets, SSH -------------------------------------------------------
def test_a_wider_role_fails(approved: Built) -> None:
    iam = approved.factory.client("iam")
    role = approved.ids[phase.ROLE]
    iam.put_role_policy(RoleName=role, PolicyName="extra", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}'))
    arn = iam.create_policy(PolicyName=f"wide-{approved.run_id}", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    fails(check.instance_profile(approved.state(), DATA["iam"]["actions"], "/tdg/"), "found also ['iam:*']",
          "expected no managed policies")
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def test_an_instance_without_the_profile_fails(homelab: Built) -> None:
    s = homelab.state()
    assert s.instance is not None
    ec2 = homelab.ec2
    assoc = ec2.describe_iam_instance_profile_associations(Filters=[
        {"Name": "instance-id", "Values": [s.instance.id]}])["IamInstanceProfileAssociations"][0]["AssociationId"]
    ec2.disassociate_iam_instance_profile(AssociationId=assoc)
    fails(check.instance_profile(homelab.state(), DATA["iam"]["actions"], "/tdg/"), "expected instance profile",
          "found None")


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


def test_a_key_in_the_user_data_fails(approved: Built) -> None:
    leak = "#!/bin/bash\n# -----BEGIN OPENSSH PRIVATE KEY-----\n"
    approved.new_version(UserData=__import__("base64").b64encode(leak.encode()).decode())
    fails(check.no_secrets(approved.state(), []), "($Latest) user-data: expected no secrets, found a private key block")


def test_a_configured_secret_in_the_user_data_fails(homelab: Built) -> None:
    secret = "tdg-test-secret-value-1234"
    homelab.new_version(UserData=__import__("base64").b64encode(f"#!/bin/bash\nexport X={secret}\n".encode()).decode())
    violations = check.no_secrets(homelab.state(), [secret])
    fails(violations, "configured secret #1 (value withheld)")
    assert secret not in "\n".join(violations)


def test_another_group_on_the_bastion_interface_fails(approved: Built) -> None:
    """The group's own SSH rule is phase 01's (one finding, one scenario); here only the interface's groups."""
    ec2, sg = approved.ec2, approved.ids["sg-bastion"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=approved.ids[phase.ENI],
                                           Groups=[sg, approved.ids["sg-nodes"]])
    net = read_network(approved.factory, approved.ids["vpc"])
    fails(check.bastion_group_only(approved.state(), net), "expected only the bastion security group",
          approved.ids["sg-nodes"])


# -- the rendering itself -----------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["approved", "homelab-replica"])
def test_the_rendered_user_data_starts_every_service_and_holds_no_secret(profile: str) -> None:
    r = phase.boot_rendering(profiles.load(profile))
    assert check.services_started(r) == []
    assert scan(r.user_data, "user-data") == []


def test_a_service_the_user_data_never_starts_fails() -> None:
    r = phase.boot_rendering(profiles.load("homelab-replica"))
    broken = dataclasses.replace(r, user_data=r.user_data.replace("ensure_container matchbox ", "# matchbox ")
                                 .replace(" tdg-dhcp.service", ""))
    fails(check.services_started(broken), "start container matchbox", "start systemd tdg-dhcp.service")
