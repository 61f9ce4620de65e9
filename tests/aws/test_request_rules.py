"""Request rules: each documented rule passes a good request and refuses a bad one, before it is sent."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from provisioning.aws.client import ClientFactory
from provisioning.aws.request_rules import check_request, rules, shown, values_at, violations
from provisioning.errors import RequestRuleError
from provisioning.phases import network
from provisioning.profiles import load

OLD_BASTION_SG = "bastion: SSH from the operator's home address only; all from nodes"


def tags(n: int, key: str = "k", value: str = "v") -> list[dict[str, str]]:
    return [{"Key": f"{key}{i}", "Value": value} for i in range(n)]


def b64(size: int) -> str:
    return base64.b64encode(b"#" * size).decode("ascii")


def perm(**desc: str) -> list[dict[str, Any]]:
    return [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": desc.get("v4", "ok")}],
             "UserIdGroupPairs": [{"GroupId": "sg-1", "Description": desc.get("group", "ok")}]}]


# rule id -> (service, operation, a request that keeps it, a request that breaks it, the offending parameter)
CASES: dict[str, tuple[str, str, dict[str, Any], dict[str, Any], str]] = {
    "sg-description": ("ec2", "CreateSecurityGroup", {"GroupName": "g", "Description": "SSH from home (IPv6) #1"},
                       {"GroupName": "g", "Description": OLD_BASTION_SG}, "Description"),
    "sg-name": ("ec2", "CreateSecurityGroup", {"GroupName": "lab-bastion-1a2b", "Description": "d"},
                {"GroupName": "sg-bastion", "Description": "d"}, "GroupName"),
    "sg-rule-description": ("ec2", "AuthorizeSecurityGroupIngress", {"GroupId": "sg-1", "IpPermissions": perm()},
                            {"GroupId": "sg-1", "IpPermissions": perm(group="node's")},
                            "IpPermissions[0].UserIdGroupPairs[0].Description"),
    "ec2-tag-key": ("ec2", "CreateVpc", {"TagSpecifications": [{"ResourceType": "vpc", "Tags": tags(2)}]},
                    {"TagSpecifications": [{"ResourceType": "vpc", "Tags": tags(1, key="aws:x")}]},
                    "TagSpecifications[0].Tags[0].Key"),
    "ec2-tag-value": ("ec2", "CreateTags", {"Resources": ["vpc-1"], "Tags": tags(1, value="v" * 256)},
                      {"Resources": ["vpc-1"], "Tags": tags(1, value="v" * 257)}, "Tags[0].Value"),
    "ec2-tags-per-resource": ("ec2", "CreateLaunchTemplate",
                              {"LaunchTemplateName": "lt1", "LaunchTemplateData": {
                                  "TagSpecifications": [{"ResourceType": "instance", "Tags": tags(50)}]}},
                              {"LaunchTemplateName": "lt1", "LaunchTemplateData": {
                                  "TagSpecifications": [{"ResourceType": "instance", "Tags": tags(51)}]}},
                              "LaunchTemplateData.TagSpecifications[0].Tags"),
    "launch-template-name": ("ec2", "CreateLaunchTemplate", {"LaunchTemplateName": "lab-bastion-(v1)/a_b.c"},
                             {"LaunchTemplateName": "lab bastion"}, "LaunchTemplateName"),
    "launch-template-version-description": ("ec2", "CreateLaunchTemplate",
                                            {"LaunchTemplateName": "ok1", "VersionDescription": "d" * 255},
                                            {"LaunchTemplateName": "ok1", "VersionDescription": "d" * 256},
                                            "VersionDescription"),
    "key-pair-name": ("ec2", "ImportKeyPair", {"KeyName": "lab-bastion-1a2b"}, {"KeyName": "k" * 256}, "KeyName"),
    "user-data-size": ("ec2", "CreateLaunchTemplate",
                       {"LaunchTemplateName": "ok1", "LaunchTemplateData": {"UserData": b64(16384)}},
                       {"LaunchTemplateName": "ok1", "LaunchTemplateData": {"UserData": b64(16385)}},
                       "LaunchTemplateData.UserData"),
    "network-interface-description": ("ec2", "CreateNetworkInterface", {"SubnetId": "s", "Description": "d"},
                                      {"SubnetId": "s", "Description": "d" * 256}, "Description"),
    "iam-role-name": ("iam", "CreateRole", {"RoleName": "lab-bastion-1a2b", "AssumeRolePolicyDocument": "{}"},
                      {"RoleName": "r" * 65, "AssumeRolePolicyDocument": "{}"}, "RoleName"),
    "iam-instance-profile-name": ("iam", "CreateInstanceProfile", {"InstanceProfileName": "lab+bastion=1,a.b@c"},
                                  {"InstanceProfileName": "lab/bastion"}, "InstanceProfileName"),
    "iam-path": ("iam", "CreateInstanceProfile", {"InstanceProfileName": "p", "Path": "/tdg/"},
                 {"InstanceProfileName": "p", "Path": "/tdg"}, "Path"),
    "iam-policy-name": ("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "ssm-core", "PolicyDocument": "{}"},
                        {"RoleName": "r", "PolicyName": "ssm core", "PolicyDocument": "{}"}, "PolicyName"),
    "iam-role-description": ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}",
                                                   "Description": "bastion: SSM only"},
                             {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Description": "d" * 1001},
                             "Description"),
    "iam-policy-document": ("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{}"},
                            {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "x" * 131073}, "PolicyDocument"),
    "iam-tag-key": ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": tags(1, "tdg:")},
                    {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": tags(1, "tdg#")}, "Tags[0].Key"),
    "iam-tag-value": ("iam", "CreateInstanceProfile",
                      {"InstanceProfileName": "p", "Tags": tags(1, value="2026-11-29T23:38:50Z")},
                      {"InstanceProfileName": "p", "Tags": tags(1, value="it's")}, "Tags[0].Value"),
    "iam-tags-per-resource": ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}",
                                                    "Tags": tags(50)},
                              {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": tags(51)}, "Tags"),
    "asg-name": ("autoscaling", "CreateAutoScalingGroup", {"AutoScalingGroupName": "lab-bastion-1a2b"},
                 {"AutoScalingGroupName": "lab:bastion"}, "AutoScalingGroupName"),
    "asg-tag-key": ("autoscaling", "CreateAutoScalingGroup", {"AutoScalingGroupName": "g", "Tags": tags(1, "tdg:")},
                    {"AutoScalingGroupName": "g", "Tags": tags(1, "AWS:x")}, "Tags[0].Key"),
    "asg-tag-value": ("autoscaling", "CreateAutoScalingGroup", {"AutoScalingGroupName": "g", "Tags": tags(1)},
                      {"AutoScalingGroupName": "g", "Tags": tags(1, value="v" * 257)}, "Tags[0].Value"),
    "asg-tags-per-group": ("autoscaling", "CreateAutoScalingGroup", {"AutoScalingGroupName": "g", "Tags": tags(50)},
                           {"AutoScalingGroupName": "g", "Tags": tags(51)}, "Tags"),
    "scheduled-action-name": ("autoscaling", "PutScheduledUpdateGroupAction", {"ScheduledActionName": "tdg-start"},
                              {"ScheduledActionName": ""}, "ScheduledActionName"),
    "scheduled-action-recurrence": ("autoscaling", "PutScheduledUpdateGroupAction",
                                    {"ScheduledActionName": "a", "Recurrence": "0 7 * * *"},
                                    {"ScheduledActionName": "a", "Recurrence": "0 7 * *"}, "Recurrence"),
    "scheduled-action-time-zone": ("autoscaling", "PutScheduledUpdateGroupAction",
                                   {"ScheduledActionName": "a", "TimeZone": "Etc/UTC"},
                                   {"ScheduledActionName": "a", "TimeZone": "Mars/Olympus"}, "TimeZone"),
}


def test_every_rule_has_a_case_and_names_its_source() -> None:
    assert sorted(CASES) == sorted(r.id for r in rules())
    for rule in rules():
        assert rule.reference.startswith("https://docs.aws.amazon.com/"), rule.id
        assert rule.says, rule.id


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_keeps_the_good_request_and_refuses_the_bad(rule_id: str) -> None:
    service, op, good, bad, where = CASES[rule_id]
    assert violations(service, op, good) == []
    with pytest.raises(RequestRuleError) as caught:
        check_request(service, op, bad)
    err = caught.value
    assert (err.rule, err.parameter, err.operation) == (rule_id, where, f"{service}:{op}")
    assert rule_id in str(err) and where in str(err)


def test_rules_apply_only_to_their_operations() -> None:
    assert violations("ec2", "DescribeSecurityGroups", {"Description": OLD_BASTION_SG}) == []
    assert violations("iam", "CreateRole", {"RoleName": "r", "Tags": tags(1, "aws:x")})[0].rule == "iam-tag-key"


def test_the_value_is_truncated_in_the_error() -> None:
    err = violations("ec2", "CreateTags", {"Tags": tags(1, value="v" * 300)})[0]
    assert "300 characters" in err.value and len(err.value) < 120
    assert shown([1, 2, 3]) == "<3 items>"


def test_user_data_must_be_base64_in_a_launch_template() -> None:
    err = violations("ec2", "CreateLaunchTemplate", {"LaunchTemplateData": {"UserData": "#!/bin/sh\necho hi"}})[0]
    assert "not base64" in str(err)


def test_values_at_walks_lists_and_skips_missing_parts() -> None:
    params = {"A": [{"B": [{"C": 1}, {"C": 2}]}, {"X": 0}]}
    assert list(values_at(params, "A[].B[].C")) == [("A[0].B[0].C", 1), ("A[0].B[1].C", 2)]
    assert list(values_at(params, "Z[].C")) == []


def test_the_bastion_group_description_keeps_the_rule_and_the_old_text_did_not() -> None:
    sg = next(s for s in network.specs(load("approved")) if s.key == "sg-bastion")
    assert violations("ec2", "CreateSecurityGroup", {"GroupName": "g", "Description": sg.params["description"]}) == []
    assert [e.rule for e in violations("ec2", "CreateSecurityGroup", {"GroupName": "g", "Description": OLD_BASTION_SG})
            ] == ["sg-description"]


def test_the_client_factory_refuses_before_sending(factory: ClientFactory, run_id: str) -> None:
    ec2 = factory.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    before = factory.calls.total
    with pytest.raises(RequestRuleError, match="sg-description"):
        ec2.create_security_group(GroupName=f"g-{run_id}", Description=OLD_BASTION_SG, VpcId=vpc)
    assert factory.calls.total == before  # never counted, never sent
    found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"g-{run_id}"]}])
    assert found["SecurityGroups"] == []
    ec2.delete_vpc(VpcId=vpc)
