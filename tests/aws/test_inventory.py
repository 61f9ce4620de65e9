"""The teardown's scan of one run: every tagged EC2 kind from DescribeTags, IAM and Auto Scaling from their listings."""

from __future__ import annotations

from fixtures.moto_fidelity import moto_fidelity
from provisioning import profiles
from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_run_tagged, find_tagged
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Ledger
from provisioning.plan import ResourceSpec, plan


def run_tags(run_id: str, phase: str = "network", key: str = "orphan") -> list[dict[str, str]]:
    return tagging.to_aws(tagging.lab_tags(run_id=run_id, phase=phase, key=key, name=key, profile="approved"))


def test_the_run_scan_finds_what_the_per_kind_listings_find_in_two_ec2_calls(factory: ClientFactory,
                                                                             run_id: str) -> None:
    topo = profiles.load("approved")
    ctx = RunContext(factory, run_id, topo.name, topo.tags)
    ex = Executor(ctx, Ledger(run_id), sleep=lambda s: None)
    with moto_fidelity():
        ex.ensure(plan(topo, ("network",)))
        ec2 = factory.client("ec2")
        orphan = ec2.create_subnet(VpcId=ex.ids["vpc"], CidrBlock="10.10.8.0/24", TagSpecifications=[
            {"ResourceType": "subnet", "Tags": run_tags(run_id)}])["Subnet"]["SubnetId"]  # not in the ledger
        stranger = ec2.create_vpc(CidrBlock="10.78.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": run_tags(f"{run_id}x")}])["Vpc"]["VpcId"]  # another run's
        key = REGISTRY["key_pair"].create(ctx, ResourceSpec("key_pair", "key", "bastion", "k"), {})
        before = dict(factory.calls.counts)
        scanned = find_run_tagged(factory, run_id)
        made = {k: n - before.get(k, 0) for k, n in factory.calls.counts.items() if n != before.get(k, 0)}
        listed = find_tagged(factory, run_id)
        assert {(f.kind, f.id) for f in scanned} == {(f.kind, f.id) for f in listed}
        assert {(f.kind, f.id): f.tags for f in scanned} == {(f.kind, f.id): f.tags for f in listed}
        assert ("subnet", orphan) in {(f.kind, f.id) for f in scanned} and ("key_pair", key) in {
            (f.kind, f.id) for f in scanned}
        assert stranger not in {f.id for f in scanned}
        assert made["ec2:DescribeTags"] == 2
        assert not [k for k in made if k.startswith("ec2:") and k != "ec2:DescribeTags"]
        ex.teardown()
        assert find_run_tagged(factory, run_id) == [] and find_tagged(factory, run_id) == []
        ec2.delete_vpc(VpcId=stranger)


def test_describe_tags_lists_no_deleted_resource_as_ec2_does(factory: ClientFactory, run_id: str) -> None:
    """moto keeps a deleted resource's tags: without the fidelity patch the scan would find what is gone."""
    ec2 = factory.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.79.0.0/16", TagSpecifications=[{"ResourceType": "vpc",
                                                                      "Tags": run_tags(run_id)}])["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc)
    by_run = [{"Name": "key", "Values": [tagging.RUN_ID_KEY]}, {"Name": "value", "Values": [run_id]}]
    assert [t["ResourceId"] for t in ec2.describe_tags(Filters=by_run)["Tags"]] == [vpc]  # moto alone
    with moto_fidelity():
        assert ec2.describe_tags(Filters=by_run)["Tags"] == []
        assert find_run_tagged(factory, run_id) == []
