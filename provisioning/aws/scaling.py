"""Auto Scaling groups and their scheduled start/stop actions: find by name and tag, create, destroy.

A group is named "<Name tag>-<run id>" and carries the run's tags (not propagated: the
launch template tags what it launches). Creating a group brings its desired capacity up at
once and waits for an InService instance, so a run never waits for a schedule. Destroying
sets the capacity to 0, force-deletes, and waits until the group (and so its instances)
is gone. Scheduled actions have no tags: they belong to the run through their group, and
their "id" is the group's name.
"""

from __future__ import annotations

import logging
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.compute import profile_retry
from provisioning.aws.errors import aws_call
from provisioning.aws.identity import resource_name
from provisioning.aws.kinds import Kind, RunContext, register
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import Ref, ResourceSpec
from provisioning.waiting import wait_for

log = logging.getLogger(__name__)
DELETING = "Delete in progress"


def _asg(ctx: RunContext) -> Any:
    return ctx.clients.client("autoscaling")


def describe_group(ctx: RunContext, name: str) -> dict[str, Any] | None:
    """The group called name as DescribeAutoScalingGroups returns it, or None."""
    with aws_call("DescribeAutoScalingGroups"):
        groups = _asg(ctx).describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    found = [g for g in groups if g["AutoScalingGroupName"] == name]
    return found[0] if found else None


def group_tags(group: dict[str, Any]) -> dict[str, str]:
    """A group's tags as a mapping."""
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def in_service(group: dict[str, Any]) -> list[str]:
    """Ids of the group's instances that are InService."""
    return [i["InstanceId"] for i in group.get("Instances", []) if i.get("LifecycleState") == "InService"]


# --- group -----------------------------------------------------------------------------------

def _find_group(ctx: RunContext, spec: ResourceSpec) -> str | None:
    name = resource_name(spec, ctx.run_id)
    group = describe_group(ctx, name)
    if group is None or group.get("Status") == DELETING:
        return None
    tags = group_tags(group)
    if not tagging.is_ours(tags, ctx.run_id) or tags.get(tagging.SPEC_KEY) != spec.key:
        raise SetupError(f"Auto Scaling group {name} exists but was not made by run {ctx.run_id} for {spec.key}")
    return name


def _create_group(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    name = resource_name(spec, ctx.run_id)
    tags = [{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v,
             "PropagateAtLaunch": False} for k, v in sorted(ctx.tags(spec).items())]
    # The template names the instance profile made moments ago; Auto Scaling refuses it until IAM has
    # propagated ("... Invalid IAM Instance Profile name"), as RunInstances does.
    profile_retry("CreateAutoScalingGroup", lambda: _asg(ctx).create_auto_scaling_group(
        AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": p["launch_template"], "Version": "$Default"},
        MinSize=int(p["min"]), MaxSize=int(p["max"]), DesiredCapacity=int(p["desired"]),
        VPCZoneIdentifier=",".join(p["subnets"]), Tags=tags))
    if int(p["desired"]) > 0:
        wait_for(f"an InService instance in Auto Scaling group {name}",
                 lambda: in_service(describe_group(ctx, name) or {}), timeout_s=900, interval_s=10)
    return name


def _group_tags(ctx: RunContext, name: str) -> dict[str, str] | None:
    group = describe_group(ctx, name)
    return group_tags(group) if group is not None else None


def _destroy_group(ctx: RunContext, name: str) -> None:
    if describe_group(ctx, name) is None:
        raise NotFoundError("DeleteAutoScalingGroup", "ValidationError", f"{name} not found")
    asg = _asg(ctx)
    with aws_call("UpdateAutoScalingGroup"):
        asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, DesiredCapacity=0)
    with aws_call("DeleteAutoScalingGroup"):
        asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    wait_for(f"Auto Scaling group {name} and its instances gone", lambda: describe_group(ctx, name) is None,
             timeout_s=900, interval_s=10)


register(Kind("autoscaling_group", _find_group, _create_group, _destroy_group, _group_tags))


# --- scheduled actions -----------------------------------------------------------------------

def scheduled_actions(ctx: RunContext, group: str) -> list[dict[str, Any]]:
    """The group's scheduled actions as DescribeScheduledActions returns them."""
    with aws_call("DescribeScheduledActions"):
        pages = _asg(ctx).get_paginator("describe_scheduled_actions").paginate(AutoScalingGroupName=group)
        return [a for page in pages for a in page["ScheduledUpdateGroupActions"]
                if a.get("AutoScalingGroupName", group) == group]


def _group_of(ctx: RunContext, spec: ResourceSpec) -> str | None:
    """The run's group for the spec's group Ref (found by tag, so no name needs guessing)."""
    ref = spec.params["group"]
    key = ref.key if isinstance(ref, Ref) else str(ref)
    with aws_call("DescribeAutoScalingGroups"):
        pages = _asg(ctx).get_paginator("describe_auto_scaling_groups").paginate()
        groups = [g for page in pages for g in page["AutoScalingGroups"]]
    mine = [g["AutoScalingGroupName"] for g in groups if tagging.is_ours(group_tags(g), ctx.run_id)
            and group_tags(g).get(tagging.SPEC_KEY) == key and g.get("Status") != DELETING]
    return mine[0] if mine else None


def _find_actions(ctx: RunContext, spec: ResourceSpec) -> str | None:
    group = _group_of(ctx, spec)
    if group is None:
        return None
    have = {a["ScheduledActionName"] for a in scheduled_actions(ctx, group)}
    return group if {a["name"] for a in spec.params["actions"]} <= have else None


def _create_actions(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    group = str(p["group"])
    for a in p["actions"]:
        with aws_call("PutScheduledUpdateGroupAction"):
            _asg(ctx).put_scheduled_update_group_action(
                AutoScalingGroupName=group, ScheduledActionName=a["name"], Recurrence=a["recurrence"],
                TimeZone=p["time_zone"], MinSize=int(a["min"]), MaxSize=int(a["max"]),
                DesiredCapacity=int(a["desired"]))
        log.info("scheduled %s of %s at '%s' %s (desired %s)", a["name"], group, a["recurrence"], p["time_zone"],
                 a["desired"])
    return group


def _action_tags(ctx: RunContext, group: str) -> dict[str, str] | None:
    found = describe_group(ctx, group)
    if found is None or not scheduled_actions(ctx, group):
        return None
    return group_tags(found)


def _destroy_actions(ctx: RunContext, group: str) -> None:
    names = [a["ScheduledActionName"] for a in scheduled_actions(ctx, group)]
    if not names:
        raise NotFoundError("BatchDeleteScheduledAction", "ValidationError", f"{group} has no scheduled actions")
    with aws_call("BatchDeleteScheduledAction"):
        _asg(ctx).batch_delete_scheduled_action(AutoScalingGroupName=group, ScheduledActionNames=names)


register(Kind("scheduled_actions", _find_actions, _create_actions, _destroy_actions, _action_tags))
