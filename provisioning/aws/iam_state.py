"""Read an Auto Scaling group with its scheduled actions, and an IAM role with its instance profile.

Read-only snapshots for the checks; None when the resource does not exist.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.errors import aws_call
from provisioning.errors import NotFoundError


@dataclass(frozen=True)
class ActionState:
    """One scheduled action: name, cron recurrence, time zone and the capacities it sets."""

    name: str
    recurrence: str
    time_zone: str
    min_size: int | None
    max_size: int | None
    desired: int | None


@dataclass(frozen=True)
class GroupState:
    """An Auto Scaling group: sizes, subnets, template, in-service instances, actions, tags."""

    name: str
    min_size: int
    max_size: int
    desired: int
    subnets: tuple[str, ...]
    template_id: str
    instances: tuple[str, ...]
    actions: tuple[ActionState, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class IamState:
    """A role (path, trusted services, inline actions, managed policies) and its instance profile."""

    role: str
    role_path: str
    trusted: tuple[str, ...]
    inline_actions: dict[str, tuple[str, ...]]
    attached: tuple[str, ...]
    profile: str
    profile_arn: str
    profile_path: str
    profile_roles: tuple[str, ...]
    role_tags: dict[str, str]
    profile_tags: dict[str, str]


def read_group(asg: Any, name: str) -> GroupState | None:
    """The group called name and its scheduled actions, or None."""
    with aws_call("DescribeAutoScalingGroups"):
        groups = [g for g in asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
                  if g["AutoScalingGroupName"] == name]
    if not groups:
        return None
    g = groups[0]
    with aws_call("DescribeScheduledActions"):
        actions = asg.describe_scheduled_actions(AutoScalingGroupName=name)["ScheduledUpdateGroupActions"]
    return GroupState(
        name=name, min_size=int(g["MinSize"]), max_size=int(g["MaxSize"]), desired=int(g["DesiredCapacity"]),
        subnets=tuple(s for s in str(g.get("VPCZoneIdentifier", "")).split(",") if s),
        template_id=str((g.get("LaunchTemplate") or {}).get("LaunchTemplateId", "")),
        instances=tuple(i["InstanceId"] for i in g.get("Instances", []) if i.get("LifecycleState") == "InService"),
        actions=tuple(ActionState(str(a["ScheduledActionName"]), str(a.get("Recurrence", "")),
                                  str(a.get("TimeZone") or "UTC"), a.get("MinSize"), a.get("MaxSize"),
                                  a.get("DesiredCapacity")) for a in actions),
        tags={t["Key"]: t["Value"] for t in g.get("Tags", [])})


def parse_policy(raw: Any) -> dict[str, Any]:
    """A policy document as a mapping (boto3 gives a mapping; raw IAM answers are URL-encoded JSON)."""
    if isinstance(raw, dict):
        return raw
    return dict(json.loads(urllib.parse.unquote(str(raw))))


def allowed_actions(doc: dict[str, Any]) -> tuple[str, ...]:
    """Every action an Allow statement of the document names, sorted."""
    out: list[str] = []
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") == "Allow":
            acts = st.get("Action", [])
            out += [acts] if isinstance(acts, str) else list(acts)
    return tuple(sorted(out))


def _services(trust: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for st in trust.get("Statement", []):
        service = (st.get("Principal") or {}).get("Service", [])
        out += [service] if isinstance(service, str) else list(service)
    return tuple(sorted(out))


def read_iam(iam: Any, role: str, profile: str) -> IamState | None:
    """The role (policies, trust, tags) and the instance profile, or None when either is gone."""
    try:
        with aws_call("GetRole"):
            r = iam.get_role(RoleName=role)["Role"]
            policies = iam.list_role_policies(RoleName=role)["PolicyNames"]
            inline = {p: allowed_actions(parse_policy(
                iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"])) for p in policies}
            attached = tuple(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])
            role_tags = tagging.from_aws(iam.list_role_tags(RoleName=role)["Tags"])
        with aws_call("GetInstanceProfile"):
            p = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    except NotFoundError:
        return None
    return IamState(role=role, role_path=str(r.get("Path", "")),
                    trusted=_services(parse_policy(r.get("AssumeRolePolicyDocument", {}))), inline_actions=inline,
                    attached=attached, profile=profile, profile_arn=str(p["Arn"]), profile_path=str(p.get("Path", "")),
                    profile_roles=tuple(x["RoleName"] for x in p.get("Roles", [])), role_tags=role_tags,
                    profile_tags=tagging.from_aws(p.get("Tags")))
