"""The bastion launch checks (image, credits, user-data, IMDS, volume, role, secrets) fail on broken state.

Each test provisions network + bastion of a profile on the moto server, breaks one thing
through the API (often a new launch template version, which becomes $Latest), reads the
state back and expects the check the feature's step uses to fail naming resource, expected and actual.
"""

from __future__ import annotations

import base64
import dataclasses

import pytest

from provisioning import profiles
from provisioning.checks import bastion_launch as check
from provisioning.checks.secrets import scan
from provisioning.phases import bastion as phase
from tests.checks import bastion_built as lab
from tests.checks.bastion_built import DATA, Built, fails

approved, homelab = lab.approved, lab.homelab  # the fixtures: a provisioned approved / homelab bastion


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


# -- role and secrets -------------------------------------------------------------------------
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


def test_a_key_in_the_user_data_fails(approved: Built) -> None:
    leak = "#!/bin/bash\n# -----BEGIN OPENSSH PRIVATE KEY-----\n"
    approved.new_version(UserData=base64.b64encode(leak.encode()).decode())
    fails(check.no_secrets(approved.state(), []), "($Latest) user-data: expected no secrets, found a private key block")


def test_a_configured_secret_in_the_user_data_fails(homelab: Built) -> None:
    secret = "tdg-test-secret-value-1234"
    homelab.new_version(UserData=base64.b64encode(f"#!/bin/bash\nexport X={secret}\n".encode()).decode())
    violations = check.no_secrets(homelab.state(), [secret])
    fails(violations, "configured secret #1 (value withheld)")
    assert secret not in "\n".join(violations)


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
