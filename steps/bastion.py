"""Steps of features/02_bastion.feature read from the AWS API: read the bastion back and check it."""

from __future__ import annotations

from pytest_bdd import given, then

from fixtures.bastion import BastionLab
from fixtures.bastion_design import BastionDesign
from provisioning.aws.bastion_state import BastionState
from provisioning.aws.state import NetworkState
from provisioning.checks import bastion as check
from provisioning.checks import bastion_launch as launch
from provisioning.checks.secrets import configured_secrets
from provisioning.data import load_data
from provisioning.settings import RunSettings
from provisioning.topology import Topology

EVIDENCE = "aws"


def assert_clean(violations: list[str], what: str) -> None:
    """Fail listing every violation: steps.common.assert_clean, imported on first use.

    Plugins load in name order and "bastion" comes before "common"; importing it at module
    level would keep pytest from rewriting its assertions (PytestAssertRewriteWarning).
    """
    __tracebackhide__ = True
    from steps.common import assert_clean as clean

    clean(violations, what)


@given("the bastion of the lab is provisioned", target_fixture="bastion")
def _(bastion_lab: BastionLab) -> BastionLab:
    return bastion_lab


@then("the bastion runs in the planned subnet as the planned instance type with the run's key pair")
def _(topology: Topology, bastion_state: BastionState) -> None:
    assert_clean(check.placement(topology, bastion_state), "bastion placement")


@then("the bastion's own network interface holds exactly the planned private address")
def _(topology: Topology, bastion_state: BastionState) -> None:
    assert_clean(check.private_address(topology, bastion_state), "bastion private address")


@then("the bastion has one IPv6 address in its subnet exactly when the profile asks for one")
def _(topology: Topology, bastion_state: BastionState) -> None:
    assert_clean(check.ipv6_address(topology, bastion_state), "bastion IPv6 address")


@then("the bastion's source/destination check is off, so it can forward for the nodes")
def _(bastion_state: BastionState) -> None:
    assert_clean(check.source_dest_check_off(bastion_state), "bastion source/destination check")


@then("the bastion has a public IPv4 address only if the profile gives it one")
def _(topology: Topology, bastion_state: BastionState) -> None:
    assert_clean(check.public_ipv4(topology, bastion_state), "bastion public IPv4")


@then("the bastion and its launch template use the Amazon Linux 2023 arm64 image the design allows")
def _(bastion_state: BastionState, bastion_design: BastionDesign) -> None:
    assert_clean(bastion_design.image(bastion_state), "bastion image")


@then("the bastion's launch template sets the CPU credit mode the profile asks for")
def _(bastion_state: BastionState, bastion_design: BastionDesign) -> None:
    assert_clean(bastion_design.cpu_credits(bastion_state), "bastion CPU credits")


@then("the bastion and its launch template carry one user-data, the rendered one when this run launched them")
def _(bastion_state: BastionState, bastion_design: BastionDesign) -> None:
    assert_clean(bastion_design.user_data(bastion_state), "bastion user-data")


@then("the bastion runs as the profile says: a single instance, or a group with its daily start and stop")
def _(topology: Topology, bastion_state: BastionState) -> None:
    assert_clean(check.schedule(topology, bastion_state), "bastion schedule")


@then("the bastion has its instance profile, trusted by EC2 only, with the Systems Manager core actions only")
def _(bastion_state: BastionState, bastion_design: BastionDesign) -> None:
    assert_clean(bastion_design.iam(bastion_state), "bastion instance profile")


@then("the bastion and its launch template require IMDSv2")
def _(bastion_state: BastionState, bastion_design: BastionDesign) -> None:
    assert_clean(bastion_design.imdsv2(bastion_state), "bastion IMDSv2")


@then("the bastion's root volume is encrypted gp3 of the planned size")
def _(topology: Topology, bastion_state: BastionState) -> None:
    volume_type = load_data("bastion")["root_volume"]["type"]
    assert_clean(launch.root_volume(topology, bastion_state, volume_type), "bastion root volume")


@then("no secret is in the bastion's user-data or launch template")
def _(bastion_state: BastionState) -> None:
    assert_clean(launch.no_secrets(bastion_state, configured_secrets()), "secrets in bastion user-data")


@then("the bastion's interface carries only the bastion security group, whose SSH rule phase 01 checks")
def _(bastion_state: BastionState, network_state: NetworkState) -> None:
    assert_clean(check.bastion_group_only(bastion_state, network_state), "bastion security groups")


@then("every resource of the bastion phase carries the run's tags")
def _(tdg_settings: RunSettings, bastion_state: BastionState) -> None:
    assert_clean(check.run_tags(bastion_state, tdg_settings.run_id), "bastion run tags")
