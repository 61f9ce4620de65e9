"""The executor: adopt by tag, tear down in dependency order, refuse what is not ours, retry dependants."""

from __future__ import annotations

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.errors import TeardownError
from provisioning.plan import plan


def executor(factory: ClientFactory, run_id: str, **kw: object) -> Executor:
    topo = profiles.load("approved")
    return Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), **kw)  # type: ignore[arg-type]


def test_teardown_removes_every_tagged_resource(factory: ClientFactory, run_id: str) -> None:
    ex = executor(factory, run_id, sleep=lambda s: None)
    ex.ensure(plan(profiles.load("approved"), ("network",)))
    kinds = {f.kind for f in find_tagged(factory, run_id)}
    assert {"vpc", "subnet", "internet_gateway", "route_table", "security_group"} <= kinds
    ex.teardown()
    assert find_tagged(factory, run_id) == [] and len(ex.ledger) == 0


def test_reuse_adopts_and_creates_nothing(factory: ClientFactory, run_id: str) -> None:
    first = executor(factory, run_id)
    ids = first.ensure(plan(profiles.load("approved"), ("network",)))
    second = executor(factory, run_id)
    before = factory.calls.mutating()
    assert second.ensure(plan(profiles.load("approved"), ("network",))) == ids
    assert factory.calls.mutating() == before
    assert not any(e.created for e in second.ledger.entries())
    second.teardown()


def test_teardown_refuses_what_the_run_does_not_own(factory: ClientFactory, run_id: str) -> None:
    ec2 = factory.client("ec2")
    stranger = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    ex = executor(factory, run_id)
    ex.ledger.add(Entry("vpc", "vpc", stranger, "network", "eu-west-1", True))
    with pytest.raises(TeardownError, match="refusing to delete vpc"):
        ex.teardown()
    assert ec2.describe_vpcs(VpcIds=[stranger])["Vpcs"], "an untagged VPC must survive teardown"
    ec2.delete_vpc(VpcId=stranger)


def test_dependency_violation_is_retried_with_backoff(factory: ClientFactory, run_id: str) -> None:
    ec2 = factory.client("ec2")
    ex = executor(factory, run_id)
    ids = ex.ensure(plan(profiles.load("approved"), ("network",))[:1])  # the VPC only
    blocker = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.10.7.0/24")["Subnet"]["SubnetId"]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            ec2.delete_subnet(SubnetId=blocker)

    ex._sleep = sleep
    ex.teardown()
    assert sleeps == [2.0, 4.0, 8.0]
    assert find_tagged(factory, run_id) == []


def test_dependency_violation_gives_up_with_one_aggregated_error(factory: ClientFactory, run_id: str) -> None:
    ec2 = factory.client("ec2")
    ex = executor(factory, run_id, sleep=lambda s: None, dependency_attempts=3)
    ids = ex.ensure(plan(profiles.load("approved"), ("network",))[:1])
    blocker = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.10.7.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(TeardownError, match=r"vpc .* still has dependants after 3 attempts"):
        ex.teardown()
    ec2.delete_subnet(SubnetId=blocker)
    ex.teardown()


def test_orphans_tagged_with_the_run_are_adopted(factory: ClientFactory, run_id: str) -> None:
    ex = executor(factory, run_id, sleep=lambda s: None)
    ex.ensure(plan(profiles.load("approved"), ("network",)))
    ec2 = factory.client("ec2")
    orphan = ec2.create_subnet(VpcId=ex.ids["vpc"], CidrBlock="10.10.8.0/24", TagSpecifications=[{
        "ResourceType": "subnet", "Tags": [{"Key": "ManagedBy", "Value": "tdg"}, {"Key": "tdg:run-id", "Value": run_id},
                                           {"Key": "tdg:phase", "Value": "network"}]}])["Subnet"]["SubnetId"]
    ex.teardown()
    assert find_tagged(factory, run_id) == []
    assert not ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [orphan]}])["Subnets"]


def test_a_fresh_run_creates_without_finding_first_unless_a_create_failed(factory: ClientFactory, run_id: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from provisioning.aws.kinds import REGISTRY
    from provisioning.errors import SetupError

    finds: list[str] = []
    for name, kind in list(REGISTRY.items()):
        def counted(ctx: object, spec: object, _find: object = kind.find) -> object:
            finds.append(spec.key)  # type: ignore[attr-defined]
            return _find(ctx, spec)  # type: ignore[operator]
        monkeypatch.setitem(REGISTRY, name, dataclasses.replace(kind, find=counted))
    specs = plan(profiles.load("approved"), ("network",))
    fresh = executor(factory, run_id, sleep=lambda s: None, fresh_run=True)
    try:
        fresh.ensure(specs)
        assert finds == []  # nothing can carry a run id this session made up
    finally:
        fresh.teardown()
    finds.clear()
    reused = executor(factory, f"{run_id}r", sleep=lambda s: None)
    try:
        reused.ensure(specs)
        assert finds == [s.key for s in specs]  # a given or reused run id: find by tag first, every time
    finally:
        reused.teardown()
    # A create that raised may still have made the resource: that spec is looked for before the retry.
    finds.clear()
    vpc_kind = REGISTRY["vpc"]
    attempts: list[int] = []

    def flaky(ctx: object, spec: object, params: object) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise SetupError("connection reset after the request was sent")
        return vpc_kind.create(ctx, spec, params)  # type: ignore[arg-type]

    monkeypatch.setitem(REGISTRY, "vpc", dataclasses.replace(vpc_kind, create=flaky))
    again = executor(factory, f"{run_id}f", sleep=lambda s: None, fresh_run=True)
    try:
        with pytest.raises(SetupError):
            again.ensure(specs[:1])
        again.ensure(specs[:1])
        assert finds == ["vpc"]
    finally:
        again.teardown()
