"""The provisioned bastion the bastion check tests break: network + bastion of a profile on moto.

Built reads the state back and runs every check the feature's steps use; tests/checks/test_bastion.py
and test_bastion_launch.py break one thing each through the API and expect one check to fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.moto_fidelity import moto_fidelity
from provisioning import profiles
from provisioning.aws.bastion_state import BastionState, read_bastion
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.state import read_network
from provisioning.checks import bastion as check
from provisioning.checks import bastion_launch as launch
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
                + check.source_dest_check_off(s) + check.public_ipv4(t, s) + launch.image(s, "arm64")
                + launch.imdsv2(s) + launch.root_volume(t, s, "gp3") + launch.cpu_credits(t, s)
                + launch.instance_profile(s, DATA["iam"]["actions"], DATA["iam"]["path"]) + check.schedule(t, s)
                + check.run_tags(s, self.run_id) + launch.no_secrets(s, [])
                + check.bastion_group_only(s, read_network(self.factory, self.ids["vpc"]))
                + launch.boots_rendering(s, phase.boot_rendering(t)))

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


def fails(violations: list[str], *needles: str) -> None:
    assert violations, "the check passed on broken state"
    text = "\n".join(violations)
    for needle in needles:
        assert needle in text, text


@pytest.fixture
def approved(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "approved")


@pytest.fixture
def homelab(factory: ClientFactory, run_id: str) -> Iterator[Built]:
    yield from build(factory, run_id, "homelab-replica")
