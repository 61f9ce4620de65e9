"""Security groups and their ingress rules.

Groups and rules are separate kinds because the bastion and node groups refer to each
other: both groups exist before either's rules are added, and rules are revoked before
either group is deleted. A rule set is marked applied with a tag on its group.
"""

from __future__ import annotations

from typing import Any

from provisioning.aws.errors import aws_call
from provisioning.aws.kinds import Kind, RunContext, ec2_finder, ec2_tag_reader, register
from provisioning.errors import DependencyError
from provisioning.plan import ResourceSpec

INGRESS_MARKER = "tdg:ingress"
_group_tags = ec2_tag_reader("describe_security_groups", "GroupIds", "SecurityGroups")


def _create_sg(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("CreateSecurityGroup"):
        return str(ctx.ec2.create_security_group(
            GroupName=f"{spec.name}-{ctx.run_id}", Description=p["description"], VpcId=p["vpc"],
            TagSpecifications=ctx.tag_spec("security-group", spec))["GroupId"])


def _destroy_sg(ctx: RunContext, rid: str) -> None:
    """Delete the group; on DependencyViolation revoke its own rules, then let the executor try again.

    The rules were revoked by their sg_ingress entries a tier earlier, so a delete usually just
    works. A group whose rules no entry revoked (an orphan adopted after a crash) may name
    another group that names it back: each refused delete revokes the refused group's rules,
    so the retry (executor backoff) finds neither held by the other.
    """
    try:
        with aws_call("DeleteSecurityGroup"):
            ctx.ec2.delete_security_group(GroupId=rid)
    except DependencyError:
        _revoke_all(ctx, rid)
        raise


register(Kind("security_group", ec2_finder("describe_security_groups", "SecurityGroups", "GroupId",
                                          "security_group"), _create_sg, _destroy_sg, _group_tags))


def ip_permission(rule: dict[str, Any]) -> dict[str, Any]:
    """One planned rule as an EC2 IpPermission."""
    perm: dict[str, Any] = {"IpProtocol": rule["protocol"]}
    if "port" in rule:
        perm["FromPort"] = perm["ToPort"] = int(rule["port"])
    desc = rule.get("description", "")
    if "group" in rule:
        perm["UserIdGroupPairs"] = [{"GroupId": rule["group"], "Description": desc}]
    if "ipv6" in rule:
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule["ipv6"], "Description": desc}]
    if "ipv4" in rule:
        perm["IpRanges"] = [{"CidrIp": rule["ipv4"], "Description": desc}]
    return perm


def _find_ingress(ctx: RunContext, spec: ResourceSpec) -> str | None:
    group_key = spec.key.removesuffix("-ingress")
    gid = ec2_finder("describe_security_groups", "SecurityGroups", "GroupId", "security_group")(
        ctx, ResourceSpec("security_group", group_key, spec.phase, spec.name))
    if gid is None:
        return None
    tags = _group_tags(ctx, gid) or {}
    return gid if tags.get(INGRESS_MARKER) == "applied" else None


def _create_ingress(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    gid = str(p["group"])
    with aws_call("AuthorizeSecurityGroupIngress"):
        ctx.ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ip_permission(r) for r in p["rules"]])
        ctx.ec2.create_tags(Resources=[gid], Tags=[{"Key": INGRESS_MARKER, "Value": "applied"}])
    return gid


def _revoke_all(ctx: RunContext, rid: str) -> None:
    """Revoke every ingress rule of group rid, by rule id."""
    with aws_call("DescribeSecurityGroupRules"):
        rules = ctx.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [rid]}])["SecurityGroupRules"]
    ingress = [r["SecurityGroupRuleId"] for r in rules if not r.get("IsEgress")]
    if ingress:
        with aws_call("RevokeSecurityGroupIngress"):
            ctx.ec2.revoke_security_group_ingress(GroupId=rid, SecurityGroupRuleIds=ingress)


def _destroy_ingress(ctx: RunContext, rid: str) -> None:
    _revoke_all(ctx, rid)
    with aws_call("DeleteTags"):
        ctx.ec2.delete_tags(Resources=[rid], Tags=[{"Key": INGRESS_MARKER}])


register(Kind("sg_ingress", _find_ingress, _create_ingress, _destroy_ingress, _group_tags))
