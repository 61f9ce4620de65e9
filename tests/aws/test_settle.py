"""The suite against the eventually consistent moto: what the handling does, and what fails without it.

Each test runs the suite's own code on the session moto with the consistency layer on, once as
the suite runs it and once with the matching handling turned off, and expects the second to
fail the way a live run would have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fixtures import moto_consistency
from fixtures.moto_consistency import World
from fixtures.moto_fidelity import moto_fidelity
from provisioning.aws import executor, instances
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.aws.settle import NewIds, ids_in
from provisioning.errors import AwsError, NotFoundError, TeardownError, ThrottledError
from provisioning.plan import ResourceSpec
from tests.aws.bastion_parts import eni_params, lt_params, make_net

LAG = 0.3


@pytest.fixture
def consistent() -> Iterator[World]:
    with moto_fidelity(lag_s=LAG):
        world = moto_consistency.active()
        assert world is not None
        yield world


def factory_for(moto_url: str, settle_s: float | None = None) -> ClientFactory:
    extra: dict[str, Any] = {} if settle_s is None else {"settle_s": settle_s}
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url, **extra)


def network_specs() -> list[ResourceSpec]:
    return [ResourceSpec("vpc", "vpc", "network", "t-vpc", {"cidr": "10.66.0.0/16", "ipv6": False}),
            ResourceSpec("subnet", "subnet-a", "network", "t-a", {"vpc": "vpc", "cidr": "10.66.0.0/24",
                                                                  "az": "eu-west-1a", "ipv6_index": None,
                                                                  "map_public_ipv4": False})]


def create_network(ctx: RunContext) -> tuple[str, str]:
    vpc_spec, subnet_spec = network_specs()
    vpc = REGISTRY["vpc"].create(ctx, vpc_spec, dict(vpc_spec.params))
    subnet = REGISTRY["subnet"].create(ctx, subnet_spec, {**subnet_spec.params, "vpc": vpc})
    return vpc, subnet


# --- the one retry -------------------------------------------------------------------------

def test_ids_in_finds_every_aws_id_and_nothing_else() -> None:
    found = list(ids_in({"Vpc": {"VpcId": "vpc-0a1b2c3d4e5f60718", "CidrBlock": "10.0.0.0/16"},
                         "Instances": [{"InstanceId": "i-0123456789abcdef0", "State": {"Name": "pending"}}],
                         "Name": "lab-bastion-1a2b3c4d"}))
    assert found == ["vpc-0a1b2c3d4e5f60718", "i-0123456789abcdef0"]


def test_only_a_not_found_naming_a_young_id_is_retried_and_only_within_the_window() -> None:
    now = [0.0]
    ids = NewIds(10.0, clock=lambda: now[0])
    model = type("M", (), {"name": "CreateSecurityGroup"})()
    ids._after_call(model=model, parsed={"GroupId": "sg-0123456789abcdef0"})
    nf = (None, {"Error": {"Code": "InvalidGroup.NotFound"}})
    body = {"request_dict": {"body": {"Action": "AuthorizeSecurityGroupIngress", "GroupId": "sg-0123456789abcdef0"}}}
    assert ids._needs_retry(nf, 1, **body) == pytest.approx(0.05)
    assert ids._needs_retry(nf, 4, **body) == pytest.approx(0.4)
    rule = (None, {"Error": {"Code": "InvalidPermission.NotFound"}})
    assert ids._needs_retry(rule, 1, **body) is None
    other = {"request_dict": {"body": {"GroupId": "sg-0fffffffffffffff0"}}}
    assert ids._needs_retry(nf, 1, **other) is None
    now[0] = 10.5  # the window is over: NotFound is an answer now
    assert ids._needs_retry(nf, 1, **body) is None


def test_ids_the_create_request_named_are_not_taken_for_new() -> None:
    ids = NewIds(10.0)
    model = type("M", (), {"name": "RunInstances"})()
    context: dict[str, Any] = {}
    ids._before_parameter_build(model=model, params={"SubnetId": "subnet-0123456789abcdef0"}, context=context)
    ids._after_call(model=model, context=context, parsed={"Instances": [
        {"InstanceId": "i-0123456789abcdef0", "SubnetId": "subnet-0123456789abcdef0"}]})
    assert ids.young("i-0123456789abcdef0") and not ids.young("subnet-0123456789abcdef0")


def test_a_deleted_id_is_forgotten_so_its_not_found_is_final() -> None:
    ids = NewIds(10.0)
    ids._after_call(model=type("M", (), {"name": "CreateVpc"})(), parsed={"Vpc": {"VpcId": "vpc-0123456789abcdef0"}})
    assert ids.young("vpc-0123456789abcdef0")
    ids._before_parameter_build(model=type("M", (), {"name": "DeleteVpc"})(), params={"VpcId": "vpc-0123456789abcdef0"})
    assert not ids.young("vpc-0123456789abcdef0")


def test_follow_up_calls_after_a_create_succeed_with_the_retry_and_fail_without(consistent: World, moto_url: str,
                                                                                run_id: str) -> None:
    ctx = RunContext(factory_for(moto_url), run_id, "approved")
    vpc, subnet = create_network(ctx)  # CreateSubnet then ModifySubnetAttribute at once: retried, succeeds
    assert subnet.startswith("subnet-")
    frozen = consistent.clock()
    consistent.clock = lambda: frozen  # however slow the machine, the next subnet stays young
    bare = RunContext(factory_for(moto_url, settle_s=0), run_id, "approved")
    with pytest.raises(NotFoundError, match="InvalidSubnetID.NotFound"):
        REGISTRY["subnet"].create(bare, network_specs()[1], {**network_specs()[1].params, "vpc": vpc,
                                                             "cidr": "10.66.1.0/24"})
    consistent.clock = lambda: frozen + 10 * LAG
    for s in ctx.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        ctx.ec2.delete_subnet(SubnetId=s["SubnetId"])
    ctx.ec2.delete_vpc(VpcId=vpc)


# --- an instance NotFound right after RunInstances is unknown, not terminated ---------------

def test_an_instance_not_shown_yet_is_unknown_and_stays_in_the_ledger(consistent: World, moto_url: str,
                                                                      run_id: str) -> None:
    bare = factory_for(moto_url, settle_s=0)  # as if the run had been interrupted before anything settled
    with make_net(factory_for(moto_url), run_id) as net:
        now = [consistent.clock()]
        consistent.clock = lambda: now[0]  # time stands still until the test moves it
        ec2 = bare.client("ec2")
        image = bare.client("ssm").get_parameter(Name=lt_params(net, "")["ami_parameter"])["Parameter"]["Value"]
        iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t4g.small", SubnetId=net.subnet,
                                TagSpecifications=RunContext(bare, run_id, "approved").tag_spec(
                                    "instance", ResourceSpec("instance", "node", "talos", "t")))["Instances"][0][
            "InstanceId"]
        ctx = RunContext(bare, run_id, "approved")
        assert instances.instance_state(ctx, iid) == instances.UNKNOWN  # the old answer was "terminated"
        ledger = Ledger(run_id)
        ledger.add(Entry("instance", "node", iid, "talos", "eu-west-1", True))
        with pytest.raises(TeardownError, match="state is unknown"):
            Executor(ctx, ledger, sleep=lambda _: None).teardown("talos")
        assert [e.id for e in ledger.entries()] == [iid]  # not dropped: it is running
        now[0] += LAG * 2
        state = net.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
        assert state == "running"
        Executor(RunContext(factory_for(moto_url), run_id, "approved"), ledger, sleep=lambda _: None).teardown("talos")
        assert len(ledger) == 0 and instances.instance_state(ctx, iid) == "terminated"


# --- Auto Scaling waits for the new instance profile as RunInstances does --------------------

def test_create_auto_scaling_group_retries_a_profile_iam_has_not_propagated(consistent: World, moto_url: str,
                                                                            run_id: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    factory = factory_for(moto_url)
    with make_net(factory, run_id) as net:
        eni = REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", "e", "bastion", "t"),
                                                   eni_params(net))
        spec = ResourceSpec("autoscaling_group", "bastion-asg", "bastion", "t-bastion")

        def group_with_new_profile(tag: str) -> tuple[str, dict[str, Any]]:
            profile = f"p{tag}-{run_id}"
            factory.client("iam").create_instance_profile(InstanceProfileName=profile, Path="/tdg/")
            lt = REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", f"l{tag}", "bastion",
                                                                          f"t{tag}"),
                                                    lt_params(net, eni, instance_profile=profile))
            return lt, {"launch_template": lt, "subnets": [net.subnet], "min": 0, "max": 1, "desired": 0}

        lt, params = group_with_new_profile("a")
        born = consistent.born[f"instance-profile/pa-{run_id}"]
        real_clock = consistent.clock
        consistent.clock = lambda: born  # however slow the machine, profile a is still new for the old call
        monkeypatch.setattr("provisioning.aws.scaling.profile_retry", lambda op, call, **_: call())  # the old code
        with pytest.raises(Exception, match="Invalid IAM Instance Profile name"):
            REGISTRY["autoscaling_group"].create(net.ctx, spec, params)
        monkeypatch.undo()
        consistent.clock = real_clock  # time runs again: the retry below sees profile b propagate
        lt2, params2 = group_with_new_profile("b")
        name = REGISTRY["autoscaling_group"].create(net.ctx, spec, params2)
        REGISTRY["autoscaling_group"].destroy(net.ctx, name)
        for template in (lt, lt2):
            REGISTRY["launch_template"].destroy(net.ctx, template)
        for tag in "ab":
            factory.client("iam").delete_instance_profile(InstanceProfileName=f"p{tag}-{run_id}")
        REGISTRY["network_interface"].destroy(net.ctx, eni)


# --- teardown carries on when the orphan scan fails ------------------------------------------

@pytest.mark.parametrize("error", [AwsError("DescribeVpcs", "UnauthorizedOperation", "You are not authorized"),
                                   ThrottledError("DescribeInstances", "RequestLimitExceeded", "Request limit")])
def test_teardown_tears_down_the_ledger_when_the_orphan_scan_fails(error: AwsError, factory: ClientFactory,
                                                                   run_id: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = RunContext(factory, run_id, "approved")
    vpc_spec = network_specs()[0]
    vpc = REGISTRY["vpc"].create(ctx, vpc_spec, dict(vpc_spec.params))
    ledger = Ledger(run_id)
    ledger.add(Entry("vpc", "vpc", vpc, "network", "eu-west-1", True))

    def denied(*_: Any, **__: Any) -> list[Any]:
        raise error

    monkeypatch.setattr(executor, "find_run_tagged", denied)
    with pytest.raises(TeardownError) as caught:
        Executor(ctx, ledger, sleep=lambda _: None).teardown()
    assert len(ledger) == 0 and REGISTRY["vpc"].tags(ctx, vpc) is None  # the ledger was torn down all the same
    assert [what for what, _ in caught.value.failures] == [f"orphan scan of run {run_id}"]
    assert f"tdg sweep --run-id {run_id}" in str(caught.value)
