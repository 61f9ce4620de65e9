"""--existing: the operator's sandbox, built in moto without the suite's tags, is found and checked read-only.

Nothing is created or deleted: every test counts the mutating calls of the read-only client
factory (0), and the world-open SSH of sandbox-eu-bastion-sg is reported as it should be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from provisioning import existing, existing_state, profiles
from provisioning.aws.client import ClientFactory
from provisioning.checks import network as check
from provisioning.errors import GuardError, ProfileError, SetupError
from provisioning.plan import ResourceSpec
from provisioning.topology import Existing, Topology
from tests import sandbox_eu


@pytest.fixture(scope="module")
def built(moto_url: str) -> Iterator[dict[str, str]]:
    ec2 = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url).client("ec2")
    with sandbox_eu.sandbox(ec2) as ids:
        yield ids


@pytest.fixture
def ro(moto_url: str) -> ClientFactory:
    """The read-only factory existing mode uses (fresh call counter per test)."""
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url, read_only=True)


@pytest.fixture(scope="module")
def topo() -> Topology:
    return profiles.load("sandbox-eu")


def test_the_network_is_found_by_name_cidr_and_vpc(built: dict[str, str], ro: ClientFactory, topo: Topology) -> None:
    found = existing.discover(ro, topo, "network")
    assert found.ids["vpc"] == built["sandbox-eu-vpc"]
    for name in ("public-0", "public-1", "private-0", "private-1"):
        assert found.ids[f"subnet-{name}"] == built[f"sandbox-eu-{name}"]
    assert found.ids["igw"] == built["sandbox-eu-igw"]
    assert found.ids["rt-public-0"] == found.ids["rt-public-1"] == built["sandbox-eu-public-rt"]
    assert found.ids["sg-bastion"] == found.ids["sg-bastion-ingress"] == built["sandbox-eu-bastion-sg"]
    assert dict(found.missing).keys() == {"sg-nodes", "sg-nodes-ingress"}
    assert found.absent_optional == ("rt-private-0", "rt-private-1")
    assert "existing network: not found: sg-nodes (security_group named 'sg-0e6b4a78092854897')" in found.lines()
    assert ro.calls.mutating() == 0 and ro.calls.total > 0


def test_checks_pass_except_the_world_open_ssh(built: dict[str, str], ro: ClientFactory, topo: Topology) -> None:
    found = existing.discover(ro, topo, "network")
    s = existing_state.read_network_by_keys(ro, found.ids)
    clean = (check.vpc_cidr(topo, s) + check.vpc_ipv6(topo, s) + check.subnets(topo, s) + check.subnet_ipv6(topo, s)
             + check.igw_attached(topo, s) + check.default_routes(topo, s, "ipv4")
             + check.default_routes(topo, s, "ipv6") + check.nat_only_if_planned(topo, s) + check.dhcp_dns(topo, s))
    assert clean == []
    world = check.no_ingress_from_anywhere(s)
    assert world == [f"security group sandbox-eu-bastion-sg ({built['sandbox-eu-bastion-sg']}): expected no ingress "
                     "from anywhere, found tcp 22-22 from ['0.0.0.0/0', '::/0']"]
    ssh = check.ssh_only_from_home(topo, s)
    assert any("expected SSH only from ['2001:db8:c0:5e::10/128']" in v and "0.0.0.0/0" in v for v in ssh), ssh
    assert check.node_group_closed(topo, s) == [
        "node or bastion security group: expected both to exist, found ['sg-bastion']"]
    assert ro.calls.mutating() == 0


def test_keyed_state_answers_from_discovery_not_from_tags(built: dict[str, str], ro: ClientFactory,
                                                          topo: Topology) -> None:
    s = existing_state.read_network_by_keys(ro, {"vpc": built["sandbox-eu-vpc"],
                                           "subnet-public-1": built["sandbox-eu-public-1"]})
    assert s.by_key("subnet-public-1").cidr == "10.10.1.0/24"
    assert s.by_key("subnet-public-0") is None
    assert check.subnets(topo, s)[0] == "subnet public-0: expected 10.10.0.0/24 in eu-west-1a, found no such subnet"


def test_read_only_factory_refuses_to_create(built: dict[str, str], ro: ClientFactory) -> None:
    ec2 = ro.client("ec2")
    before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(GuardError, match="read-only mode .* refusing ec2:CreateVpc"):
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    with pytest.raises(GuardError, match="refusing ec2:DeleteSecurityGroup"):
        ec2.delete_security_group(GroupId=built["sandbox-eu-bastion-sg"])
    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    assert ro.calls.mutating() == 0


def test_a_missing_vpc_stops_the_phase_naming_the_setting(ro: ClientFactory, topo: Topology) -> None:
    elsewhere = replace(topo, existing=Existing(names={"vpc": "no-such-vpc"}))
    with pytest.raises(SetupError, match="no VPC with CIDR 10.10.0.0/16 named 'no-such-vpc' in eu-west-1; "
                                         r"check vpc.cidr or set existing.names.vpc"):
        existing.discover(ro, elsewhere, "network")


def test_two_vpcs_with_the_name_are_ambiguous(built: dict[str, str], factory: ClientFactory, ro: ClientFactory,
                                              topo: Topology) -> None:
    ec2 = factory.client("ec2")
    other = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]  # same CIDR, no Name: not a candidate
    twin = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "sandbox-eu-vpc"}]}])["Vpc"]["VpcId"]
    try:
        with pytest.raises(SetupError) as exc:
            existing.discover(ro, topo, "network")
        assert "2 resources match VPC 10.10.0.0/16 named 'sandbox-eu-vpc': " in str(exc.value)
        for vpc in (twin, built["sandbox-eu-vpc"]):
            assert f"{vpc} (sandbox-eu-vpc, 10.10.0.0/16)" in str(exc.value)
        assert other not in str(exc.value) and "name the right one (or its id) in the profile's existing.names" \
            in str(exc.value)
    finally:
        ec2.delete_vpc(VpcId=twin)
        ec2.delete_vpc(VpcId=other)


def test_ids_names_and_cidrs_are_all_ways_in(built: dict[str, str], ro: ClientFactory, topo: Topology) -> None:
    names = {**topo.existing.names, "sg-nodes": built["sandbox-eu-endpoints"], "subnet-public-0": "renamed"}
    found = existing.discover(ro, replace(topo, existing=replace(topo.existing, names=names)), "network")
    assert found.ids["sg-nodes"] == built["sandbox-eu-endpoints"]  # by id
    assert found.ids["subnet-public-0"] == built["sandbox-eu-public-0"]  # by CIDR when the name differs
    assert found.missing == ()


def test_interfaces_are_found_by_name_or_private_address(built: dict[str, str], ro: ClientFactory) -> None:
    locate = existing.LOCATORS["network_interface"]
    spec = ResourceSpec("network_interface", "bastion-eni", "bastion", "sandbox-eu-bastion")
    vpc = built["sandbox-eu-vpc"]
    by_name = existing.Lookup(spec, "tf-bastion-eni", {}, vpc)
    by_address = existing.Lookup(spec, "sandbox-eu-bastion", {"private_ip": "10.10.1.100"}, vpc)
    nowhere = existing.Lookup(spec, "sandbox-eu-bastion", {"private_ip": "10.10.1.200"}, vpc)
    assert locate(ro, by_name) == locate(ro, by_address) == built["tf-bastion-eni"]
    assert locate(ro, nowhere) is None
    assert ro.calls.mutating() == 0


def test_existing_section_is_validated() -> None:
    raw = {"name": "x", "existing": {"names": {"vpc": ""}, "optional": "rt-a", "extra": 1}}
    with pytest.raises(ProfileError) as exc:
        profiles.parse(raw, "x.yaml")
    text = str(exc.value)
    assert "existing.names.vpc = '': must be a Name tag, group name or id" in text
    assert "existing.optional = 'rt-a': must be a list" in text
    assert "existing.extra = 1: unknown key" in text


def test_bundled_profiles_still_load_with_empty_existing_sections() -> None:
    for name in profiles.available():
        topo = profiles.load(name)
        assert isinstance(topo.existing, Existing)
    assert profiles.load("approved").existing == Existing()


@pytest.fixture
def bastion_built(built: dict[str, str], factory: ClientFactory) -> Iterator[dict[str, str]]:
    """The later Terraform's bastion: tf-role, tf-instance-profile, a tf-lt-* template, tf-bastion on tf-bastion-eni."""
    ec2, iam = factory.client("ec2"), factory.client("iam")
    iam.create_role(RoleName="tf-role", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="tf-instance-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="tf-instance-profile", RoleName="tf-role")
    lt = ec2.create_launch_template(LaunchTemplateName="tf-lt-20250824", LaunchTemplateData={
        "InstanceType": "t4g.small", "NetworkInterfaces": [
            {"DeviceIndex": 0, "NetworkInterfaceId": built["tf-bastion-eni"]}]})["LaunchTemplate"]["LaunchTemplateId"]
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["arm64"]}])
    vm = ec2.run_instances(ImageId=image["Images"][0]["ImageId"], InstanceType="t4g.small", MinCount=1, MaxCount=1,
                           NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": built["tf-bastion-eni"]}],
                           IamInstanceProfile={"Name": "tf-instance-profile"},
                           TagSpecifications=[{"ResourceType": "instance", "Tags": [
                               {"Key": "Name", "Value": "tf-bastion"}]}])["Instances"][0]["InstanceId"]
    yield {"tf-bastion": vm, "tf-lt": lt}
    ec2.terminate_instances(InstanceIds=[vm])
    ec2.delete_launch_template(LaunchTemplateId=lt)
    iam.remove_role_from_instance_profile(InstanceProfileName="tf-instance-profile", RoleName="tf-role")
    iam.delete_instance_profile(InstanceProfileName="tf-instance-profile")
    iam.delete_role(RoleName="tf-role")


