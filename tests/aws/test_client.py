"""The client factory: offline never reaches anything but loopback, and ignores the operator's AWS profile."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from provisioning.aws.client import ClientFactory, call_class, check_endpoint
from provisioning.errors import GuardError, OptionError


def test_offline_needs_an_endpoint() -> None:
    with pytest.raises(GuardError, match="offline runs need an endpoint"):
        ClientFactory(region="eu-west-1", mode="offline")


@pytest.mark.parametrize("url", ["http://10.10.0.100:5000", "https://ec2.eu-west-1.amazonaws.com", "http://[2001:db8::1]:80"])
def test_non_loopback_endpoints_are_refused(url: str) -> None:
    with pytest.raises(OptionError, match="must be on this machine"):
        check_endpoint(url)


def test_a_request_to_a_non_loopback_host_is_refused_offline(moto_url: str) -> None:
    factory = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    ec2 = factory.client("ec2")
    # The hook botocore runs before every send: a request aimed anywhere but loopback is stopped.
    outside = SimpleNamespace(url="https://ec2.eu-west-1.amazonaws.com/")
    with pytest.raises(GuardError, match="offline run tried to reach ec2.eu-west-1.amazonaws.com"):
        ec2.meta.events.emit("before-send.ec2.DescribeVpcs", request=outside)
    inside = SimpleNamespace(url=moto_url + "/")
    ec2.meta.events.emit("before-send.ec2.DescribeVpcs", request=inside)


def test_offline_ignores_a_missing_aws_profile(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    factory = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    assert factory.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_read_only_mode_refuses_mutating_calls(moto_url: str) -> None:
    factory = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url, read_only=True)
    factory.client("ec2").describe_vpcs()
    with pytest.raises(GuardError, match="read-only mode"):
        factory.client("ec2").create_vpc(CidrBlock="10.99.0.0/16")
    assert factory.calls.mutating() == 0


def test_every_call_is_counted(moto_url: str) -> None:
    factory = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    factory.client("ec2").describe_vpcs()
    factory.client("ec2").describe_subnets()
    assert factory.calls.counts["ec2:DescribeVpcs"] == 1 and factory.calls.total == 2


@pytest.mark.parametrize(("operation", "kind"), [
    ("DescribeVpcs", "read"), ("GetRole", "read"), ("ListRoleTags", "read"),
    ("CreateVpc", "create"), ("RunInstances", "create"), ("AllocateAddress", "create"),
    ("ImportKeyPair", "create"), ("AuthorizeSecurityGroupIngress", "create"), ("PutRolePolicy", "create"),
    ("AddRoleToInstanceProfile", "create"), ("AttachInternetGateway", "create"), ("CreateTags", "create"),
    ("DeleteVpc", "delete"), ("TerminateInstances", "delete"), ("ReleaseAddress", "delete"),
    ("RevokeSecurityGroupIngress", "delete"), ("RemoveRoleFromInstanceProfile", "delete"),
    ("ModifyInstanceAttribute", "change"), ("StopInstances", "change"),
])
def test_each_operation_falls_in_one_class(operation: str, kind: str) -> None:
    assert call_class(operation) == kind


def test_the_summary_counts_each_class_and_operation(moto_url: str) -> None:
    factory = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    ec2 = factory.client("ec2")
    factory.stage = "provision:network"
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    factory.stage = "checks"
    ec2.describe_vpcs(VpcIds=[vpc])
    factory.stage = "teardown:network"
    ec2.delete_vpc(VpcId=vpc)
    summary = factory.calls.summary()
    assert summary["stages"] == {"checks": 1, "provision:network": 1, "teardown:network": 1}
    assert summary["classes"] == {"read": 1, "create": 1, "delete": 1, "change": 0}
    assert summary["total"] == 3 and summary["mutating"] == 2
    assert summary["operations"] == {"ec2:CreateVpc": 1, "ec2:DeleteVpc": 1, "ec2:DescribeVpcs": 1}
