"""The sweeper: lists and prices what runs left, deletes only what carries ManagedBy=tdg and the run id.

Moto deletes a subnet with an instance in it and a VPC with an extra security group (real AWS
refuses both, tooling-facts §3), so the stranger tests here show that the sweeper never
*asks* to delete a stranger; the dependency tests use an untagged subnet, which moto does
enforce against DeleteVpc.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from provisioning import prices, profiles
from provisioning.aws import sweep
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.plan import plan

NOW = datetime(2001, 1, 1, 5, 0, 0)  # long before any other test's tdg:created tags


def provision(factory: ClientFactory, run_id: str, profile: str = "approved", created: str = "",
              vpc_only: bool = False) -> dict[str, str]:
    topo = profiles.load(profile)
    specs = plan(topo, ("network",))
    ctx = RunContext(factory, run_id, topo.name, topo.tags, created=created)
    return Executor(ctx, Ledger(run_id)).ensure(specs[:1] if vpc_only else specs)


def tagged(run_id: str, resource_type: str, created: str = "2001-01-01T00:00:00Z") -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [
        {"Key": "ManagedBy", "Value": "tdg"}, {"Key": "tdg:run-id", "Value": run_id},
        {"Key": "tdg:phase", "Value": "bastion"}, {"Key": "tdg:created", "Value": created}]}]


def arm64_image(ec2: Any) -> str:
    return str(ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "architecture", "Values": ["arm64"]}])["Images"][0]["ImageId"])


@pytest.fixture
def no_sleep() -> list[float]:
    return []


def test_dry_run_lists_and_prices_without_changing_anything(factory: ClientFactory, run_id: str) -> None:
    ids = provision(factory, run_id, "homelab-replica", created="2001-01-01T01:00:00Z")
    ec2 = factory.client("ec2")
    inst = ec2.run_instances(ImageId=arm64_image(ec2), InstanceType="t4g.small", MinCount=1, MaxCount=1,
                             SubnetId=ids["subnet-private"],
                             TagSpecifications=tagged(run_id, "instance"))["Instances"][0]["InstanceId"]
    vol = ec2.create_volume(Size=30, VolumeType="gp3", AvailabilityZone="eu-west-1a",
                            TagSpecifications=tagged(run_id, "volume"))["VolumeId"]
    try:
        before = factory.calls.mutating()
        sel = sweep.select(factory, now=NOW, run_id=run_id)
        assert factory.calls.mutating() == before
        p = prices.price_book("eu-west-1")
        rates = {(x.found.kind, x.found.id): x.usd_per_hour for x in sel.leftovers}
        assert rates[("instance", inst)] == pytest.approx(p.instance("t4g.small").usd)
        assert rates[("volume", vol)] == pytest.approx(30 * p.gp3_gb_month.usd / p.hours_per_month)
        assert rates[("nat_gateway", ids["nat"])] == pytest.approx(p.nat_hour.usd)
        assert rates[("elastic_ip", ids["nat-eip"])] == pytest.approx(p.public_ipv4_hour.usd)
        assert rates[("vpc", ids["vpc"])] == 0.0
        assert sel.usd_per_hour == pytest.approx(sum(r or 0 for r in rates.values()))
        table = sweep.format_table(sel)
        assert f"{run_id}  nat_gateway" in table and "NAT gateway hour" in table
        assert f"burn ${sel.usd_per_hour:.4f}/hour" in table and "1 run(s)" in table
        assert {f.id for f in find_tagged(factory, run_id)} >= {inst, vol, ids["vpc"]}
    finally:
        ec2.terminate_instances(InstanceIds=[inst])
        ec2.delete_volume(VolumeId=vol)
        assert sweep.delete(factory, sweep.select(factory, now=NOW, run_id=run_id)).remaining == ()


def test_delete_leaves_untagged_neighbours_alone(factory: ClientFactory, run_id: str) -> None:
    ids = provision(factory, run_id)
    ec2 = factory.client("ec2")
    stranger_vpc = ec2.create_vpc(CidrBlock="10.66.0.0/16")["Vpc"]["VpcId"]
    stranger_sg = ec2.create_security_group(GroupName=f"stranger-{run_id}", Description="not ours",
                                            VpcId=ids["vpc"])["GroupId"]
    stranger_vm = ec2.run_instances(ImageId=arm64_image(ec2), InstanceType="t4g.small", MinCount=1, MaxCount=1,
                                    SubnetId=ids["subnet-public"])["Instances"][0]["InstanceId"]
    sel = sweep.select(factory, now=NOW, run_id=run_id)
    assert {stranger_vpc, stranger_sg, stranger_vm}.isdisjoint(x.found.id for x in sel.leftovers)
    result = sweep.delete(factory, sel)
    assert result.remaining == () and find_tagged(factory, run_id) == []
    mutated = set(factory.calls.counts)
    assert "ec2:TerminateInstances" not in mutated
    assert ec2.describe_vpcs(VpcIds=[stranger_vpc])["Vpcs"]
    assert ec2.describe_security_groups(GroupIds=[stranger_sg])["SecurityGroups"]
    assert ec2.describe_instances(InstanceIds=[stranger_vm])["Reservations"][0]["Instances"][0]["State"]["Name"] \
        == "running"
    ec2.terminate_instances(InstanceIds=[stranger_vm])
    ec2.delete_security_group(GroupId=stranger_sg)
    ec2.delete_vpc(VpcId=stranger_vpc)


def test_dependency_violations_are_retried_until_the_blocker_goes(factory: ClientFactory, run_id: str,
                                                                  no_sleep: list[float]) -> None:
    ids = provision(factory, run_id)
    ec2 = factory.client("ec2")
    blocker = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.10.7.0/24")["Subnet"]["SubnetId"]

    def sleep(seconds: float) -> None:
        no_sleep.append(seconds)
        if len(no_sleep) == 2:
            ec2.delete_subnet(SubnetId=blocker)

    result = sweep.delete(factory, sweep.select(factory, now=NOW, run_id=run_id), sleep=sleep)
    assert no_sleep == [2.0, 4.0]
    assert result.remaining == () and result.rounds == 1


def test_what_cannot_go_is_listed_with_why_and_an_untagged_blocker_survives(factory: ClientFactory,
                                                                             run_id: str) -> None:
    ids = provision(factory, run_id)
    ec2 = factory.client("ec2")
    blocker = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.10.7.0/24")["Subnet"]["SubnetId"]
    result = sweep.delete(factory, sweep.select(factory, now=NOW, run_id=run_id), max_rounds=2,
                          sleep=lambda s: None, dependency_attempts=2)
    assert result.rounds == 2
    assert [(f.kind, f.id) for f, _ in result.remaining] == [("vpc", ids["vpc"])]
    assert "still has dependants after 2 attempts" in result.remaining[0][1]
    assert "DependencyViolation" in result.remaining[0][1]
    assert ec2.describe_subnets(SubnetIds=[blocker])["Subnets"]
    ec2.delete_subnet(SubnetId=blocker)
    assert sweep.delete(factory, sweep.select(factory, now=NOW, run_id=run_id)).remaining == ()


@pytest.fixture
def aged_runs(factory: ClientFactory, run_id: str) -> Iterator[tuple[str, str, str]]:
    old, fresh, ageless = f"{run_id}-old", f"{run_id}-new", f"{run_id}-nod"
    provision(factory, old, created="2001-01-01T01:00:00Z", vpc_only=True)
    provision(factory, fresh, created="2001-01-01T04:30:00Z", vpc_only=True)
    provision(factory, ageless, vpc_only=True)
    yield old, fresh, ageless
    for rid in (old, fresh, ageless):
        sweep.delete(factory, sweep.select(factory, now=NOW, run_id=rid))


def test_older_than_takes_whole_old_runs_and_spares_the_rest(factory: ClientFactory,
                                                             aged_runs: tuple[str, str, str]) -> None:
    old, fresh, ageless = aged_runs
    sel = sweep.select(factory, now=NOW, older_than=timedelta(hours=2))
    assert sel.run_ids == (old,)
    assert sel.leftovers[0].age == timedelta(hours=4)
    spared = dict(sel.spared)
    assert spared[fresh] == "newest resource created 30m ago, younger than 2h"
    assert spared[ageless] == "1 resource(s) without a tdg:created tag: age unknown"
    assert sweep.delete(factory, sel).remaining == ()
    assert find_tagged(factory, old) == [] and find_tagged(factory, fresh) and find_tagged(factory, ageless)


def test_a_resource_without_a_run_id_is_listed_but_never_deleted(factory: ClientFactory, run_id: str) -> None:
    ec2 = factory.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.67.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "ManagedBy", "Value": "tdg"}, {"Key": "tdg:created", "Value": "2001-01-01T00:00:00Z"}]}])
    vpc_id = vpc["Vpc"]["VpcId"]
    try:
        sel = sweep.select(factory, now=NOW, older_than=timedelta(hours=1))
        assert vpc_id in {x.found.id for x in sel.leftovers}
        result = sweep.delete(factory, sel)
        assert [(f.id, why) for f, why in result.remaining if f.id == vpc_id] == [
            (vpc_id, "no tdg:run-id tag: the sweeper deletes only what a run owns")]
        assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    finally:
        ec2.delete_vpc(VpcId=vpc_id)
