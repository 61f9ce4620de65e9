"""Console output through the EC2 API (moto answers with its fixed sample) and its tail for messages."""

from __future__ import annotations

from provisioning.aws.client import ClientFactory
from provisioning.aws.console import Ec2Console, tail


def test_ec2_console_returns_decoded_text(factory: ClientFactory) -> None:
    ec2 = factory.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    run = ec2.run_instances(ImageId=ami, InstanceType="t4g.medium", MinCount=1, MaxCount=1)
    iid = run["Instances"][0]["InstanceId"]
    try:
        text = Ec2Console(factory).output(iid)
    finally:
        ec2.terminate_instances(InstanceIds=[iid])
    assert text.startswith("Linux version")  # moto's sample, already base64-decoded by botocore
    assert factory.calls.counts["ec2:GetConsoleOutput"] == 1


def test_tail_keeps_the_last_lines() -> None:
    text = "\r\n".join(f"line {i}" for i in range(40))
    assert tail(text, 3) == "line 37\nline 38\nline 39"