def test_the_bastion_is_found_by_its_terraform_names(built: dict[str, str], bastion_built: dict[str, str],
                                                     ro: ClientFactory, topo: Topology) -> None:
    network = existing.discover(ro, topo, "network")
    found = existing.discover(ro, topo, "bastion", known=network.ids)
    assert found.ids == {"bastion-role": "tf-role", "bastion-profile": "tf-instance-profile",
                         "bastion-eni": built["tf-bastion-eni"], "bastion-lt": bastion_built["tf-lt"],
                         "bastion-instance": bastion_built["tf-bastion"]}
    assert found.missing == () and found.absent_optional == ("bastion-key",)
    assert ro.calls.mutating() == 0


def test_without_names_everything_is_found_by_identity(built: dict[str, str], bastion_built: dict[str, str],
                                                       ro: ClientFactory, topo: Topology) -> None:
    """Only the VPC's id is given: groups, role, profile and template follow from the fixed addresses."""
    anonymous = replace(topo, existing=replace(topo.existing, names={"vpc": built["sandbox-eu-vpc"]}))
    network = existing.discover(ro, anonymous, "network")
    assert network.ids["sg-bastion"] == built["sandbox-eu-bastion-sg"]  # the group on the interface at 10.10.1.100
    assert network.ids["subnet-public-1"] == built["sandbox-eu-public-1"]  # by CIDR
    found = existing.discover(ro, anonymous, "bastion", known=network.ids)
    assert found.ids["bastion-instance"] == bastion_built["tf-bastion"]  # by 10.10.1.100
    assert found.ids["bastion-eni"] == built["tf-bastion-eni"]
    assert found.ids["bastion-profile"] == "tf-instance-profile"  # the instance's profile
    assert found.ids["bastion-role"] == "tf-role"  # the profile's role
    assert found.ids["bastion-lt"] == bastion_built["tf-lt"]  # the template attaching the bastion's interface
    assert found.missing == ()
    assert ro.calls.mutating() == 0
