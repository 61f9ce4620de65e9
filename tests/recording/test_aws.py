"""AWS calls recorded through the factory's hooks replay without moto: same answers, same errors, loud misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from provisioning.aws.client import ClientFactory
from provisioning.recording.aws import AwsRecording, AwsReplay
from provisioning.recording.bundle import Player, Recorder, ReplayMiss, load
from provisioning.recording.redact import Redactor

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a replay that dialled would fail


def record(moto_url: str, tmp_path: Path, run_id: str) -> tuple[str, Path]:
    rec = Recorder(Redactor())
    f = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url, taps=[AwsRecording(rec)])
    ec2 = f.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "tdg:run-id", "Value": run_id}]}])["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[vpc])
    with pytest.raises(ClientError):
        ec2.describe_vpcs(VpcIds=["vpc-00000000000000000"])
    ec2.delete_vpc(VpcId=vpc)
    rec.write(tmp_path, {"mode": "offline"})
    return vpc, tmp_path


def replayer(bundle: Path) -> ClientFactory:
    _, channels = load(bundle)
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=NOWHERE,
                         taps=[AwsReplay(Player(channels), Redactor())])


def test_replay_answers_in_order_with_the_recorded_ids_and_errors(moto_url: str, tmp_path: Path, run_id: str) -> None:
    vpc, bundle = record(moto_url, tmp_path, run_id)
    ec2 = replayer(bundle).client("ec2")
    again = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "tdg:run-id", "Value": run_id}]}])["Vpc"]
    assert again["VpcId"] == vpc and again["CidrBlock"] == "10.10.0.0/16"
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["VpcId"] == vpc
    with pytest.raises(ClientError) as err:
        ec2.describe_vpcs(VpcIds=["vpc-00000000000000000"])
    assert err.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"
    ec2.delete_vpc(VpcId=vpc)


def test_a_request_the_bundle_does_not_hold_fails_naming_it_and_the_nearest(moto_url: str, tmp_path: Path,
                                                                            run_id: str) -> None:
    vpc, bundle = record(moto_url, tmp_path, run_id)
    ec2 = replayer(bundle).client("ec2")
    with pytest.raises(ReplayMiss) as miss:
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    text = str(miss.value)
    assert "10.99.0.0/16" in text and "nearest recorded" in text and "10.10.0.0/16" in text
    assert "re-record" in text


def test_each_recorded_answer_is_used_once(moto_url: str, tmp_path: Path, run_id: str) -> None:
    vpc, bundle = record(moto_url, tmp_path, run_id)
    ec2 = replayer(bundle).client("ec2")
    ec2.delete_vpc(VpcId=vpc)
    with pytest.raises(ReplayMiss, match="already used"):
        ec2.delete_vpc(VpcId=vpc)
