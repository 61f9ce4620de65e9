"""Security groups: deleted without reading their rules first; rules revoked only when EC2 refuses the delete."""

from __future__ import annotations

import pytest

from fixtures.moto_fidelity import moto_fidelity
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.errors import DependencyError
from provisioning.plan import ResourceSpec


def test_groups_naming_each_other_are_torn_down_without_ingress_entries(factory: ClientFactory,
                                                                       run_id: str) -> None:
    """Orphaned groups (no sg_ingress entry revoked their rules): each refused delete revokes its own rules."""
    ctx = RunContext(factory, run_id, "approved")
    with moto_fidelity(lag_s=0.05):  # with EC2's DependencyViolation on a group another group's rule names
        vpc_spec = ResourceSpec("vpc", "vpc", "network", "t-vpc", {"cidr": "10.67.0.0/16", "ipv6": False})
        vpc = REGISTRY["vpc"].create(ctx, vpc_spec, dict(vpc_spec.params))
        groups = {}
        for name in ("a", "b"):
            groups[name] = REGISTRY["security_group"].create(
                ctx, ResourceSpec("security_group", f"sg-{name}", "network", name), {"description": name, "vpc": vpc})
        for name, other in (("a", "b"), ("b", "a")):
            ctx.ec2.authorize_security_group_ingress(GroupId=groups[name], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": groups[other]}]}])
        with pytest.raises(DependencyError):  # the refusal the retry answers
            REGISTRY["security_group"].destroy(ctx, groups["a"])
        ledger = Ledger(run_id)
        ledger.add(Entry("vpc", "vpc", vpc, "network", "eu-west-1", True))
        for name, gid in groups.items():
            ledger.add(Entry("security_group", f"sg-{name}", gid, "network", "eu-west-1", True))
        Executor(ctx, ledger, sleep=lambda _: None).teardown()
        assert len(ledger) == 0
        assert all(REGISTRY["security_group"].tags(ctx, gid) is None for gid in groups.values())


def test_a_group_nothing_names_is_deleted_in_one_call(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    vpc_spec = ResourceSpec("vpc", "vpc", "network", "t-vpc", {"cidr": "10.68.0.0/16", "ipv6": False})
    vpc = REGISTRY["vpc"].create(ctx, vpc_spec, dict(vpc_spec.params))
    gid = REGISTRY["security_group"].create(ctx, ResourceSpec("security_group", "sg", "network", "g"),
                                            {"description": "g", "vpc": vpc})
    before = dict(factory.calls.counts)
    REGISTRY["security_group"].destroy(ctx, gid)
    made = {k: n - before.get(k, 0) for k, n in factory.calls.counts.items() if n != before.get(k, 0)}
    assert made == {"ec2:DeleteSecurityGroup": 1}
    assert REGISTRY["security_group"].tags(ctx, gid) is None
    REGISTRY["vpc"].destroy(ctx, vpc)
