"""Auto Scaling group and scheduled-action kinds (the homelab-replica bastion path) on the moto server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fixtures.moto_fidelity import moto_fidelity
from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.kinds import REGISTRY
from provisioning.aws.scaling import describe_group, scheduled_actions
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import Ref, ResourceSpec
from tests.aws.bastion_parts import Net, eni_params, lt_params, make_net

GROUP = ResourceSpec("autoscaling_group", "bastion-asg", "bastion", "t-bastion")
ACTIONS = [{"name": "tdg-start", "recurrence": "0 12 * * *", "min": 0, "max": 1, "desired": 1},
           {"name": "tdg-stop", "recurrence": "0 17 * * *", "min": 0, "max": 1, "desired": 0}]
SCHEDULE = ResourceSpec("scheduled_actions", "bastion-schedule", "bastion", "t-bastion",
                        {"group": Ref("bastion-asg"), "time_zone": "Etc/UTC", "actions": ACTIONS})


@dataclass
class Launchable:
    net: Net
    eni: str
    lt: str


@pytest.fixture
def launchable(factory: ClientFactory, run_id: str) -> Iterator[Launchable]:
    with moto_fidelity(), make_net(factory, run_id) as net:
        eni = REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", "eni", "bastion", "t"),
                                                   eni_params(net))
        lt = REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", "lt", "bastion", "t"),
                                                lt_params(net, eni))
        yield Launchable(net, eni, lt)
        REGISTRY["launch_template"].destroy(net.ctx, lt)
        REGISTRY["network_interface"].destroy(net.ctx, eni)


def test_group_comes_up_now_on_the_fixed_interface_and_goes_away(launchable: Launchable) -> None:
    ctx, kind = launchable.net.ctx, REGISTRY["autoscaling_group"]
    name = kind.create(ctx, GROUP, {"launch_template": launchable.lt, "subnets": [launchable.net.subnet],
                                    "min": 0, "max": 1, "desired": 1})
    group = describe_group(ctx, name)
    assert group is not None and (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 1, 1)
    assert all(not t["PropagateAtLaunch"] for t in group["Tags"]) and kind.find(ctx, GROUP) == name
    iid = group["Instances"][0]["InstanceId"]
    i = ctx.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert i["NetworkInterfaces"][0]["NetworkInterfaceId"] == launchable.eni and i["PrivateIpAddress"] == "10.10.0.100"
    assert tagging.from_aws(i["Tags"])[tagging.SPEC_KEY] == "i"  # the launch template tags what it launches
    kind.destroy(ctx, name)
    assert describe_group(ctx, name) is None and kind.tags(ctx, name) is None
    assert ctx.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] \
        == "terminated"
    with pytest.raises(NotFoundError):
        kind.destroy(ctx, name)


def test_scheduled_actions_are_found_through_the_group_and_removed(launchable: Launchable) -> None:
    ctx = launchable.net.ctx
    group_kind, kind = REGISTRY["autoscaling_group"], REGISTRY["scheduled_actions"]
    assert kind.find(ctx, SCHEDULE) is None  # no group yet
    name = group_kind.create(ctx, GROUP, {"launch_template": launchable.lt, "subnets": [launchable.net.subnet],
                                          "min": 0, "max": 1, "desired": 0})
    assert kind.find(ctx, SCHEDULE) is None  # no actions yet
    assert kind.create(ctx, SCHEDULE, {**SCHEDULE.params, "group": name}) == name
    assert kind.find(ctx, SCHEDULE) == name and (kind.tags(ctx, name) or {})[tagging.RUN_ID_KEY] == ctx.run_id
    got = {a["ScheduledActionName"]: a for a in scheduled_actions(ctx, name)}
    assert got["tdg-stop"]["Recurrence"] == "0 17 * * *" and got["tdg-start"]["TimeZone"] == "Etc/UTC"
    kind.destroy(ctx, name)
    assert scheduled_actions(ctx, name) == [] and kind.tags(ctx, name) is None
    with pytest.raises(NotFoundError):
        kind.destroy(ctx, name)
    group_kind.destroy(ctx, name)


def test_a_group_name_held_by_another_run_is_refused(launchable: Launchable) -> None:
    ctx = launchable.net.ctx
    asg = ctx.clients.client("autoscaling")
    name = f"{GROUP.name}-{ctx.run_id}"
    asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": launchable.lt},
                                  VPCZoneIdentifier=launchable.net.subnet)
    with pytest.raises(SetupError, match="was not made by run"):
        REGISTRY["autoscaling_group"].find(ctx, GROUP)
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
