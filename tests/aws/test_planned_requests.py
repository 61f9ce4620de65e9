"""Every profile's plan, applied to moto, sends only requests that keep the AWS API reference's input rules.

The plan of each bundled profile (every phase that creates AWS resources) is ensured through
the real kind code against the test moto server and torn down again; every request the client
factory was about to send is recorded and checked against provisioning/data/request_rules.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from fixtures.moto_fidelity import moto_fidelity
from provisioning import profiles
from provisioning.aws import client as client_module
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.request_rules import violations
from provisioning.plan import plan

Request = tuple[str, str, dict[str, Any]]
CREATES = {"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateLaunchTemplate",
           "ec2:ImportKeyPair", "ec2:CreateNetworkInterface", "iam:CreateRole", "iam:PutRolePolicy",
           "iam:CreateInstanceProfile", "ec2:CreateVpc", "ec2:CreateSubnet"}


@pytest.mark.parametrize("profile", profiles.available())
def test_every_planned_request_of_every_profile_keeps_the_rules(profile: str, factory: ClientFactory, run_id: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Request] = []
    checker = client_module.check_request

    def record(service: str, operation: str, params: Mapping[str, Any]) -> None:
        sent.append((service, operation, dict(params)))
        checker(service, operation, params)

    monkeypatch.setattr(client_module, "check_request", record)
    topo = profiles.load(profile)
    ctx = RunContext(factory, run_id, topo.name, topo.tags, created="2026-11-29T23:00:00Z")
    executor = Executor(ctx, Ledger(run_id), sleep=lambda _: None)
    with moto_fidelity():
        try:
            executor.ensure(plan(topo))
        finally:
            executor.teardown()
    dirty = [(s, o, [str(e) for e in violations(s, o, p)]) for s, o, p in sent if violations(s, o, p)]
    assert dirty == []
    ops = {f"{s}:{o}" for s, o, _ in sent}
    assert ops >= CREATES, f"the plan of {profile} did not send {sorted(CREATES - ops)}"
    launches = {"ec2:RunInstances", "autoscaling:CreateAutoScalingGroup"} & ops
    assert launches, f"the plan of {profile} launched nothing"
    if topo.bastion.mode == "asg":
        assert "autoscaling:PutScheduledUpdateGroupAction" in ops
